"""Forget the contact remembered for a company on a connection (the copy prompt's "Forget"). Admins only; thin."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View

from ..services.contact_links import contact_link_forget
from .copy import CopyMixin


class ForgetContactView(CopyMixin, View):
    """POST: drop the invoice's company's contact link on this connection, back to the copy prompt."""

    def post(self, request, invoice_pk, connection_pk):
        invoice, connection = self.load(invoice_pk, connection_pk)
        link = contact_link_forget(connection=connection, company=invoice.company, user=request.user)
        if link is None:
            messages.info(request, f"No {self.provider.name} contact was remembered for {invoice.company.name}.")
        else:
            messages.success(
                request,
                f"{invoice.company.name} is no longer linked to “{link.remote_name or link.remote_id}” in "
                f"{connection.name}: pick a contact or create one.",
            )
        return redirect("integrations:invoice-copy", invoice.pk, connection.pk)

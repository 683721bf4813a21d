"""Xero's purchasing on its sandbox page beside the kit's: a person moves a purchase order on (submit, approve,
mark as billed, delete) and opens a bill's attachment. Payments on bills are the kit's "record / delete a
payment" (a bill is an invoice in Xero). Forms use CSRF; nothing here needs a token, as in Xero's own UI.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from ..guard import sandbox_enabled
from ..kit.declaration import PageError
from ..models import XeroAttachment
from .formats import is_guid
from .purchase_orders import status_change


@sandbox_enabled
@require_POST
def purchase_order_status(request, tenant_id, purchase_order_id):
    try:
        messages.success(request, status_change(tenant_id, purchase_order_id, request.POST))
    except PageError as exc:
        messages.error(request, str(exc))
    return redirect("sandbox:xero-org", tenant_id=tenant_id)


@sandbox_enabled
@require_GET
def attachment_open(request, tenant_id, attachment_id):
    if not (is_guid(tenant_id) and is_guid(attachment_id)):
        raise Http404("No such attachment.")
    row = XeroAttachment.objects.filter(org__tenant_id=tenant_id, attachment_id=attachment_id).first()
    if row is None:
        raise Http404("No such attachment.")
    response = HttpResponse(bytes(row.content), content_type=row.mime_type)
    shown = row.mime_type == "application/pdf" or row.mime_type.startswith("image/")
    name = row.file_name.replace('"', "")
    response["Content-Disposition"] = f'{"inline" if shown else "attachment"}; filename="{name}"'
    # An uploaded file is the uploader's content: never run it on this origin.
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response

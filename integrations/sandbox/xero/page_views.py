"""The sandbox pages: what each demo organisation looks like "in Xero", with payments and fault switches.

No login (the sandbox is a pretend third party), but only while SANDBOX_PROVIDERS is on; forms use CSRF.
"""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ..guard import sandbox_enabled
from ..models import FaultKind, XeroApiCall, XeroConnection, XeroInvoice, XeroOrg, XeroPayment
from . import api, limits, oauth, services
from .demo import demo_orgs_ensure
from .formats import parse_date

RECENT_CALLS = 40


@sandbox_enabled
@csrf_exempt
def api_view(request, path):
    """Everything under /api.xro/2.0/ (token-authenticated like Xero, hence no CSRF)."""
    return api.handle(request, path).http()


@sandbox_enabled
@require_GET
def index(request):
    return render(request, "sandbox/xero/index.html", {"orgs": demo_orgs_ensure()})


@sandbox_enabled
@require_GET
def org_page(request, tenant_id):
    demo_orgs_ensure()
    org = get_object_or_404(XeroOrg, tenant_id=tenant_id)
    invoices = (
        XeroInvoice.objects.filter(org=org)
        .exclude(status="DELETED")
        .select_related("contact")
        .prefetch_related("payments")
        .order_by("-created_at")
    )
    context = {
        "org": org,
        "invoices": invoices,
        "faults": limits.faults_pending(org),
        "fault_kinds": FaultKind.choices,
        "calls": XeroApiCall.objects.filter(org=org)[:RECENT_CALLS],
        "connections": XeroConnection.objects.filter(org=org, is_active=True).count(),
    }
    return render(request, "sandbox/xero/org.html", context)


@sandbox_enabled
@require_POST
def payment_record(request, tenant_id, invoice_id):
    with transaction.atomic():
        org = get_object_or_404(XeroOrg.objects.select_for_update(), tenant_id=tenant_id)
        invoice = get_object_or_404(XeroInvoice, org=org, invoice_id=invoice_id)
        try:
            date = parse_date(request.POST.get("date")) if request.POST.get("date") else None
            payment = services.payment_create(
                org=org,
                invoice=invoice,
                amount=request.POST.get("amount", ""),
                date=date,
                reference=request.POST.get("reference", "")[:255],
            )
        except ValueError:
            messages.error(request, "The payment date must be a date (YYYY-MM-DD).")
        except services.ElementInvalid as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Payment of {payment.amount} recorded on {invoice.number}.")
    return redirect("sandbox:xero-org", tenant_id=tenant_id)


@sandbox_enabled
@require_POST
def payment_delete(request, tenant_id, payment_id):
    with transaction.atomic():
        org = get_object_or_404(XeroOrg.objects.select_for_update(), tenant_id=tenant_id)
        payment = get_object_or_404(XeroPayment.objects.select_related("invoice"), org=org, payment_id=payment_id)
        try:
            services.payment_delete(payment=payment)
        except services.ElementInvalid as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Payment of {payment.amount} on {payment.invoice.number} deleted.")
    return redirect("sandbox:xero-org", tenant_id=tenant_id)


@sandbox_enabled
@require_POST
def fault_arm(request, tenant_id):
    org = get_object_or_404(XeroOrg, tenant_id=tenant_id)
    kind = request.POST.get("kind", "")
    if kind == "revoke":
        count = oauth.org_revoke_all(org)
        messages.success(
            request,
            f"Access revoked for {org.name}: {count} token set(s) revoked, its connections removed "
            "(API calls now get 403, refreshes invalid_grant).",
        )
    elif kind in FaultKind.values:
        limits.fault_arm(org=org, kind=kind)
        messages.success(request, f"Armed: {FaultKind(kind).label.lower()}.")
    elif kind == "clear":
        limits.faults_pending(org).delete()
        messages.success(request, "Pending faults cleared.")
    else:
        messages.error(request, "Unknown fault.")
    return redirect("sandbox:xero-org", tenant_id=tenant_id)

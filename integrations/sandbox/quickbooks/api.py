"""QuickBooks Online's Accounting API v3 on the kit: `/v3/company/<realmId>/<operation>` routed to its handlers.

The kit has already checked the bearer token and that it grants the realm; here: the accounting scope,
`minorversion`, `Accept`, the JSON body, then the operation. Writes carry `requestid` (the kit replays).
"""

import io
import json
import uuid

from django.db import transaction
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen import canvas

from ..kit.declaration import Refusal, Route
from ..kit.reply import Reply
from . import batch, invoices, query, resources
from .company import company_info, preferences
from .faults import EntityInvalid, fault
from .models import QboCompany
from .store import company_of, envelope, find, render

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
READABLE = {
    "customer": "Customer",
    "invoice": "Invoice",
    "payment": "Payment",
    "item": "Item",
    "taxcode": "TaxCode",
    "taxrate": "TaxRate",
    "term": "Term",
    "attachable": "Attachable",
    "vendor": "Vendor",
    "employee": "Employee",
}


def tenant_from_request(request, path: str) -> str:
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "company" else ""


def write_lock(tenant_key: str) -> None:
    """One writer per company: numbering, balances and requestid replays are serialised on its row."""
    list(QboCompany.objects.select_for_update().filter(realm_id=tenant_key))


def unauthorized(error) -> Reply:
    detail = "Token expired" if error.detail == "TokenExpired" else "Token revoked or invalid"
    return fault(
        401,
        "3200",
        "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail,
        kind="AuthenticationFault",
        headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
    )


def forbidden(tenant_key: str) -> Reply:
    return fault(
        403,
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        f"The app is not connected to company {tenant_key or '(none)'}.",
        kind="AuthorizationFault",
    )


def throttle(problem: str, retry_after: int, remaining: dict) -> Reply:
    return fault(
        429,
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached. Try again later",
        kind="SERVICE",
        headers={"Retry-After": str(retry_after)},
    )


def server_error() -> Reply:
    return fault(
        500,
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: The sandbox was told to fail this call.",
        kind="SystemFault",
    )


def requestid_invalid(message: str) -> Reply:
    return fault(400, "2010", "Request has invalid or unsupported property", message, element="requestid")


def finish(reply: Reply) -> None:
    reply.headers.setdefault("intuit_tid", f"1-{uuid.uuid4().hex[:24]}")


def _refuse(reply: Reply, note: str) -> Refusal:
    return Refusal(reply, note)


def _json_body(request):
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def route(request, path: str, grant, tenant_key: str):
    company = company_of(tenant_key)
    if company is None:
        return _refuse(forbidden(tenant_key), "no such company")
    if ACCOUNTING_SCOPE not in grant.scope.split():
        return _refuse(forbidden(tenant_key), "scope")
    minor = request.GET.get("minorversion", "")
    if minor and not minor.isdigit():
        return _refuse(
            fault(
                400,
                "2010",
                "Request has invalid or unsupported property",
                f"minorversion {minor} is not a number",
                element="minorversion",
                company=company,
            ),
            "minorversion",
        )
    parts = path.split("/")[2:]
    operation = parts[0].lower() if parts else ""
    wants_pdf = operation == "invoice" and len(parts) == 3 and parts[2] == "pdf"
    accept = request.headers.get("Accept", "")
    if not wants_pdf and "application/json" not in accept and "*/*" not in accept:
        return _refuse(
            fault(
                406,
                "2010",
                "Unsupported Accept",
                "The sandbox answers JSON only: send Accept: application/json.",
                company=company,
            ),
            "accept",
        )
    if request.method == "GET":
        return _read(request, company, operation, parts, wants_pdf)
    if request.method != "POST":
        return _refuse(fault(405, "2010", "Unsupported method", request.method, company=company), "method")
    if operation == "query":
        return Route(run=lambda: _query(company, request.body.decode(errors="replace")))
    if operation == "upload":
        return Route(run=lambda: resources.upload(company, request), write=True)
    body = _json_body(request)
    if body is None:
        return _refuse(
            fault(
                400,
                "2010",
                "Request has invalid or unsupported property",
                "The request body is not a JSON object.",
                company=company,
            ),
            "body",
        )
    if operation == "batch":
        return Route(run=lambda: batch.run(company, body), write=True, prepare=lambda: batch.refuse(company, body))
    if operation == "customer" and len(parts) == 1:
        return Route(
            run=lambda: _write(company, "Customer", lambda: resources.customer_write(company, body)), write=True
        )
    if operation == "invoice" and len(parts) == 1:
        action = request.GET.get("operation", "")
        if action not in ("", "update", "void", "delete"):
            return _refuse(
                fault(
                    400,
                    "2010",
                    "Request has invalid or unsupported property",
                    f"operation={action} is not supported",
                    company=company,
                ),
                "operation",
            )
        return Route(run=lambda: _invoice_write(company, action, body), write=True)
    return _refuse(_unsupported(company, path), "unknown resource")


def _unsupported(company, path: str) -> Reply:
    return fault(
        400, "2010", "Unsupported Operation", f"Operation {path} is not supported by the sandbox.", company=company
    )


def _read(request, company, operation: str, parts: list[str], wants_pdf: bool):
    if operation == "query":
        return Route(run=lambda: _query(company, request.GET.get("query", "")))
    if operation == "cdc":
        return Route(run=lambda: resources.cdc(company, request.GET))
    if operation == "companyinfo" and len(parts) == 2 and parts[1] == company.realm_id:
        return Route(run=lambda: envelope(company, {"CompanyInfo": company_info(company)}))
    if operation == "preferences" and len(parts) == 1:
        return Route(run=lambda: envelope(company, {"Preferences": preferences(company)}))
    if wants_pdf:
        return Route(run=lambda: _pdf(company, parts[1]))
    if operation in READABLE and len(parts) == 2:
        return Route(run=lambda: _entity(company, READABLE[operation], parts[1]))
    return _refuse(_unsupported(company, "/".join(parts)), "unknown resource")


def _query(company, text: str) -> Reply:
    try:
        return envelope(company, {"QueryResponse": query.answer(company, text)})
    except query.QueryError as exc:
        return fault(
            400, exc.code, "Error parsing query" if exc.code == "4000" else "Invalid query", exc.detail, company=company
        )


def _entity(company, entity: str, entity_id: str) -> Reply:
    row = find(company, entity, entity_id)
    if row is None:
        return fault(
            400,
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been "
            "made inactive. Check the fields with accounts, customers, items, vendors or employees.",
            company=company,
        )
    return envelope(company, {entity: render(row)})


def _write(company, entity: str, action) -> Reply:
    try:
        with transaction.atomic():
            row = action()
    except EntityInvalid as exc:
        return exc.reply(company)
    return envelope(company, {entity: render(row)})


def _invoice_write(company, action: str, body: dict) -> Reply:
    if action == "delete":
        try:
            with transaction.atomic():
                row = invoices.invoice_delete(company, body)
        except EntityInvalid as exc:
            return exc.reply(company)
        return envelope(company, {"Invoice": {"status": "Deleted", "domain": "QBO", "Id": row.entity_id}})
    handler = invoices.invoice_void if action == "void" else invoices.invoice_create
    return _write(company, "Invoice", lambda: handler(company, body))


def _pdf(company, invoice_id: str) -> Reply:
    row = find(company, "Invoice", invoice_id)
    if row is None:
        return _entity(company, "Invoice", invoice_id)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=LETTER)
    invoice = row.body
    number = invoice.get("DocNumber", row.entity_id)
    pdf.setTitle(f"Invoice {number}")
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(50, 730, f"Invoice {number}")
    pdf.setFont("Helvetica", 10)
    pdf.drawString(50, 710, f"{company.name} (QuickBooks sandbox)   Date: {invoice['TxnDate']}")
    y = 680
    for line in invoice.get("Line", []):
        if line.get("DetailType") == "SalesItemLineDetail":
            pdf.drawString(50, y, str(line.get("Description", ""))[:70])
            pdf.drawRightString(560, y, str(line["Amount"]))
            y -= 15
    pdf.drawRightString(560, y - 10, f"Total {company.currency} {invoice['TotalAmt']}")
    pdf.showPage()
    pdf.save()
    return Reply(200, buffer.getvalue(), "application/pdf")

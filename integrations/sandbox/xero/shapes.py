"""Sandbox rows → Xero's JSON objects (property names, casing and date formats as Xero sends them)."""

import uuid
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse

from ..models import (
    XeroAccount,
    XeroAttachment,
    XeroContact,
    XeroInvoice,
    XeroItem,
    XeroOrg,
    XeroPayment,
    XeroTaxRate,
)
from .formats import date_string, ms_date, now_ms, number, utc_string

PROVIDER_NAME = "Productive (sandbox)"

ACCOUNT_CLASS = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "REVENUE": "REVENUE",
    "EXPENSE": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "CURRLIAB": "LIABILITY",
}


def envelope(collection: str, items: list, pagination: dict | None = None) -> dict:
    body = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_date(now_ms(), False),
    }
    if pagination is not None:
        body["pagination"] = pagination
    body[collection] = items
    return body


def organisation(org: XeroOrg) -> dict:
    return {
        "OrganisationID": str(org.tenant_id),
        "Name": org.name,
        "LegalName": org.legal_name,
        "PaysTax": True,
        "Version": org.version,
        "OrganisationType": "COMPANY",
        "BaseCurrency": org.base_currency,
        "CountryCode": org.country_code,
        "IsDemoCompany": True,
        "OrganisationStatus": "ACTIVE",
        "TaxNumber": org.tax_number,
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 12,
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_date(org.created_at, False),
        "OrganisationEntityType": "COMPANY",
        "Timezone": org.timezone,
        "ShortCode": org.short_code,
        "Edition": "BUSINESS",
        "Class": "DEMO",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": org.payment_terms,
    }


def account(row: XeroAccount) -> dict:
    body = {
        "AccountID": str(row.account_id),
        "Code": row.code,
        "Name": row.name,
        "Status": row.status,
        "Type": row.type,
        "TaxType": row.tax_type,
        "Class": ACCOUNT_CLASS.get(row.type, "ASSET"),
        "EnablePaymentsToAccount": row.type == "BANK",
        "ShowInExpenseClaims": ACCOUNT_CLASS.get(row.type) == "EXPENSE",
        "ReportingCode": ACCOUNT_CLASS.get(row.type, "ASS")[:3],
        "ReportingCodeName": row.name,
        "HasAttachments": False,
        "UpdatedDateUTC": ms_date(row.updated_at),
        "AddToWatchlist": False,
    }
    if row.type == "BANK":
        body.update(
            BankAccountNumber=row.bank_account_number, BankAccountType="BANK", CurrencyCode=row.org.base_currency
        )
    return body


def tax_rate(row: XeroTaxRate) -> dict:
    return {
        "Name": row.name,
        "TaxType": row.tax_type,
        "ReportTaxType": row.report_tax_type,
        "CanApplyToAssets": row.can_apply_to_expenses,
        "CanApplyToEquity": row.can_apply_to_expenses,
        "CanApplyToExpenses": row.can_apply_to_expenses,
        "CanApplyToLiabilities": row.can_apply_to_expenses,
        "CanApplyToRevenue": row.can_apply_to_revenue,
        "DisplayTaxRate": number(row.rate),
        "EffectiveRate": number(row.rate),
        "Status": row.status,
        "TaxComponents": [{"Name": row.name, "Rate": number(row.rate), "IsCompound": False, "IsNonRecoverable": False}],
    }


def item(row: XeroItem) -> dict:
    return {
        "ItemID": str(row.item_id),
        "Code": row.code,
        "Name": row.name,
        "Description": row.description,
        "IsSold": True,
        "IsPurchased": False,
        "IsTrackedAsInventory": False,
        "SalesDetails": {"UnitPrice": number(row.unit_price), "AccountCode": row.account_code, "TaxType": row.tax_type},
        "PurchaseDetails": {},
        "UpdatedDateUTC": ms_date(row.updated_at),
    }


def contact_summary(row: XeroContact) -> dict:
    return {
        "ContactID": str(row.contact_id),
        "ContactNumber": row.contact_number,
        "Name": row.name,
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }


def contact(row: XeroContact) -> dict:
    body = {
        "ContactID": str(row.contact_id),
        "ContactStatus": row.status,
        "Name": row.name,
        "FirstName": row.first_name,
        "LastName": row.last_name,
        "EmailAddress": row.email,
        "BankAccountDetails": "",
        "Addresses": [
            {"AddressType": "STREET", "City": "", "Region": "", "PostalCode": "", "Country": ""},
            {"AddressType": "POBOX", "City": "", "Region": "", "PostalCode": "", "Country": ""},
        ],
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}],
        "UpdatedDateUTC": ms_date(row.updated_at),
        "ContactGroups": [],
        "IsSupplier": row.is_supplier,
        "IsCustomer": row.is_customer,
        "SalesTrackingCategories": [],
        "PurchasesTrackingCategories": [],
        "ContactPersons": [],
        "HasAttachments": False,
        "HasValidationErrors": False,
    }
    for key, value in (
        ("ContactNumber", row.contact_number),
        ("AccountNumber", row.account_number),
        ("TaxNumber", row.tax_number),
        ("DefaultCurrency", row.default_currency),
    ):
        if value:
            body[key] = value
    return body


def line_items(lines: list[dict], unit_places: int | None = None) -> list[dict]:
    """Stored lines keep Decimals as strings; Xero sends numbers. `unit_places`: Xero shows unit amounts with 2
    decimals unless the request says unitdp=4 (what it stored, and computed with, is unchanged)."""
    out = []
    for line in lines:
        shaped = {}
        for key, value in line.items():
            if key == "UnitAmount" and value is not None and unit_places is not None:
                exponent = Decimal(1).scaleb(-unit_places)
                shaped[key] = number(Decimal(value).quantize(exponent, rounding=ROUND_HALF_UP))
            elif key in ("Quantity", "UnitAmount", "TaxAmount", "LineAmount", "DiscountRate"):
                shaped[key] = number(value) if value is not None else None
            else:
                shaped[key] = value
        shaped.setdefault("Tracking", [])
        out.append({key: value for key, value in shaped.items() if value is not None})
    return out


def invoice_payment_summary(row: XeroPayment) -> dict:
    return {
        "PaymentID": str(row.payment_id),
        "Date": ms_date(row.date),
        "Amount": number(row.amount),
        "Reference": row.reference,
        "CurrencyRate": 1.0,
        "HasAccount": False,
        "HasValidationErrors": False,
    }


def attachment(row: XeroAttachment) -> dict:
    path = f"Invoices/{row.invoice.invoice_id}/Attachments/{quote(row.file_name)}"
    body = {
        "AttachmentID": str(row.attachment_id),
        "FileName": row.file_name,
        "Url": settings.SITE_URL.rstrip("/") + reverse("sandbox:xero-api", kwargs={"path": path}),
        "MimeType": row.mime_type,
        "ContentLength": row.content_length,
    }
    if row.include_online:
        body["IncludeOnline"] = True
    return body


def invoice(row: XeroInvoice, with_lines: bool = True, unit_places: int = 2, one: bool = False) -> dict:
    """`one`: the invoice read on its own (GET /Invoices/{id}), which lists its Attachments too."""
    payments = [p for p in row.payments.all() if p.status == "AUTHORISED"]
    attachments = list(row.attachments.all())
    body = {
        "Type": row.type,
        "InvoiceID": str(row.invoice_id),
        "InvoiceNumber": row.number,
        "Reference": row.reference,
        "Payments": [invoice_payment_summary(p) for p in payments],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountDue": number(row.amount_due),
        "AmountPaid": number(row.amount_paid),
        "AmountCredited": 0.0,
        "CurrencyRate": 1.0,
        "IsDiscounted": False,
        "HasAttachments": bool(attachments),
        "HasErrors": False,
        "Contact": contact_summary(row.contact),
        "DateString": date_string(row.date),
        "Date": ms_date(row.date),
        "Status": row.status,
        "LineAmountTypes": row.line_amount_types,
        "LineItems": line_items(row.line_items, unit_places) if with_lines else [],
        "SubTotal": number(row.sub_total),
        "TotalTax": number(row.total_tax),
        "Total": number(row.total),
        "UpdatedDateUTC": ms_date(row.updated_at),
        "UpdatedDateUTCString": utc_string(row.updated_at),
        "CurrencyCode": row.currency_code,
    }
    if row.due_date:
        body["DueDateString"] = date_string(row.due_date)
        body["DueDate"] = ms_date(row.due_date)
    if row.url:
        body["Url"] = row.url
    if row.fully_paid_on:
        body["FullyPaidOnDate"] = ms_date(row.fully_paid_on)
    if one and attachments:
        body["Attachments"] = [attachment(a) for a in attachments]
    return body


def payment(row: XeroPayment) -> dict:
    inv = row.invoice
    return {
        "PaymentID": str(row.payment_id),
        "Date": ms_date(row.date),
        "BankAmount": number(row.amount),
        "Amount": number(row.amount),
        "Reference": row.reference,
        "CurrencyRate": 1.0,
        "PaymentType": "ACCRECPAYMENT" if inv.type == "ACCREC" else "ACCPAYPAYMENT",
        "Status": row.status,
        "UpdatedDateUTC": ms_date(row.updated_at),
        "UpdatedDateUTCString": utc_string(row.updated_at),
        "HasAccount": True,
        "IsReconciled": False,
        "Account": {"AccountID": str(row.account.account_id), "Code": row.account.code},
        "Invoice": {
            "Type": inv.type,
            "InvoiceID": str(inv.invoice_id),
            "InvoiceNumber": inv.number,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "HasErrors": False,
            "IsDiscounted": False,
            "Contact": contact_summary(inv.contact),
            "LineItems": [],
            "CurrencyCode": inv.currency_code,
        },
        "HasValidationErrors": False,
    }


def validation_error_body(elements: list[dict]) -> dict:
    """Xero's 400 body (schema Error): the submitted elements, each with its ValidationErrors."""
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": elements,
    }


def problem(status: int, title: str, detail: str) -> dict:
    """The identity/ASP.NET problem body Xero sends for 401/403/404/429/500."""
    return {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }

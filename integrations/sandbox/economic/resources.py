"""What each e-conomic collection offers: its number property, filterable (and sortable) properties with their
types, and the agreement's own resource (`GET /self`)."""

from .demo import spec_of
from .models import EcoAgreement

_INVOICE_COMMON = (
    "currency customer.customerNumber date delivery.address delivery.city delivery.country delivery.deliveryDate "
    "delivery.deliveryTerms delivery.zip deliveryLocation.deliveryLocationNumber notes.heading notes.textLine1 "
    "notes.textLine2 paymentTerms.paymentTermsNumber recipient.address recipient.city recipient.country "
    "recipient.ean recipient.name recipient.publicEntryNumber recipient.zip "
    "references.customerContact.customer.customerNumber references.other references.salesPerson.employeeNumber "
    "references.vendorReference.employeeNumber"
)
_BOOKED = f"bookedInvoiceNumber recipient.vatZone.vatZoneNumber {_INVOICE_COMMON}"
_FILTERABLE_NAMES = {
    "customers": (
        "address balance barred city corporateIdentificationNumber country creditLimit currency customerNumber ean "
        "email lastUpdated name publicEntryNumber telephoneAndFaxNumber vatNumber website zip"
    ),
    "products": (
        "barCode barred costPrice departmentalDistribution.departmentalDistributionNumber description "
        "inventory.grossWeight inventory.netWeight inventory.packageVolume inventory.recommendedCostPrice "
        "lastUpdated name productGroup.productGroupNumber productNumber recommendedPrice salesPrice unit.unitNumber"
    ),
    "customer-groups": (
        "account.accountNumber account.accountType account.balance account.blockDirectEntries account.debitCredit "
        "account.name customerGroupNumber name"
    ),
    "layouts": "",
    "payment-terms": "",
    "vat-zones": "",
    "invoices/drafts": f"draftInvoiceNumber exchangeRate soap.currentInvoiceHandle.id {_INVOICE_COMMON}",
    "invoices/booked": _BOOKED,
    "invoices/paid": _BOOKED,
    "invoices/unpaid": _BOOKED,
    "accounting-years": "fromDate toDate year",
    "currencies": "",
    "entries": (
        "amount amountInBaseCurrency currency customer.customerNumber date dueDate entryNumber entryType quantity1 "
        "quantity2 remainder remainderInBaseCurrency supplier.supplierNumber supplierInvoiceNumber text "
        "unit1.unitNumber unit2.unitNumber voucherNumber"
    ),
}
_NUMERIC = {"balance", "creditLimit", "costPrice", "recommendedPrice", "salesPrice", "exchangeRate", "amount"}
_NUMERIC |= {"amountInBaseCurrency", "remainder", "remainderInBaseCurrency", "quantity1", "quantity2"}
_TEXT_NUMBERS = {"productNumber", "supplierInvoiceNumber"}  # text in e-conomic


def _kind(prop: str) -> str:
    leaf = prop.rsplit(".", 1)[-1]
    if leaf in _TEXT_NUMBERS:
        return "str"
    if leaf.endswith("Number") or leaf == "id":
        return "int"
    if leaf in _NUMERIC or prop.startswith("inventory.") or leaf == "balance":
        return "num"
    if leaf in ("barred", "blockDirectEntries"):
        return "bool"
    return "str"


FILTERABLE = {path: {prop: _kind(prop) for prop in names.split()} for path, names in _FILTERABLE_NAMES.items()}
NUMBER_KEYS = {
    "customers": "customerNumber",
    "products": "productNumber",
    "customer-groups": "customerGroupNumber",
    "layouts": "layoutNumber",
    "payment-terms": "paymentTermsNumber",
    "vat-zones": "vatZoneNumber",
    "invoices/drafts": "draftInvoiceNumber",
    "invoices/booked": "bookedInvoiceNumber",
    "invoices/paid": "bookedInvoiceNumber",
    "invoices/unpaid": "bookedInvoiceNumber",
    "accounting-years": "fromDate",
    "currencies": "code",
    "entries": "entryNumber",
}


# The currencies an invoice or customer may use: (ISO 4217 code, numeric code, name); the same on every agreement.
CURRENCIES = [
    ("DKK", "208", "Danish krone"),
    ("EUR", "978", "Euro"),
    ("GBP", "826", "Pound sterling"),
    ("NOK", "578", "Norwegian krone"),
    ("SEK", "752", "Swedish krona"),
    ("USD", "840", "US dollar"),
]


def currencies(base: str) -> list[dict]:
    return [
        {"code": code, "isoNumber": number, "name": name, "self": f"{base}/currencies/{code}"}
        for code, number, name in CURRENCIES
    ]


def sort_keys(path: str) -> dict[str, str]:
    """Properties a collection sorts by: its filterable ones and its number (the default order)."""
    key = NUMBER_KEYS[path]
    return {**FILTERABLE[path], key: FILTERABLE[path].get(key, _kind(key))}


def self_body(agreement: EcoAgreement, base: str, app_public_token: str) -> dict:
    spec = spec_of(agreement)
    company = spec["company"]
    language = {"languageNumber": 2, "name": "English", "culture": "en-GB", "self": f"{base}/languages/2"}
    return {
        "agreementNumber": agreement.agreement_number,
        "agreementType": {"agreementTypeNumber": 1 if agreement.country == "denmark" else 2, "name": agreement.country},
        "userName": "SANDBOX",
        "signupDate": agreement.created_at.date().isoformat(),
        "user": {
            "loginId": "SANDBOX",
            "email": "bookkeeper@sandbox.example",
            "name": "Sandbox Bookkeeper",
            "language": language,
            "agreementNumber": agreement.agreement_number,
        },
        "company": {
            "addressLine1": company["addressLine1"],
            "zip": company["zip"],
            "city": company["city"],
            "name": agreement.name,
            "email": "office@sandbox.example",
            "companyIdentificationNumber": company["vat"],
        },
        "application": {
            "appNumber": 1,
            "name": "Productive (sandbox app)",
            "appPublicToken": app_public_token,
            "created": "2026-01-01",
            "requiredRoles": [{"roleNumber": 2, "name": "SuperUser"}],
            "self": f"{base}/apps/1",
        },
        "settings": {"baseCurrency": agreement.currency},
        "companyAffiliation": "e-conomic",
        "modules": [],
        "self": f"{base}/self",
    }

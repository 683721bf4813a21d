"""Exact's entity sets as data: where each lives, its OData type, key and properties (with a wire type each).

Property lists follow Exact's REST reference as copied into picqer/exact-php-client's models and the
properties of Exact's own .NET SDK fixtures (shared/provider-specs/exact); each set is a subset of Exact's
(the properties our integration reads or writes, plus the usual audit fields). Types: G GUID, S string,
I integer, M number (money and percentages, kept as decimal strings), D date (/Date(ms)/ on the wire),
B boolean, N a navigation collection (lines), T the sync Timestamp (Int64).
"""

from dataclasses import dataclass, field, replace


def _props(spec: str) -> dict[str, str]:
    return dict(item.split(":") for item in spec.split())


@dataclass(frozen=True)
class EntitySet:
    entity: str  # the sandbox's entity name (ExactEntity.entity)
    path: str  # service/Set, below /api/v1/{division}/
    type_name: str  # __metadata.type
    key: str  # the primary key property
    properties: dict[str, str]
    writable: bool = False
    lines: str = ""  # the navigation collection of lines, if any
    line_entity: str = ""
    mandatory_filter: bool = False  # Exact: endpoints with a sync equivalent need a $filter (since July 2021)
    key_type: str = "G"
    extra: dict = field(default_factory=dict)

    @property
    def set_name(self) -> str:
        return self.path.rsplit("/", 1)[1]


_AUDIT = "Created:D Creator:G Modified:D Modifier:G Division:I"

ACCOUNT = EntitySet(
    "Account",
    "crm/Accounts",
    "Exact.Web.Api.Models.Account",
    "ID",
    _props(
        "ID:G Code:S Name:S Status:S Type:S IsSales:B IsSupplier:B Blocked:B Email:S Phone:S VATNumber:S "
        "AddressLine1:S AddressLine2:S Postcode:S City:S Country:S SalesCurrency:S SalesCurrencyDescription:S "
        "SalesVATCode:S SalesVATCodeDescription:S PaymentConditionSales:S SearchCode:S " + _AUDIT
    ),
    writable=True,
    mandatory_filter=True,
)
GL_ACCOUNT = EntitySet(
    "GLAccount",
    "financial/GLAccounts",
    "Exact.Web.Api.Models.GLAccount",
    "ID",
    _props(
        "ID:G Code:S Description:S SearchCode:S Type:I TypeDescription:S BalanceSide:S BalanceType:S IsBlocked:B "
        "VATCode:S VATDescription:S " + _AUDIT
    ),
    mandatory_filter=True,
)
JOURNAL = EntitySet(
    "Journal",
    "financial/Journals",
    "Exact.Web.Api.Models.Journal",
    "ID",
    _props("ID:G Code:S Description:S Type:I IsBlocked:B Currency:S AllowVariableCurrency:B " + _AUDIT),
)
VAT_CODE = EntitySet(
    "VATCode",
    "vat/VATCodes",
    "Exact.Web.Api.Models.VATCode",
    "ID",
    _props(
        "ID:G Code:S Description:S Percentage:M Type:S VATTransactionType:S IsBlocked:B Charged:B "
        "CalculationBasis:I " + _AUDIT
    ),
)
SALES_ENTRY_LINE = EntitySet(
    "SalesEntryLine",
    "salesentry/SalesEntryLines",
    "Exact.Web.Api.Models.SalesEntryLine",
    "ID",
    _props(
        "ID:G EntryID:G LineNumber:I Description:S GLAccount:G GLAccountCode:S GLAccountDescription:S "
        "AmountFC:M AmountDC:M Quantity:M VATCode:S VATCodeDescription:S VATPercentage:M VATAmountFC:M "
        "VATAmountDC:M VATBaseAmountFC:M VATBaseAmountDC:M Type:I Division:I"
    ),
)
SALES_ENTRY = EntitySet(
    "SalesEntry",
    "salesentry/SalesEntries",
    "Exact.Web.Api.Models.SalesEntry",
    "EntryID",
    _props(
        "EntryID:G EntryNumber:I InvoiceNumber:I Journal:S JournalDescription:S Customer:G CustomerName:S "
        "EntryDate:D DueDate:D Currency:S Description:S YourRef:S PaymentCondition:S PaymentReference:S "
        "AmountFC:M AmountDC:M VATAmountFC:M VATAmountDC:M ReportingPeriod:I ReportingYear:I Status:I "
        "StatusDescription:S Type:I TypeDescription:S SalesEntryLines:N " + _AUDIT
    ),
    writable=True,
    lines="SalesEntryLines",
    line_entity="SalesEntryLine",
)
SALES_INVOICE_LINE = EntitySet(
    "SalesInvoiceLine",
    "salesinvoice/SalesInvoiceLines",
    "Exact.Web.Api.Models.SalesInvoiceLine",
    "ID",
    _props(
        "ID:G InvoiceID:G LineNumber:I Description:S GLAccount:G GLAccountDescription:S Item:G "
        "ItemDescription:S Quantity:M UnitPrice:M NetPrice:M Discount:M AmountFC:M AmountDC:M VATCode:S "
        "VATCodeDescription:S VATPercentage:M VATAmountFC:M VATAmountDC:M Division:I"
    ),
)
SALES_INVOICE = EntitySet(
    "SalesInvoice",
    "salesinvoice/SalesInvoices",
    "Exact.Web.Api.Models.SalesInvoice",
    "InvoiceID",
    _props(
        "InvoiceID:G InvoiceNumber:I InvoiceTo:G InvoiceToName:S OrderedBy:G OrderedByName:S InvoiceDate:D "
        "OrderDate:D DueDate:D Journal:S JournalDescription:S Currency:S Description:S YourRef:S Remarks:S "
        "PaymentCondition:S PaymentConditionDescription:S OrderNumber:I AmountFC:M AmountDC:M VATAmountFC:M "
        "VATAmountDC:M Status:I StatusDescription:S Type:I TypeDescription:S SalesInvoiceLines:N " + _AUDIT
    ),
    writable=True,
    lines="SalesInvoiceLines",
    line_entity="SalesInvoiceLine",
    mandatory_filter=True,
)
TRANSACTION_LINE = EntitySet(
    "TransactionLine",
    "financialtransaction/TransactionLines",
    "Exact.Web.Api.Models.TransactionLine",
    "ID",
    _props(
        "ID:G EntryID:G EntryNumber:I LineNumber:I Type:I Status:I Date:D DueDate:D FinancialYear:I "
        "FinancialPeriod:I JournalCode:S JournalDescription:S Account:G AccountCode:S AccountName:S "
        "GLAccount:G GLAccountCode:S GLAccountDescription:S AmountDC:M AmountFC:M AmountVATFC:M Currency:S "
        "Description:S InvoiceNumber:I YourRef:S PaymentReference:S VATCode:S " + _AUDIT
    ),
    mandatory_filter=True,
)
RECEIVABLE = EntitySet(
    "Receivable",
    "cashflow/Receivables",
    "Exact.Web.Api.Models.Receivable",
    "ID",
    _props(
        "ID:G EntryID:G Account:G AccountCode:S AccountName:S AmountDC:M AmountFC:M Currency:S Description:S "
        "DueDate:D EndDate:D EntryDate:D EntryNumber:I GLAccount:G GLAccountCode:S InvoiceDate:D "
        "InvoiceNumber:I IsFullyPaid:B Journal:S JournalDescription:S LastPaymentDate:D PaymentCondition:S "
        "PaymentReference:S Status:I TransactionAmountDC:M TransactionAmountFC:M TransactionDueDate:D "
        "TransactionEntryID:G TransactionID:G TransactionType:I YourRef:S " + _AUDIT
    ),
    mandatory_filter=True,
)
WEBHOOK_SUBSCRIPTION = EntitySet(
    "WebhookSubscription",
    "webhooks/WebhookSubscriptions",
    "Exact.Web.Api.Models.WebhookSubscription",
    "ID",
    _props("ID:G CallbackURL:S ClientID:G Description:S Topic:S UserID:G Created:D Creator:G Division:I"),
    writable=True,
)
DIVISION = EntitySet(
    "Division",
    "system/Divisions",
    "Exact.Web.Api.Models.System.SystemDivision",
    "Code",
    _props(
        "Code:I Description:S Country:S Currency:S Current:B Legislation:S Status:I IsMainDivision:B "
        "CustomerName:S VATNumber:S StartDate:D Created:D Modified:D"
    ),
    key_type="I",
)
ME = EntitySet(
    "Me",
    "current/Me",
    "Exact.Web.Api.Models.System.Me",
    "UserID",
    _props(
        "UserID:G UserName:S FullName:S FirstName:S LastName:S Email:S LanguageCode:S Language:S "
        "CurrentDivision:I AccountingDivision:I DivisionCustomerName:S Legislation:I ServerTime:D "
        "ServerUtcOffset:M"
    ),
)
DELETED = EntitySet(
    "Deleted",
    "sync/Deleted",
    "Exact.Web.Api.Models.Sync.Deleted",
    "Timestamp",
    _props("Timestamp:T ID:G EntityKey:G EntityType:I DeletedBy:G DeletedDate:D Division:I"),
    key_type="T",
)

# The regular (CRUD) sets, by path; the lines sets are readable on their own too.
SETS = {
    s.path.lower(): s
    for s in (
        ACCOUNT,
        GL_ACCOUNT,
        JOURNAL,
        VAT_CODE,
        SALES_ENTRY,
        SALES_ENTRY_LINE,
        SALES_INVOICE,
        SALES_INVOICE_LINE,
        TRANSACTION_LINE,
        RECEIVABLE,
        WEBHOOK_SUBSCRIPTION,
        DIVISION,
    )
}


def line_set(entity_set: EntitySet) -> EntitySet | None:
    """The set of an entity's lines (SalesEntries → SalesEntryLines), if it has any."""
    return SETS.get(f"{entity_set.path.split('/')[0]}/{entity_set.lines}".lower()) if entity_set.lines else None


# sync/Cashflow/PaymentTerms: the receivables (LineType 20; payables would be 22) in the PaymentTerm model.
PAYMENT_TERM = replace(
    RECEIVABLE,
    type_name="Exact.Web.Api.Models.Sync.PaymentTerm",
    properties={**RECEIVABLE.properties, "LineType": "I", "ApprovalStatus": "I"},
)

# Sync sets (1000 a page, ordered by Timestamp, `Timestamp gt NL`): path → the entity set they serve.
SYNC_SETS = {
    "sync/financial/transactionlines": TRANSACTION_LINE,
    "sync/cashflow/paymentterms": PAYMENT_TERM,
    "sync/salesinvoice/salesinvoices": SALES_INVOICE,
    "sync/crm/accounts": ACCOUNT,
    "sync/financial/glaccounts": GL_ACCOUNT,
}
SYNC_PATHS = {
    "sync/financial/transactionlines": "sync/Financial/TransactionLines",
    "sync/cashflow/paymentterms": "sync/Cashflow/PaymentTerms",
    "sync/salesinvoice/salesinvoices": "sync/SalesInvoice/SalesInvoices",
    "sync/crm/accounts": "sync/CRM/Accounts",
    "sync/financial/glaccounts": "sync/Financial/GLAccounts",
}
# sync/Deleted's EntityType per entity (picqer SyncDeleted.php).
DELETED_ENTITY_TYPES = {"TransactionLine": 1, "Account": 2, "GLAccount": 7, "Receivable": 10, "SalesInvoice": 13}
PAGE_SIZE = 60  # regular endpoints
SYNC_PAGE_SIZE = 1000  # sync and bulk endpoints

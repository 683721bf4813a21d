"""e-conomic's setup as a declaration (integrations.setup_schema), rendered, checked and saved by the core: who
numbers invoices, who makes the PDF, whether copies are booked at once or left as drafts for a bookkeeper, the
default layout, payment terms and VAT zone, the customer group of customers we create, the default product and
service type → product, payment sync (and how its dates are derived). The copy prompt asks the same defaults per
copy, pre-filled from the setup."""

from __future__ import annotations

from integrations.providers.base import NUMBERING_APP, NUMBERING_PROVIDER, NUMBERING_SETTING
from integrations.setup_schema import (
    CopyPrompt,
    MappingTable,
    Pick,
    PickList,
    Radio,
    Section,
    SetupSchema,
    Toggle,
    code_and_name,
    name_only,
)

from .mapping import (
    BOOKING_BOOK,
    BOOKING_DRAFT,
    BOOKING_SETTING,
    CUSTOMER_GROUP_SETTING,
    DEFAULT_PRODUCT_SETTING,
    LAYOUT_SETTING,
    PAYMENT_TERMS_SETTING,
    PDF_OURS,
    PDF_PROVIDER,
    PDF_SETTING,
    PRODUCT_TABLE,
    VAT_ZONE_SETTING,
)

PICK_LISTS = (
    PickList("layouts", "layouts", "layout", "list_layouts", name_only),
    PickList("payment_terms", "payment terms", "payment term", "list_payment_terms", name_only),
    PickList("vat_zones", "VAT zones", "VAT zone", "list_vat_zones", name_only),
    PickList("products", "products", "product", "list_products", code_and_name),
    PickList("customer_groups", "customer groups", "customer group", "list_customer_groups", code_and_name),
)

PAYMENT_DATES = (
    "e-conomic shows only what is still owed on a booked invoice, not its payments. Every poll reads that for each "
    "copied invoice not yet paid (200 invoices a call): when it falls, a payment of the difference is recorded, "
    "dated the day e-conomic's customer-payment entries give for it (the newest payments booked on the invoice that "
    "add up to the change); when they do not explain it (a payment booked without the invoice number, in another "
    "currency, or dated more than three months back), it is dated the day the change was seen, at most one poll "
    "interval after it was registered in e-conomic. When the amount owed "
    "rises again (a payment reversed there), the newest payments recorded this way are removed or reduced, so the "
    "amount paid always equals the total less what e-conomic says is owed. Partial payments show as partially "
    "paid. Payments you record here by hand are never changed. Drafts count once a bookkeeper books them."
)


def _numbering_needs_booking(values, context) -> dict[str, str]:
    fields = values.fields
    if fields.get(NUMBERING_SETTING) == NUMBERING_PROVIDER and fields.get(BOOKING_SETTING) != BOOKING_BOOK:
        return {
            BOOKING_SETTING: "e-conomic gives an invoice its number when it is booked: with “e-conomic numbers "
            "invoices”, copies are booked at once."
        }
    return {}


def _prompt_booking(value, context) -> str:
    if value != BOOKING_BOOK and (context.settings or {}).get(NUMBERING_SETTING) == NUMBERING_PROVIDER:
        return "e-conomic numbers this subsidiary's invoices when they are booked: this copy is booked at once."
    return ""


NUMBERING = Radio(
    name=NUMBERING_SETTING,
    label="Invoice numbers",
    choices=(
        (NUMBERING_APP, "This app numbers invoices (booked with the number part of ours: INV-0042 → 42)"),
        (NUMBERING_PROVIDER, "e-conomic numbers invoices (its next number when the copy is booked)"),
    ),
    initial=NUMBERING_APP,
    help_text="Our whole number is kept on the e-conomic invoice as its “other reference” either way.",
)
BOOKING = Radio(
    name=BOOKING_SETTING,
    label="Copied invoices",
    choices=(
        (BOOKING_DRAFT, "Leave them as drafts in e-conomic for a bookkeeper to book"),
        (BOOKING_BOOK, "Book them at once"),
    ),
    initial=BOOKING_DRAFT,
    help_text="A booked e-conomic invoice can no longer change: after booking, a changed invoice is copied with "
    "“Create new”. A draft is updated in place.",
)
LAYOUT = Pick(name=LAYOUT_SETTING, label="Layout", pick_list="layouts", needed=True, missing="a default layout")
PAYMENT_TERMS = Pick(
    name=PAYMENT_TERMS_SETTING,
    label="Payment terms",
    pick_list="payment_terms",
    needed=True,
    missing="default payment terms",
)
VAT_ZONE = Pick(
    name=VAT_ZONE_SETTING,
    label="VAT zone",
    pick_list="vat_zones",
    needed=True,
    missing="a default VAT zone",
    help_text="e-conomic computes VAT from the VAT zone and each product's group; our tax rates are not copied.",
)
CUSTOMER_GROUP = Pick(
    name=CUSTOMER_GROUP_SETTING,
    label="Customer group for new customers",
    pick_list="customer_groups",
    help_text="A company without an e-conomic customer is created there in this group, with the VAT zone, payment "
    "terms and the company's currency.",
)

SCHEMA = SetupSchema(
    sections=(
        Section(
            "Numbering, booking and PDF",
            (
                NUMBERING,
                BOOKING,
                Radio(
                    name=PDF_SETTING,
                    label="Invoice PDF",
                    choices=(
                        (PDF_OURS, "This app makes the PDF"),
                        (PDF_PROVIDER, "e-conomic makes the PDF (“Download PDF” fetches e-conomic's)"),
                    ),
                    initial=PDF_OURS,
                ),
            ),
        ),
        Section("Defaults for each copy", (LAYOUT, PAYMENT_TERMS, VAT_ZONE, CUSTOMER_GROUP)),
        Section(
            "Products",
            (
                Pick(
                    name=DEFAULT_PRODUCT_SETTING,
                    label="Default product",
                    help_text="For lines whose service type is not mapped: every e-conomic line needs a product.",
                    pick_list="products",
                    needed=True,
                    missing="a default product",
                ),
                MappingTable(
                    name=PRODUCT_TABLE,
                    target="service_type",
                    pick_list="products",
                    row_label="Service type",
                    column_label="e-conomic product",
                    empty_label="— default product —",
                ),
            ),
        ),
        Section(
            "Payments",
            (Toggle(name="sync_payments", label="Synchronize payments from e-conomic", help_text=PAYMENT_DATES),),
        ),
    ),
    checks=(_numbering_needs_booking,),
)

INVOICE_PROMPT = CopyPrompt(
    summary="a draft invoice (booked at once if you choose so)",
    fields=(
        Radio(
            name=BOOKING_SETTING,
            label="In e-conomic",
            choices=BOOKING.choices,
            initial=BOOKING_DRAFT,
            validators=(_prompt_booking,),
        ),
        Pick(name=LAYOUT_SETTING, label="Layout", pick_list="layouts", needed=True),
        Pick(name=PAYMENT_TERMS_SETTING, label="Payment terms", pick_list="payment_terms", needed=True),
        Pick(name=VAT_ZONE_SETTING, label="VAT zone", pick_list="vat_zones", needed=True),
        Pick(
            name=CUSTOMER_GROUP_SETTING,
            label="Customer group (if the customer is created)",
            pick_list="customer_groups",
            help_text="Used only when no customer is chosen and e-conomic has none of the company's name.",
        ),
    ),
)

"""One way to show money and percentages (billing.money): on every page, in the PDF and in every log message."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from billing.money import format_money, format_number, format_percentage, format_unit_price
from billing.pdf import invoice_pdf
from billing.services import LineInput, payment_record
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

D = Decimal


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("20.000"), "20%"),  # was "2E+1%" on the Xero setup page
        (D("20"), "20%"),
        (D("5.500"), "5.5%"),
        (D("0.000"), "0%"),
        (D("0"), "0%"),
        (D("12.345"), "12.345%"),
        (D("2E+1"), "20%"),
        ("15.0", "15%"),  # Xero's rates arrive as text
        (21.0, "21%"),
    ],
)
def test_percentages_never_use_exponent_notation_or_trailing_zeros(value, shown):
    assert format_percentage(value) == shown


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (D("489.7"), "EUR", "489.70 EUR"),  # was "489.7 EUR" in the sync log
        (D("489.70"), "EUR", "489.70 EUR"),
        (D("200"), "EUR", "200.00 EUR"),
        (D("0"), "GBP", "0.00 GBP"),
        (D("1234567.891"), "USD", "1,234,567.89 USD"),
        (D("0.005"), "EUR", "0.01 EUR"),  # half-up, as every line is rounded
        (D("-12.5"), "EUR", "-12.50 EUR"),
        (D("2E+3"), "", "2,000.00"),
    ],
)
def test_money_has_two_decimals_grouped_thousands_and_its_currency(amount, currency, shown):
    assert format_money(amount, currency) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(D("10.000"), "10"), (D("1E+1"), "10"), (D("2.500"), "2.5"), (D("33.3350"), "33.335"), (D("0.000"), "0")],
)
def test_quantities_and_unit_prices_are_plain_numbers(value, shown):
    assert format_number(value) == shown


# --- pages and messages use it ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tax_rate_list_shows_20_5_5_and_0_percent(admin_client, organization):
    for name, percentage in [("Standard", "20"), ("Reduced", "5.5"), ("Zero rated", "0")]:
        TaxRateFactory(organization=organization, name=name, percentage=D(percentage))
    html = admin_client.get(reverse("billing:settings-taxrate-list")).content.decode()
    cells = re.findall(r"<td>([^<]*%)</td>", html)
    assert sorted(cells) == ["0%", "20%", "5.5%"]


@pytest.mark.django_db
def test_invoice_page_shows_quantities_rates_and_amounts_through_the_helper(member_client, subsidiary):
    rate = TaxRateFactory(organization=subsidiary.organization, name="UK VAT", percentage=D("20"))
    invoice = make_invoice(
        subsidiary=subsidiary, lines=[LineInput("Design", D("10"), D("48.97"), tax_rate=rate)], finalize=True
    )
    payment_record(invoice=invoice, amount=D("100"), date=invoice.issue_date)
    html = member_client.get(invoice.get_absolute_url()).content.decode()
    assert "E+" not in html
    assert '<td class="num">10</td>' in html and "48.97" in html
    assert "UK VAT (20%)" in html
    assert "489.70 EUR" in html and "97.94 EUR" in html and "587.64 EUR" in html and "487.64 EUR" in html


@pytest.mark.django_db
def test_pdf_uses_the_same_money_and_percentage_format(subsidiary):
    rate = TaxRateFactory(organization=subsidiary.organization, name="UK VAT", percentage=D("20"))
    invoice = make_invoice(subsidiary=subsidiary, lines=[LineInput("Design", D("10"), D("48.97"), tax_rate=rate)])
    pdf = invoice_pdf(invoice)
    assert b"489.70 EUR" in pdf and b"587.64 EUR" in pdf and b"20%" in pdf and b"E+" not in pdf


@pytest.mark.django_db
def test_payment_form_shows_the_amount_due_with_the_helper(member_client, subsidiary):
    company = CompanyFactory(organization=subsidiary.organization)
    invoice = make_invoice(subsidiary=subsidiary, company=company, finalize=True)  # 1,000.00 EUR
    html = member_client.get(reverse("billing:invoice-payment-create", args=[invoice.pk])).content.decode()
    assert "still due 1,000.00 EUR" in html


# --- nothing formats a number by hand -----------------------------------------------------------------------

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
HAND_FORMATTING = re.compile(r"\.normalize\b|\|\s*(intcomma|floatformat|stringformat)\b")


def test_no_template_formats_a_number_by_hand():
    """`.normalize` gives "2E+1"; intcomma and floatformat round and group their own way. Pages use the
    billing_format filters (money, percent, number), which are the billing.money helpers."""
    offenders = [
        f"{path.relative_to(TEMPLATES_DIR)}:{number}"
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if HAND_FORMATTING.search(line)
    ]
    assert offenders == []


def test_no_python_code_formats_a_decimal_by_hand():
    """`Decimal.normalize()` in an f-string is how "2E+1%" reached the Xero setup page."""
    root = Path(settings.BASE_DIR)
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("billing", "integrations", "productive")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "money.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if ".normalize()" in line
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        (D("250.0000"), "250.00"),  # was "250" on the copy prompt and the invoice page
        (D("99.9950"), "99.995"),
        (D("0.3333"), "0.3333"),
        (D("1234.5"), "1,234.50"),
        (D("0"), "0.00"),
        (D("2E+1"), "20.00"),
    ],
)
def test_unit_prices_show_their_cents_and_up_to_four_decimals(price, shown):
    assert format_unit_price(price) == shown

"""billing.services: totals and per-line rounding, numbering, payment status, and bad input changing nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.choices import ApprovalStatus, InvoiceNumbering, InvoiceStatus, PaymentSource, PaymentStatus
from billing.models import Expense, ExpensePayment, Invoice, InvoiceLine, Payment, PurchaseOrder, ServiceType, TaxRate
from billing.services import (
    LineInput,
    expense_create,
    expense_payment_delete,
    expense_payment_record,
    expense_update,
    invoice_create,
    invoice_finalize,
    invoice_set_number,
    invoice_update,
    invoice_void,
    payment_delete,
    payment_delete_manual,
    payment_record,
    payment_restore,
    purchase_order_create,
    purchase_order_update,
    settings_object_create,
    settings_object_update,
    subsidiary_set_invoice_numbering,
)
from tests.factories import (
    BudgetFactory,
    CompanyFactory,
    ServiceTypeFactory,
    SubsidiaryFactory,
    TaxRateFactory,
    make_invoice,
)

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date(2026, 11, 1)


def line(description="Work", quantity="1", unit_price="100", **extra):
    return LineInput(description, D(quantity), D(unit_price), **extra)


def snapshot(invoice):
    """Everything a failed service call must leave untouched."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    lines = list(InvoiceLine.objects.filter(invoice=invoice).values_list("description", "quantity", "unit_price"))
    return (
        invoice.status,
        invoice.number,
        invoice.subject,
        invoice.currency,
        invoice.subtotal,
        invoice.tax_total,
        invoice.total,
        invoice.amount_paid,
        invoice.payment_status,
        lines,
    )


@pytest.fixture
def company(organization):
    return CompanyFactory(organization=organization, default_currency="EUR")


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, name="VAT", percentage=D("21"))


@pytest.fixture
def finalized(subsidiary, company):
    """A finalized invoice of exactly 100.00 EUR (no tax)."""
    return make_invoice(subsidiary=subsidiary, company=company, lines=[line(unit_price="100")], finalize=True)


# --- Totals and rounding -------------------------------------------------------------------------------------


class TestTotals:
    def test_totals_are_decimal_sums_of_lines(self, subsidiary, company, vat):
        invoice = make_invoice(
            subsidiary=subsidiary,
            company=company,
            lines=[line(quantity="2", unit_price="150.00", tax_rate=vat), line(quantity="1.5", unit_price="80")],
        )
        assert invoice.subtotal == D("420.00")
        assert invoice.tax_total == D("63.00")
        assert invoice.total == D("483.00")
        stored = Invoice.objects.get(pk=invoice.pk)
        assert (stored.subtotal, stored.tax_total, stored.total) == (D("420.00"), D("63.00"), D("483.00"))
        assert all(isinstance(value, Decimal) for value in (stored.subtotal, stored.tax_total, stored.total))

    def test_each_line_net_is_rounded_half_up_before_summing(self, subsidiary, company):
        # 0.005 per line rounds to 0.01; summing first would give 0.01 for both lines together.
        invoice = make_invoice(
            subsidiary=subsidiary,
            company=company,
            lines=[line(quantity="1", unit_price="0.005"), line(quantity="1", unit_price="0.005")],
        )
        assert [row.amount for row in invoice.lines.all()] == [D("0.01"), D("0.01")]
        assert invoice.subtotal == D("0.02")

    def test_each_line_tax_is_rounded_half_up_before_summing(self, subsidiary, company, organization):
        five = TaxRateFactory(organization=organization, percentage=D("5"))
        # Tax per line 0.10 x 5% = 0.005 -> 0.01; on the subtotal it would be 0.015 -> 0.02, not 0.03.
        invoice = make_invoice(
            subsidiary=subsidiary,
            company=company,
            lines=[line(unit_price="0.10", tax_rate=five) for _ in range(3)],
        )
        assert [row.tax_amount for row in invoice.lines.all()] == [D("0.01")] * 3
        assert invoice.subtotal == D("0.30")
        assert invoice.tax_total == D("0.03")
        assert invoice.total == D("0.33")

    def test_fractional_quantity_and_four_decimal_price(self, subsidiary, company, organization):
        reduced = TaxRateFactory(organization=organization, percentage=D("9"))
        invoice = make_invoice(
            subsidiary=subsidiary,
            company=company,
            lines=[line(quantity="2.333", unit_price="12.3456", tax_rate=reduced)],
        )
        # 2.333 x 12.3456 = 28.8022848 -> 28.80; 9% of 28.80 = 2.592 -> 2.59
        assert invoice.subtotal == D("28.80")
        assert invoice.tax_total == D("2.59")
        assert invoice.total == D("31.39")

    def test_update_replaces_lines_and_recomputes_totals(self, subsidiary, company, vat):
        invoice = make_invoice(subsidiary=subsidiary, company=company, lines=[line(unit_price="100", tax_rate=vat)])
        invoice = invoice_update(invoice=invoice, subject="New", lines=[line(quantity="3", unit_price="10")])
        invoice.refresh_from_db()
        assert invoice.subject == "New"
        assert list(invoice.lines.values_list("description", "amount")) == [("Work", D("30.00"))]
        assert (invoice.subtotal, invoice.tax_total, invoice.total) == (D("30.00"), D("0.00"), D("30.00"))

    def test_update_without_lines_keeps_lines(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company, lines=[line(unit_price="40")])
        invoice_update(invoice=invoice, note="Thanks")
        invoice.refresh_from_db()
        assert invoice.note == "Thanks"
        assert invoice.total == D("40.00")
        assert invoice.lines.count() == 1

    def test_purchase_order_totals_use_the_same_rounding(self, subsidiary, organization, vat):
        vendor = CompanyFactory(organization=organization, is_supplier=True)
        order = purchase_order_create(
            organization=organization,
            subsidiary=subsidiary,
            vendor=vendor,
            issue_date=DAY,
            lines=[line(unit_price="0.005"), line(quantity="2", unit_price="50", tax_rate=vat)],
        )
        order.refresh_from_db()
        assert order.number == "PO-0001"
        assert order.currency == "EUR"
        assert (order.subtotal, order.tax_total, order.total) == (D("100.01"), D("21.00"), D("121.01"))


# --- Bad input changes nothing -------------------------------------------------------------------------------


class TestInvoiceValidation:
    @pytest.mark.parametrize(
        "bad_line, message",
        [
            (line(quantity="0"), "quantity must be greater than zero"),
            (line(quantity="-1"), "quantity must be greater than zero"),
            (line(unit_price="-0.01"), "unit price cannot be negative"),
            (line(description="   "), "enter a description"),
            (LineInput("Work", "abc", D("1")), "Enter a number"),
        ],
    )
    def test_bad_line_on_create_saves_nothing(self, subsidiary, company, bad_line, message):
        with pytest.raises(ValidationError) as error:
            make_invoice(subsidiary=subsidiary, company=company, lines=[line(), bad_line])
        assert message in str(error.value)
        assert Invoice.objects.count() == 0
        assert InvoiceLine.objects.count() == 0

    def test_bad_line_on_update_keeps_previous_lines(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company, lines=[line(unit_price="70")])
        before = snapshot(invoice)
        with pytest.raises(ValidationError):
            invoice_update(invoice=invoice, subject="Changed", lines=[line(), line(quantity="0")])
        assert snapshot(invoice) == before

    def test_due_date_before_issue_date(self, subsidiary, company):
        with pytest.raises(ValidationError) as error:
            invoice_create(
                organization=subsidiary.organization,
                subsidiary=subsidiary,
                company=company,
                issue_date=DAY,
                due_date=DAY - datetime.timedelta(days=1),
                lines=[line()],
            )
        assert "due_date" in error.value.message_dict
        assert Invoice.objects.count() == 0

    def test_custom_fields_must_be_text(self, subsidiary, company):
        with pytest.raises(ValidationError) as error:
            make_invoice(subsidiary=subsidiary, company=company, custom_fields={"project": 12})
        assert "custom_fields" in error.value.message_dict
        assert Invoice.objects.count() == 0

    def test_finalized_invoice_cannot_be_edited(self, finalized):
        before = snapshot(finalized)
        with pytest.raises(ValidationError, match="Only draft invoices can be edited"):
            invoice_update(invoice=finalized, subject="Sneaky", lines=[line(unit_price="1")])
        assert snapshot(finalized) == before

    def test_derived_fields_cannot_be_set_through_update(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company)
        before = snapshot(invoice)
        with pytest.raises(ValidationError) as error:
            invoice_update(invoice=invoice, total=D("1"), number="X-1", status=InvoiceStatus.FINALIZED)
        assert set(error.value.message_dict) == {"total", "number", "status"}
        assert snapshot(invoice) == before


class TestCurrency:
    def test_budget_in_another_currency_is_refused(self, subsidiary, company, organization):
        budget = BudgetFactory(organization=organization, company=company, subsidiary=subsidiary, currency="GBP")
        with pytest.raises(ValidationError) as error:
            make_invoice(subsidiary=subsidiary, company=company, budget=budget, currency="EUR")
        assert "GBP" in error.value.message_dict["currency"][0]
        assert Invoice.objects.count() == 0

    def test_changing_currency_away_from_budget_is_refused(self, subsidiary, company, organization):
        budget = BudgetFactory(organization=organization, company=company, subsidiary=subsidiary, currency="EUR")
        invoice = make_invoice(subsidiary=subsidiary, company=company, budget=budget, currency="EUR")
        before = snapshot(invoice)
        with pytest.raises(ValidationError) as error:
            invoice_update(invoice=invoice, currency="USD")
        assert "currency" in error.value.message_dict
        assert snapshot(invoice) == before

    def test_payment_in_another_currency_is_refused(self, finalized):
        before = snapshot(finalized)
        with pytest.raises(ValidationError) as error:
            payment_record(invoice=finalized, amount=D("10"), currency="USD", date=DAY)
        assert "EUR" in error.value.message_dict["currency"][0]
        assert Payment.objects.count() == 0
        assert snapshot(finalized) == before

    def test_payment_takes_the_invoice_currency(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company, currency="GBP", finalize=True)
        payment = payment_record(invoice=invoice, amount=D("10"), date=DAY)
        assert payment.currency == "GBP"

    def test_expense_payment_in_another_currency_is_refused(self, organization, company):
        budget = BudgetFactory(organization=organization, company=company)
        expense = expense_create(
            organization=organization, budget=budget, vendor=company, description="Fonts", amount=D("50"), date=DAY
        )
        with pytest.raises(ValidationError):
            expense_payment_record(expense=expense, amount=D("50"), currency="GBP", date=DAY)
        assert ExpensePayment.objects.count() == 0

    def test_purchase_order_currency_must_match_budget(self, subsidiary, organization, company):
        budget = BudgetFactory(organization=organization, company=company, subsidiary=subsidiary, currency="EUR")
        with pytest.raises(ValidationError) as error:
            purchase_order_create(
                organization=organization,
                subsidiary=subsidiary,
                vendor=company,
                budget=budget,
                currency="GBP",
                issue_date=DAY,
            )
        assert "currency" in error.value.message_dict
        assert PurchaseOrder.objects.count() == 0


class TestCrossOrganization:
    """Objects of another tenant (an id smuggled into a form or payload) are refused, and nothing is saved."""

    def test_company_of_another_organization(self, subsidiary, other_organization):
        foreign = CompanyFactory(organization=other_organization)
        with pytest.raises(ValidationError) as error:
            make_invoice(subsidiary=subsidiary, company=foreign)
        assert "company" in error.value.message_dict
        assert Invoice.objects.count() == 0

    def test_subsidiary_of_another_organization(self, organization, company, other_organization):
        foreign = SubsidiaryFactory(organization=other_organization)
        with pytest.raises(ValidationError) as error:
            make_invoice(organization=organization, subsidiary=foreign, company=company)
        assert "subsidiary" in error.value.message_dict
        assert Invoice.objects.count() == 0

    def test_budget_of_another_organization(self, subsidiary, company, other_organization):
        foreign = BudgetFactory(organization=other_organization)
        with pytest.raises(ValidationError) as error:
            make_invoice(subsidiary=subsidiary, company=company, budget=foreign)
        assert "budget" in error.value.message_dict
        assert Invoice.objects.count() == 0

    @pytest.mark.parametrize("field", ["tax_rate", "service_type"])
    def test_line_tax_rate_or_service_type_of_another_organization(
        self, subsidiary, company, other_organization, field
    ):
        foreign = {
            "tax_rate": lambda: TaxRateFactory(organization=other_organization),
            "service_type": lambda: ServiceTypeFactory(organization=other_organization),
        }[field]()
        with pytest.raises(ValidationError, match="unknown service type or tax rate"):
            make_invoice(subsidiary=subsidiary, company=company, lines=[line(**{field: foreign})])
        assert Invoice.objects.count() == 0
        assert InvoiceLine.objects.count() == 0

    def test_update_to_a_foreign_company_changes_nothing(self, subsidiary, company, other_organization):
        invoice = make_invoice(subsidiary=subsidiary, company=company)
        with pytest.raises(ValidationError):
            invoice_update(invoice=invoice, company=CompanyFactory(organization=other_organization))
        assert Invoice.objects.get(pk=invoice.pk).company_id == company.pk

    def test_expense_with_foreign_vendor(self, organization, company, other_organization):
        budget = BudgetFactory(organization=organization, company=company)
        with pytest.raises(ValidationError) as error:
            expense_create(
                organization=organization,
                budget=budget,
                vendor=CompanyFactory(organization=other_organization),
                description="Stock photos",
                amount=D("10"),
                date=DAY,
            )
        assert "vendor" in error.value.message_dict
        assert Expense.objects.count() == 0

    def test_purchase_order_with_foreign_subsidiary(self, organization, company, other_organization):
        with pytest.raises(ValidationError) as error:
            purchase_order_create(
                organization=organization,
                subsidiary=SubsidiaryFactory(organization=other_organization),
                vendor=company,
                issue_date=DAY,
            )
        assert "subsidiary" in error.value.message_dict
        assert PurchaseOrder.objects.count() == 0


# --- Finalize, number, void ----------------------------------------------------------------------------------


class TestFinalize:
    def test_numbers_are_consecutive_per_subsidiary(self, organization, company):
        first = SubsidiaryFactory(organization=organization, invoice_number_prefix="NL-", next_invoice_number=41)
        second = SubsidiaryFactory(organization=organization, invoice_number_prefix="UK-")
        numbers = [
            make_invoice(subsidiary=sub, company=company, finalize=True).number for sub in (first, first, second, first)
        ]
        assert numbers == ["NL-0041", "NL-0042", "UK-0001", "NL-0043"]
        first.refresh_from_db()
        assert first.next_invoice_number == 44

    def test_finalize_sets_status_and_time(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company, finalize=True)
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.FINALIZED
        assert invoice.finalized_at is not None
        assert invoice.payment_status == PaymentStatus.UNPAID

    def test_finalize_without_lines_is_refused_and_uses_no_number(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company, lines=[])
        with pytest.raises(ValidationError) as error:
            invoice_finalize(invoice=invoice)
        assert "lines" in error.value.message_dict
        subsidiary.refresh_from_db()
        assert subsidiary.next_invoice_number == 1
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT

    def test_finalize_with_zero_total_is_refused(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company, lines=[line(unit_price="0")])
        with pytest.raises(ValidationError, match="greater than zero"):
            invoice_finalize(invoice=invoice)
        assert Invoice.objects.get(pk=invoice.pk).number == ""

    def test_finalize_twice_is_refused(self, finalized, subsidiary):
        before = snapshot(finalized)
        with pytest.raises(ValidationError, match="Only a draft can be finalized"):
            invoice_finalize(invoice=finalized)
        assert snapshot(finalized) == before
        subsidiary.refresh_from_db()
        assert subsidiary.next_invoice_number == 2

    def test_an_issued_number_never_changes(self, subsidiary, company):
        issued = make_invoice(subsidiary=subsidiary, company=company, finalize=True)
        with pytest.raises(ValidationError, match="keeps its number"):
            invoice_set_number(invoice=issued, number="XERO-77")
        assert Invoice.objects.get(pk=issued.pk).number == "INV-0001"
        assert invoice_set_number(invoice=issued, number="INV-0001").number == "INV-0001"  # the same: no change

    def test_an_accounting_tool_numbered_subsidiary_finalizes_without_a_number(self, subsidiary, company):
        first = make_invoice(subsidiary=subsidiary, company=company, finalize=True)
        subsidiary_set_invoice_numbering(subsidiary=subsidiary, numbering=InvoiceNumbering.ACCOUNTING_TOOL)
        waiting = make_invoice(subsidiary=subsidiary, company=company, finalize=True)
        assert waiting.status == InvoiceStatus.FINALIZED and waiting.number == "" and waiting.awaits_number
        subsidiary.refresh_from_db()
        assert subsidiary.next_invoice_number == 2  # our sequence is untouched

        with pytest.raises(ValidationError, match="already used"):
            invoice_set_number(invoice=waiting, number=first.number)
        assert invoice_set_number(invoice=waiting, number="XERO-77").number == "XERO-77"
        assert Invoice.objects.get(pk=first.pk).number == "INV-0001"

    def test_back_to_app_numbering_numbers_the_waiting_invoices_in_finalize_order(self, subsidiary, company):
        subsidiary_set_invoice_numbering(subsidiary=subsidiary, numbering=InvoiceNumbering.ACCOUNTING_TOOL)
        later, earlier = (make_invoice(subsidiary=subsidiary, company=company) for _ in range(2))
        invoice_finalize(invoice=earlier)
        invoice_finalize(invoice=later)
        draft = make_invoice(subsidiary=subsidiary, company=company)

        assert subsidiary_set_invoice_numbering(subsidiary=subsidiary, numbering=InvoiceNumbering.APP) == 2

        numbers = dict(Invoice.objects.values_list("pk", "number"))
        assert (numbers[earlier.pk], numbers[later.pk], numbers[draft.pk]) == ("INV-0001", "INV-0002", "")
        with pytest.raises(ValidationError):
            subsidiary_set_invoice_numbering(subsidiary=subsidiary, numbering="sideways")

    def test_set_number_on_a_draft_is_refused(self, subsidiary, company):
        invoice = make_invoice(subsidiary=subsidiary, company=company)
        with pytest.raises(ValidationError):
            invoice_set_number(invoice=invoice, number="X-1")
        assert Invoice.objects.get(pk=invoice.pk).number == ""

    def test_void_only_finalized_and_without_active_payments(self, subsidiary, company, finalized):
        draft = make_invoice(subsidiary=subsidiary, company=company)
        with pytest.raises(ValidationError):
            invoice_void(invoice=draft)
        payment = payment_record(invoice=finalized, amount=D("10"), date=DAY)
        with pytest.raises(ValidationError, match="Remove the invoice's payments"):
            invoice_void(invoice=finalized)
        assert Invoice.objects.get(pk=finalized.pk).status == InvoiceStatus.FINALIZED
        payment_delete(payment=payment)
        voided = invoice_void(invoice=finalized)
        assert voided.status == InvoiceStatus.VOID
        assert voided.voided_at is not None


# --- Payments ------------------------------------------------------------------------------------------------


def status_of(invoice):
    invoice = Invoice.objects.get(pk=invoice.pk)
    return invoice.payment_status, invoice.amount_paid


class TestPaymentStatus:
    def test_transitions_up_and_back_down_on_soft_delete(self, finalized):
        assert status_of(finalized) == (PaymentStatus.UNPAID, D("0.00"))
        first = payment_record(invoice=finalized, amount=D("40.00"), date=DAY, reference="bank 1")
        assert status_of(finalized) == (PaymentStatus.PARTIALLY_PAID, D("40.00"))
        second = payment_record(invoice=finalized, amount=D("60.00"), date=DAY)
        assert status_of(finalized) == (PaymentStatus.PAID, D("100.00"))
        third = payment_record(invoice=finalized, amount=D("0.01"), date=DAY, confirm_overpayment=True)
        assert status_of(finalized) == (PaymentStatus.OVERPAID, D("100.01"))

        payment_delete(payment=third)
        assert status_of(finalized) == (PaymentStatus.PAID, D("100.00"))
        payment_delete(payment=second)
        assert status_of(finalized) == (PaymentStatus.PARTIALLY_PAID, D("40.00"))
        payment_delete(payment=first)
        assert status_of(finalized) == (PaymentStatus.UNPAID, D("0.00"))

        # Soft delete: kept for the record, marked with a time, not counted.
        assert Payment.objects.filter(invoice=finalized).count() == 3
        assert all(p.is_deleted and p.deleted_at for p in Payment.objects.filter(invoice=finalized))

    def test_restore_counts_the_payment_again(self, finalized):
        payment = payment_record(invoice=finalized, amount=D("100"), date=DAY, source=PaymentSource.XERO)
        payment_delete(payment=payment)
        assert status_of(finalized) == (PaymentStatus.UNPAID, D("0.00"))
        restored = payment_restore(payment=payment)
        assert not restored.is_deleted and restored.deleted_at is None
        assert status_of(finalized) == (PaymentStatus.PAID, D("100.00"))

    def test_deleting_twice_is_harmless(self, finalized):
        payment = payment_record(invoice=finalized, amount=D("30"), date=DAY)
        first = payment_delete(payment=payment)
        second = payment_delete(payment=payment)
        assert first.deleted_at == second.deleted_at
        assert status_of(finalized) == (PaymentStatus.UNPAID, D("0.00"))

    def test_payment_keeps_its_source_and_external_id(self, finalized, admin_user):
        payment = payment_record(
            invoice=finalized,
            amount=D("5"),
            date=DAY,
            source=PaymentSource.XERO,
            external_id="abc-123",
            user=admin_user,
        )
        payment.refresh_from_db()
        assert (payment.source, payment.external_id, payment.created_by) == ("xero", "abc-123", admin_user)
        assert payment.organization_id == finalized.organization_id

    @pytest.mark.parametrize(
        "amount, field",
        [(D("0"), "amount"), (D("-5"), "amount"), (D("10.001"), "amount"), ("ten", "amount")],
    )
    def test_bad_amount_changes_nothing(self, finalized, amount, field):
        payment_record(invoice=finalized, amount=D("10"), date=DAY)
        before = snapshot(finalized)
        with pytest.raises(ValidationError) as error:
            payment_record(invoice=finalized, amount=amount, date=DAY)
        assert field in error.value.message_dict
        assert Payment.objects.count() == 1
        assert snapshot(finalized) == before

    def test_missing_date_changes_nothing(self, finalized):
        with pytest.raises(ValidationError) as error:
            payment_record(invoice=finalized, amount=D("10"), date=None)
        assert "date" in error.value.message_dict
        assert Payment.objects.count() == 0
        assert status_of(finalized) == (PaymentStatus.UNPAID, D("0.00"))

    def test_payment_on_draft_or_void_is_refused(self, subsidiary, company):
        draft = make_invoice(subsidiary=subsidiary, company=company)
        voided = invoice_void(invoice=make_invoice(subsidiary=subsidiary, company=company, finalize=True))
        for invoice in (draft, voided):
            with pytest.raises(ValidationError, match="only be recorded on finalized invoices"):
                payment_record(invoice=invoice, amount=D("10"), date=DAY)
        assert Payment.objects.count() == 0


class TestManualPaymentRemoval:
    def test_a_manual_payment_can_be_removed(self, finalized):
        payment = payment_record(invoice=finalized, amount=D("100"), date=DAY)
        payment_delete_manual(payment=payment)
        assert status_of(finalized) == (PaymentStatus.UNPAID, D("0.00"))

    def test_a_synced_payment_is_removed_in_the_accounting_tool_not_here(self, finalized):
        payment = payment_record(invoice=finalized, amount=D("100"), date=DAY, source=PaymentSource.XERO)
        with pytest.raises(ValidationError, match="came from Xero"):
            payment_delete_manual(payment=payment)
        assert not Payment.objects.get(pk=payment.pk).is_deleted
        assert status_of(finalized) == (PaymentStatus.PAID, D("100.00"))


class TestSettingsObjects:
    def test_names_are_unique_per_organization(self, organization, other_organization):
        settings_object_create(organization=organization, model=ServiceType, name="Design")
        with pytest.raises(ValidationError) as error:
            settings_object_create(organization=organization, model=ServiceType, name="Design")
        assert "already has a service type" in error.value.message_dict["name"][0]
        settings_object_create(organization=other_organization, model=ServiceType, name="Design")
        assert ServiceType.objects.filter(name="Design").count() == 2

    def test_invalid_values_save_nothing(self, organization):
        with pytest.raises(ValidationError) as error:
            settings_object_create(organization=organization, model=TaxRate, name="Odd", percentage=D("-1"))
        assert "percentage" in error.value.message_dict
        assert not TaxRate.objects.exists()

    def test_the_organization_cannot_be_moved(self, organization, other_organization):
        rate = settings_object_create(organization=organization, model=TaxRate, name="VAT", percentage=D("21"))
        with pytest.raises(ValidationError) as error:
            settings_object_update(instance=rate, organization=other_organization, percentage=D("9"))
        assert "organization" in error.value.message_dict
        rate.refresh_from_db()
        assert (rate.organization_id, rate.percentage) == (organization.pk, D("21"))


class TestExpenses:
    @pytest.fixture
    def expense(self, organization, company, vat):
        budget = BudgetFactory(organization=organization, company=company)
        return expense_create(
            organization=organization,
            budget=budget,
            vendor=company,
            description="Hosting",
            amount=D("100"),
            tax_rate=vat,
            date=DAY,
        )

    def test_tax_and_currency_are_derived(self, expense):
        expense.refresh_from_db()
        assert expense.currency == "EUR"
        assert expense.tax_amount == D("21.00")
        assert expense.total == D("121.00")
        assert expense.approval_status == ApprovalStatus.PENDING

    def test_payment_status_follows_payments(self, expense):
        part = expense_payment_record(expense=expense, amount=D("21"), date=DAY)
        expense.refresh_from_db()
        assert (expense.payment_status, expense.amount_paid) == (PaymentStatus.PARTIALLY_PAID, D("21.00"))
        expense_payment_record(expense=expense, amount=D("100"), date=DAY)
        expense.refresh_from_db()
        assert expense.payment_status == PaymentStatus.PAID
        expense_payment_delete(payment=part)
        expense.refresh_from_db()
        assert (expense.payment_status, expense.amount_paid) == (PaymentStatus.PARTIALLY_PAID, D("100.00"))

    def test_amount_cannot_change_once_paid(self, expense):
        expense_payment_record(expense=expense, amount=D("10"), date=DAY)
        with pytest.raises(ValidationError):
            expense_update(expense=expense, amount=D("200"))
        assert Expense.objects.get(pk=expense.pk).amount == D("100.00")
        # Other fields still change, and the paid status is recomputed.
        expense_update(expense=expense, description="Hosting (Nov)")
        assert Expense.objects.get(pk=expense.pk).description == "Hosting (Nov)"

    def test_bad_input_changes_nothing(self, expense):
        with pytest.raises(ValidationError) as error:
            expense_update(expense=expense, amount=D("0"), due_date=DAY - datetime.timedelta(days=3))
        assert set(error.value.message_dict) == {"amount", "due_date"}
        stored = Expense.objects.get(pk=expense.pk)
        assert (stored.amount, stored.due_date, stored.tax_amount) == (D("100.00"), None, D("21.00"))

    def test_rejected_expense_cannot_be_paid(self, expense):
        expense_update(expense=expense, approval_status=ApprovalStatus.REJECTED)
        with pytest.raises(ValidationError, match="rejected"):
            expense_payment_record(expense=expense, amount=D("10"), date=DAY)
        assert ExpensePayment.objects.count() == 0


class TestPurchaseOrders:
    def test_duplicate_number_is_refused(self, subsidiary, organization, company):
        order = purchase_order_create(
            organization=organization, subsidiary=subsidiary, vendor=company, number="PO-9", issue_date=DAY
        )
        with pytest.raises(ValidationError) as error:
            purchase_order_create(
                organization=organization, subsidiary=subsidiary, vendor=company, number="PO-9", issue_date=DAY
            )
        assert "already exists" in error.value.message_dict["number"][0]
        assert PurchaseOrder.objects.count() == 1
        # Saving the order under its own number is fine.
        purchase_order_update(purchase_order=order, number="PO-9", note="ok")
        assert PurchaseOrder.objects.get(pk=order.pk).note == "ok"

    def test_bad_lines_on_update_keep_the_old_lines(self, subsidiary, organization, company):
        order = purchase_order_create(
            organization=organization, subsidiary=subsidiary, vendor=company, issue_date=DAY, lines=[line()]
        )
        with pytest.raises(ValidationError):
            purchase_order_update(purchase_order=order, note="x", lines=[line(quantity="-2")])
        order.refresh_from_db()
        assert order.note == ""
        assert order.total == D("100.00")
        assert order.lines.count() == 1

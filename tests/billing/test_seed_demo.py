import datetime
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum
from django.test import Client

from billing.choices import ApprovalStatus, InvoiceStatus, PaymentStatus, Plan, Role
from billing.demo import DEMO_LOGINS, DEMO_ORGANIZATION, OTHER_ORGANIZATION, demo_seed
from billing.models import (
    Budget,
    Company,
    Expense,
    Invoice,
    Membership,
    Organization,
    Payment,
    PurchaseOrder,
    ServiceType,
    Subsidiary,
    TaxRate,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 21)
COUNTED_MODELS = [*apps.get_app_config("billing").get_models(), get_user_model(), EmailAddress]


def _counts():
    return {model._meta.label: model.objects.count() for model in COUNTED_MODELS}


def _snapshot():
    """Every billing row's values, so a second run that rewrote anything would show."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("billing").get_models()
    }


@pytest.fixture
def seeded():
    demo_seed(today=TODAY)
    return Organization.objects.get(name=DEMO_ORGANIZATION)


def test_the_command_is_idempotent():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo data created" in out.getvalue()
    assert "admin@demo.test / demo-admin-pass" in out.getvalue()
    counts, snapshot = _counts(), _snapshot()
    assert all(counts.values()), counts  # every model has demo rows

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert _counts() == counts
    assert _snapshot() == snapshot


class _Rollback(Exception):
    pass


def _history():
    invoices = Invoice.objects.order_by("issue_date", "number", "subject", "total").values_list(
        "subsidiary__name", "company__name", "number", "issue_date", "due_date", "status", "total", "amount_paid"
    )
    expenses = Expense.objects.order_by("date", "description", "amount").values_list(
        "vendor__name", "description", "amount", "date", "approval_status", "amount_paid"
    )
    return list(invoices), list(expenses)


def test_it_is_deterministic_for_a_given_day():
    with pytest.raises(_Rollback), transaction.atomic():
        demo_seed(today=TODAY)
        first = _history()
        raise _Rollback
    assert not Invoice.objects.exists()
    demo_seed(today=TODAY)
    assert _history() == first


def test_the_demo_agency(seeded):
    assert seeded.plan == Plan.ULTIMATE
    subsidiaries = {s.name: (s.default_currency, s.country, s.invoice_number_prefix) for s in _own(Subsidiary, seeded)}
    assert subsidiaries == {"Demo Agency B.V.": ("EUR", "NL", "NL-"), "Demo Agency Ltd": ("GBP", "GB", "UK-")}
    companies = _own(Company, seeded)
    assert len(companies) == 10
    assert sum(c.is_supplier for c in companies) == 3
    assert {s.name for s in _own(ServiceType, seeded)} == {"Design", "Development", "Strategy", "Admin work"}
    assert sorted(t.percentage for t in _own(TaxRate, seeded)) == [0, 9, 20, 21]
    assert _own(Budget, seeded)


def test_invoices_cover_every_state_and_are_consistent(seeded):
    invoices = Invoice.objects.filter(organization=seeded)
    assert 55 <= invoices.count() <= 65
    states = set(invoices.values_list("status", "payment_status"))
    assert {
        (InvoiceStatus.DRAFT, PaymentStatus.UNPAID),
        (InvoiceStatus.FINALIZED, PaymentStatus.UNPAID),
        (InvoiceStatus.FINALIZED, PaymentStatus.PARTIALLY_PAID),
        (InvoiceStatus.FINALIZED, PaymentStatus.PAID),
        (InvoiceStatus.VOID, PaymentStatus.UNPAID),
    } <= states
    for invoice in invoices.annotate(line_count=Count("lines")).select_related("subsidiary"):
        assert invoice.line_count >= 1
        assert invoice.currency == invoice.subsidiary.default_currency
        assert invoice.issue_date <= TODAY
        paid = Payment.objects.filter(invoice=invoice, is_deleted=False).aggregate(s=Sum("amount"))["s"] or 0
        assert invoice.amount_paid == paid
        if invoice.status == InvoiceStatus.DRAFT:
            assert invoice.number == ""
        else:
            assert invoice.number.startswith(invoice.subsidiary.invoice_number_prefix)
    # Numbers follow issue dates within each subsidiary.
    for subsidiary in _own(Subsidiary, seeded):
        numbered = invoices.filter(subsidiary=subsidiary).exclude(number="").order_by("number")
        dates = list(numbered.values_list("issue_date", flat=True))
        assert dates == sorted(dates)


def test_expenses_and_purchase_orders(seeded):
    expenses = Expense.objects.filter(organization=seeded)
    assert expenses.count() == 20
    assert set(expenses.values_list("approval_status", flat=True)) == set(ApprovalStatus.values)
    assert {PaymentStatus.PAID, PaymentStatus.PARTIALLY_PAID, PaymentStatus.UNPAID} <= set(
        expenses.values_list("payment_status", flat=True)
    )
    assert not expenses.filter(approval_status=ApprovalStatus.REJECTED).exclude(payment_status="unpaid").exists()
    orders = PurchaseOrder.objects.filter(organization=seeded)
    assert orders.count() == 5
    assert all(order.total > 0 for order in orders)


def test_users_can_log_in_by_email_with_their_roles(seeded):
    for login in DEMO_LOGINS:
        user = get_user_model().objects.get(email=login.email)
        assert EmailAddress.objects.filter(user=user, email=login.email, verified=True, primary=True).exists()
        membership = Membership.objects.get(user=user)
        assert (membership.organization.name, membership.role) == (login.organization, login.role)
        assert user.is_staff == user.is_superuser == login.is_superuser
        client = Client()
        response = client.post("/accounts/login/", {"login": login.email, "password": login.password})
        assert response.status_code == 302, login.email
        assert "_auth_user_id" in client.session
    assert Membership.objects.get(user__email="member@demo.test").role == Role.MEMBER


def test_the_other_agency_is_separate(seeded):
    other = Organization.objects.get(name=OTHER_ORGANIZATION)
    assert other.plan == Plan.ESSENTIAL
    assert Invoice.objects.filter(organization=other).exists()
    assert len(_own(Company, other)) >= 2
    # Nothing of one agency points at the other's rows.
    assert not Invoice.objects.filter(organization=seeded, company__organization=other).exists()
    assert not Invoice.objects.filter(organization=other, subsidiary__organization=seeded).exists()
    assert not Membership.objects.filter(user__email="other@demo.test", organization=seeded).exists()


def _own(model, organization):
    return list(model.objects.filter(organization=organization))

"""The demo users and divisions, one user per country site with two divisions each, created on first use
(idempotent; safe under concurrent first calls).

Each division has GL accounts (receivables 1300, bank 1100, revenue 8000/8010/8100, costs, VAT payable),
journals (sales 70 and 71, bank 20, general 90), VAT codes (sales and one purchase code) and customers with
Exact's space-padded codes. The Netherlands' second division has no VAT codes at all, to show the app's
"set up VAT codes in Exact first" path.
"""

from django.db import IntegrityError, transaction

from ..kit.clock import now_ms
from .models import ExactDivision, ExactEntity
from .store import epoch_ms, stable_guid

USERS = {
    "nl": {"FullName": "Sanne de Vries", "FirstName": "Sanne", "LastName": "de Vries", "LanguageCode": "nl-NL"},
    "be": {"FullName": "Lotte Peeters", "FirstName": "Lotte", "LastName": "Peeters", "LanguageCode": "nl-BE"},
    "de": {"FullName": "Jonas Becker", "FirstName": "Jonas", "LastName": "Becker", "LanguageCode": "de-DE"},
}
LOCALES = tuple(USERS)

# (code, locale, description, country, VAT codes: (code, description, percentage, type, transaction type))
NO_VAT_DIVISION = 3001102
DIVISIONS = [
    (3001101, "nl", "Sandbox Studio B.V.", "NL", "nl"),
    (NO_VAT_DIVISION, "nl", "Sandbox Holding B.V.", "NL", None),
    (2001101, "be", "Sandbox Studio BV", "BE", "be"),
    (2001102, "be", "Sandbox Atelier SRL", "BE", "be"),
    (4001101, "de", "Sandbox Studio GmbH", "DE", "de"),
    (4001102, "de", "Sandbox Agentur GmbH", "DE", "de"),
]
VAT_CODES = {
    "nl": [
        ("0", "Geen BTW", "0", "N", "S"),
        ("1", "BTW laag tarief, exclusief", "0.09", "E", "S"),
        ("2", "Af te dragen BTW hoog tarief, exclusief", "0.21", "E", "S"),
        ("22", "Voorbelasting BTW hoog tarief", "0.21", "E", "P"),
    ],
    "be": [
        ("0", "BTW 0%", "0", "N", "S"),
        ("1", "BTW 6%", "0.06", "E", "S"),
        ("3", "BTW 21%", "0.21", "E", "S"),
        ("23", "Aftrekbare BTW 21%", "0.21", "E", "P"),
    ],
    "de": [
        ("0", "Steuerfrei", "0", "N", "S"),
        ("1", "Umsatzsteuer 7%", "0.07", "E", "S"),
        ("2", "Umsatzsteuer 19%", "0.19", "E", "S"),
        ("22", "Vorsteuer 19%", "0.19", "E", "P"),
    ],
}
# (code, description, type, balance type, balance side)
GL_ACCOUNTS = [
    ("1100", "Bank", 12, "B", "D"),
    ("1300", "Debiteuren", 20, "B", "D"),
    ("1500", "Af te dragen BTW", 70, "B", "C"),
    ("4000", "Algemene kosten", 120, "W", "D"),
    ("8000", "Omzet diensten", 110, "W", "C"),
    ("8010", "Omzet licenties", 110, "W", "C"),
    ("8100", "Omzet hosting", 110, "W", "C"),
]
RECEIVABLES_GL, BANK_GL, VAT_GL = "1300", "1100", "1500"
# (code, description, type: 20 sales, 12 bank, 90 general)
JOURNALS = [("70", "Verkoopboek", 20), ("71", "Verkoopboek export", 20), ("20", "Bank", 12), ("90", "Memoriaal", 90)]
SALES_JOURNAL, BANK_JOURNAL = "70", "20"
CUSTOMERS = [
    ("Acme Widgets", "ap@acme-widgets.example", "Keizersgracht 1", "1015 CJ", "Amsterdam"),
    ("Blue Harbor Media", "pay@blueharbor.example", "Kade 12", "3011 AA", "Rotterdam"),
]


def user_id(locale: str) -> str:
    return stable_guid("user", locale)


def user(locale: str) -> dict:
    return {**USERS[locale], "UserID": user_id(locale), "Email": f"{locale}.user@sandbox-exact.example"}


def padded_code(number: int) -> str:
    """Account codes are right-aligned in 18 characters (filters must carry the spaces)."""
    return str(number).rjust(18)


def vat_code(code: str) -> str:
    """VAT codes come back padded to three characters ("2  ")."""
    return code.ljust(3)


def demo_divisions_ensure() -> list[ExactDivision]:
    divisions = []
    for spec in DIVISIONS:
        division = ExactDivision.objects.filter(code=spec[0]).first()
        if division is None:
            try:
                with transaction.atomic():
                    division = _division_create(*spec)
            except IntegrityError:  # another process created it first
                division = ExactDivision.objects.get(code=spec[0])
        divisions.append(division)
    return divisions


def _division_create(code: int, locale: str, description: str, country: str, vat_set: str | None) -> ExactDivision:
    division = ExactDivision.objects.create(
        code=code, locale=locale, description=description, country=country, currency="EUR", created_at=now_ms()
    )
    author = user_id(locale)
    seed: list[tuple[str, str, dict]] = []
    codes = VAT_CODES.get(vat_set, []) if vat_set else []
    for vcode, text, percentage, kind, transaction_type in codes:
        seed.append(
            (
                "VATCode",
                stable_guid(code, "vat", vcode),
                {
                    "ID": stable_guid(code, "vat", vcode),
                    "Code": vat_code(vcode),
                    "Description": text,
                    "Percentage": percentage,
                    "Type": kind,
                    "VATTransactionType": transaction_type,
                    "IsBlocked": False,
                    "Charged": False,
                    "CalculationBasis": 0,
                },
            )
        )
    high = next((c for c in codes if c[3] == "E" and c[4] == "S" and c[2] in ("0.21", "0.19")), None)
    for gl_code, text, kind, balance_type, side in GL_ACCOUNTS:
        default_vat = vat_code(high[0]) if high and kind == 110 else None
        seed.append(
            (
                "GLAccount",
                stable_guid(code, "gl", gl_code),
                {
                    "ID": stable_guid(code, "gl", gl_code),
                    "Code": gl_code,
                    "Description": text,
                    "SearchCode": text.upper()[:9],
                    "Type": kind,
                    "TypeDescription": {12: "Bank", 20: "Accounts receivable", 70: "VAT", 110: "Revenue"}.get(
                        kind, "Other costs"
                    ),
                    "BalanceType": balance_type,
                    "BalanceSide": side,
                    "IsBlocked": False,
                    "VATCode": default_vat,
                    "VATDescription": high[1] if default_vat else None,
                },
            )
        )
    for journal_code, text, kind in JOURNALS:
        seed.append(
            (
                "Journal",
                stable_guid(code, "journal", journal_code),
                {
                    "ID": stable_guid(code, "journal", journal_code),
                    "Code": journal_code,
                    "Description": text,
                    "Type": kind,
                    "IsBlocked": False,
                    "Currency": "EUR",
                    "AllowVariableCurrency": kind == 20,
                },
            )
        )
    for number, (name, email, street, postcode, city) in enumerate(CUSTOMERS, start=1):
        seed.append(
            (
                "Account",
                stable_guid(code, "account", number),
                {
                    "ID": stable_guid(code, "account", number),
                    "Code": padded_code(number),
                    "Name": f"{name} {_legal_form(country)}",
                    "Status": "C",
                    "Type": "A",
                    "IsSales": True,
                    "IsSupplier": False,
                    "Blocked": False,
                    "Email": email,
                    "AddressLine1": street,
                    "Postcode": postcode,
                    "City": city,
                    "Country": country.ljust(3),
                    "SalesCurrency": "EUR",
                    "SalesCurrencyDescription": "Euro",
                    "PaymentConditionSales": "30",
                    "SearchCode": name.upper()[:9],
                },
            )
        )
    now = now_ms()
    stamp = {
        "Division": code,
        "Created": epoch_ms(now),
        "Modified": epoch_ms(now),
        "Creator": author,
        "Modifier": author,
    }
    ExactEntity.objects.bulk_create(
        ExactEntity(
            division=division,
            entity=entity,
            key=key,
            timestamp=timestamp,
            body={**body, **stamp},
            created_at=now,
            modified_at=now,
        )
        for timestamp, (entity, key, body) in enumerate(seed, start=1)
    )
    division.last_timestamp = len(seed)
    division.save(update_fields=["last_timestamp"])
    return division


def _legal_form(country: str) -> str:
    return {"NL": "B.V.", "BE": "BV", "DE": "GmbH"}[country]

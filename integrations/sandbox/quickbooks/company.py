"""CompanyInfo and Preferences: one per company, answered from the company row (not stored as entities)."""

from .demo import company_address, currency_ref
from .models import QboCompany
from .store import company_time


def company_info(company: QboCompany) -> dict:
    address = company_address(company)
    return {
        "CompanyName": company.name,
        "LegalName": company.name,
        "CompanyAddr": address,
        "LegalAddr": address,
        "Country": company.country,
        "Email": {"Address": f"books@{company.realm_id}.sandbox.example"},
        "SupportedLanguages": "en",
        "DefaultTimeZone": company.timezone,
        "FiscalYearStartMonth": "January",
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
        "MetaData": {"CreateTime": company_time(company, company.created_at)},
    }


def preferences(company: QboCompany) -> dict:
    return {
        "SalesFormsPrefs": {
            "CustomTxnNumbers": company.custom_txn_numbers,
            "AllowDeposit": True,
            "AllowDiscount": True,
            "AllowShipping": False,
            "DefaultTerms": {"value": "3"},
            "ETransactionEnabledStatus": "NotApplicable",
        },
        "CurrencyPrefs": {"HomeCurrency": currency_ref(company), "MultiCurrencyEnabled": False},
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": company.country == "US"},
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
        "MetaData": {"CreateTime": company_time(company, company.created_at)},
    }

"""Mixed into XeroApi: the pick lists the setup offers (cached by "Refresh lists"): revenue accounts, expense-class
accounts (EXPENSE, DIRECTCOSTS, OVERHEADS, … for bills and purchase orders), tax rates, items.
https://developer.xero.com/documentation/api/accounting/accounts, …/taxrates, …/items
"""

from __future__ import annotations

from integrations.providers.base import RemoteChoice

EXPENSE_CLASS = "EXPENSE"


class XeroLists:
    def list_accounts(self) -> list[RemoteChoice]:
        data = self._get("Accounts", params={"where": 'Status=="ACTIVE" AND Type=="REVENUE"'})
        return [
            RemoteChoice(
                code=str(a["Code"]),
                name=str(a.get("Name") or a["Code"]),
                extra={"tax_type": a.get("TaxType") or "", "type": a.get("Type") or "", "id": a.get("AccountID", "")},
            )
            for a in data.get("Accounts") or []
            if a.get("Code") and a.get("Status", "ACTIVE") == "ACTIVE" and a.get("Type", "REVENUE") == "REVENUE"
        ]

    def list_tax_types(self) -> list[RemoteChoice]:
        data = self._get("TaxRates", params={"where": 'Status=="ACTIVE"'})
        return [
            RemoteChoice(
                code=str(t["TaxType"]),
                name=str(t.get("Name") or t["TaxType"]),
                extra={
                    "rate": str(t.get("EffectiveRate", t.get("DisplayTaxRate", ""))),
                    "can_apply_to_revenue": bool(t.get("CanApplyToRevenue", True)),
                },
            )
            for t in data.get("TaxRates") or []
            if t.get("TaxType") and t.get("Status", "ACTIVE") == "ACTIVE"
        ]

    def list_items(self) -> list[RemoteChoice]:
        data = self._get("Items")
        return [
            RemoteChoice(
                code=str(i["Code"]),
                name=str(i.get("Name") or i["Code"]),
                extra={"sales_account": (i.get("SalesDetails") or {}).get("AccountCode", "")},
            )
            for i in data.get("Items") or []
            if i.get("Code") and i.get("IsSold", True)
        ]

    def list_expense_accounts(self) -> list[RemoteChoice]:
        data = self._get("Accounts", params={"where": f'Status=="ACTIVE" AND Class=="{EXPENSE_CLASS}"'})
        return [
            RemoteChoice(
                code=str(a["Code"]),
                name=str(a.get("Name") or a["Code"]),
                extra={"tax_type": a.get("TaxType") or "", "type": a.get("Type") or "", "id": a.get("AccountID", "")},
            )
            for a in data.get("Accounts") or []
            if a.get("Code")
            and a.get("Status", "ACTIVE") == "ACTIVE"
            and a.get("Class", EXPENSE_CLASS) == EXPENSE_CLASS
        ]

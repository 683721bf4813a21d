from django.db import models


class Plan(models.TextChoices):
    ESSENTIAL = "essential", "Essential"
    PROFESSIONAL = "professional", "Professional"
    ULTIMATE = "ultimate", "Ultimate"


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINALIZED = "finalized", "Finalized"
    VOID = "void", "Void"


class InvoiceNumbering(models.TextChoices):
    """Who gives a subsidiary's finalized invoices their numbers (set by its accounting connection's setup)."""

    APP = "app", "This app (prefix + sequence, at finalization)"
    ACCOUNTING_TOOL = "accounting_tool", "The connected accounting tool (when the invoice is first copied there)"


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", "Unpaid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    OVERPAID = "overpaid", "Overpaid"


class PaymentSource(models.TextChoices):
    """Where a payment was recorded. Integration keys are added as providers arrive."""

    MANUAL = "manual", "Manual"
    XERO = "xero", "Xero"
    QUICKBOOKS = "quickbooks", "QuickBooks Online"
    EXACT = "exact", "Exact Online"
    ECONOMIC = "economic", "e-conomic"


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"

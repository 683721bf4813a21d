"""The invoice as a PDF, drawn with reportlab: the subsidiary bills the company.

Documents are `invariant` (no timestamp or random id, so the same invoice gives the same bytes) and uncompressed,
which keeps their text searchable.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Invoice
from .money import format_money, format_number, format_percentage, format_unit_price

STYLES = getSampleStyleSheet()
BODY = STYLES["BodyText"]
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, textColor=colors.HexColor("#555555"))
RIGHT = ParagraphStyle("right", parent=BODY, alignment=TA_RIGHT)
TITLE = ParagraphStyle("title", parent=STYLES["Title"], alignment=0, fontSize=20, spaceAfter=4)
GRID = colors.HexColor("#d9dee5")


def _text(value) -> str:
    return escape(str(value or ""))


def _address_block(name: str, address: str, extra: list[str]) -> Paragraph:
    lines = [f"<b>{_text(name)}</b>", *(_text(line) for line in (address or "").splitlines() if line.strip())]
    lines += [_text(line) for line in extra if line]
    return Paragraph("<br/>".join(lines), BODY)


def _header(invoice: Invoice) -> list:
    subsidiary, company = invoice.subsidiary, invoice.company
    title = f"Invoice {invoice.number}" if invoice.number else ("Draft invoice" if invoice.is_draft else "Invoice")
    if invoice.status == "void":
        title += " (void)"
    sender = _address_block(
        subsidiary.legal_name or subsidiary.name,
        subsidiary.address,
        [f"VAT number: {subsidiary.vat_number}" if subsidiary.vat_number else ""],
    )
    recipient = _address_block(
        company.name, company.address, [f"VAT number: {company.vat_number}" if company.vat_number else ""]
    )
    facts = [
        ("Invoice number", invoice.number or ("Draft" if invoice.is_draft else "Pending (from the accounting tool)")),
        ("Issue date", invoice.issue_date.isoformat()),
        ("Due date", invoice.due_date.isoformat()),
        ("Currency", invoice.currency),
    ]
    if invoice.po_number:
        facts.append(("PO number", invoice.po_number))
    facts += list((invoice.custom_fields or {}).items())
    facts_table = Table([[Paragraph(_text(k), SMALL), Paragraph(_text(v), BODY)] for k, v in facts])
    top = Table([[sender, facts_table]], colWidths=[95 * mm, 80 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    parts = [Paragraph(_text(title), TITLE), Spacer(1, 4 * mm), top, Spacer(1, 6 * mm)]
    parts += [Paragraph("Bill to", SMALL), recipient, Spacer(1, 6 * mm)]
    if invoice.subject:
        parts += [Paragraph(f"<b>{_text(invoice.subject)}</b>", BODY), Spacer(1, 3 * mm)]
    return parts


def _lines_table(invoice: Invoice) -> Table:
    rows = [["Description", "Qty", "Unit price", "Tax", "Amount"]]
    for line in invoice.lines.all():
        rows.append(
            [
                Paragraph(_text(line.description), BODY),
                format_number(line.quantity),
                format_unit_price(line.unit_price),
                format_percentage(line.tax_rate.percentage) if line.tax_rate else "-",
                format_money(line.amount),
            ]
        )
    table = Table(rows, colWidths=[80 * mm, 18 * mm, 27 * mm, 18 * mm, 32 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, GRID),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _totals_table(invoice: Invoice) -> Table:
    c = invoice.currency
    rows = [
        ["Subtotal", format_money(invoice.subtotal, c)],
        ["Tax", format_money(invoice.tax_total, c)],
        ["Total", format_money(invoice.total, c)],
    ]
    if invoice.status == "finalized":
        rows += [
            ["Paid", format_money(invoice.amount_paid, c)],
            ["Amount due", format_money(invoice.amount_due, c)],
            ["Payment status", invoice.get_payment_status_display()],
        ]
    table = Table(rows, colWidths=[40 * mm, 45 * mm], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONTNAME", (0, 2), (-1, 2), "Helvetica-Bold"),
                ("LINEABOVE", (0, 2), (-1, 2), 0.8, colors.black),
            ]
        )
    )
    return table


def invoice_pdf(invoice: Invoice) -> bytes:
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Invoice {invoice.number or 'draft'}",
        author=invoice.subsidiary.legal_name or invoice.subsidiary.name,
        invariant=1,
        pageCompression=0,
    )
    story = _header(invoice) + [_lines_table(invoice), Spacer(1, 6 * mm), _totals_table(invoice)]
    if invoice.note:
        story += [Spacer(1, 8 * mm), Paragraph(_text(invoice.note).replace("\n", "<br/>"), BODY)]
    document.build(story)
    return buffer.getvalue()

"""The PDF of a draft or booked invoice (GET …/pdf), drawn with reportlab."""

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from ..kit.reply import Reply
from .models import EcoAgreement, EcoDocument


def invoice_pdf(agreement: EcoAgreement, row: EcoDocument) -> Reply:
    body = row.body
    booked = row.kind == "invoices/booked"
    title = f"Faktura {row.number}" if booked else f"Kladde {row.number} (draft)"
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(50, 780, title)
    pdf.setFont("Helvetica", 10)
    pdf.drawString(50, 760, f"{agreement.name} (e-conomic sandbox)   Date: {body['date']}   Due: {body['dueDate']}")
    pdf.drawString(50, 745, f"To: {body['recipient'].get('name', '')}")
    y = 715
    for line in body.get("lines", []):
        pdf.drawString(50, y, str(line.get("description", ""))[:70])
        pdf.drawRightString(540, y, line["totalNetAmount"])
        y -= 15
    pdf.drawRightString(540, y - 10, f"VAT {body['vatAmount']}   Total {body['currency']} {body['grossAmount']}")
    pdf.showPage()
    pdf.save()
    return Reply(200, buffer.getvalue(), "application/pdf")

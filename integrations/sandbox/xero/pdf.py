"""The small PDF Xero returns for GET /Invoices/{id} (or /PurchaseOrders/{id}) with Accept: application/pdf."""

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def document_pdf(org, document, *, title: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{title} {document.number}")
    width, height = A4
    y = height - 60
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(50, y, f"{title} {document.number}")
    pdf.setFont("Helvetica", 10)
    y -= 20
    pdf.drawString(50, y, f"{org.name} (Xero sandbox)")
    y -= 15
    pdf.drawString(50, y, f"To: {document.contact.name}    Date: {document.date.isoformat()}")
    y -= 30
    for line in document.line_items:
        pdf.drawString(50, y, str(line.get("Description", ""))[:70])
        pdf.drawRightString(width - 50, y, f"{line.get('LineAmount')}")
        y -= 15
    y -= 10
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawRightString(width - 50, y, f"Total {document.currency_code} {document.total}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

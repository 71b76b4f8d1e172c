"""A clean, branded A4 quote rendered with fpdf2.

Text uses fpdf2's built-in Helvetica in Windows-1252 (covers €, French accents, « », œ) unless a
Unicode TTF is configured (BILLING_PDF_FONT); characters the font cannot show become "?" instead of
failing the whole document.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from libs.common.events.billing import QuoteView
from services.billing.money import format_amount

ACCENT = (33, 64, 95)
GREY = (110, 110, 110)
LIGHT = (240, 243, 247)
PARIS = ZoneInfo("Europe/Paris")
COLUMNS = ((92.0, "L"), (32.0, "R"), (16.0, "R"), (34.0, "R"))


def _fact(facts: dict[str, str], key: str, default: str = "") -> str:
    value = (facts.get(key) or "").strip()
    # 012 seeds placeholders such as "[BRAND_NAME]": show nothing rather than the placeholder.
    return default if not value or (value.startswith("[") and value.endswith("]")) else value


class QuotePdf(FPDF):
    def __init__(self, font: Path | None) -> None:
        super().__init__(format="A4", unit="mm")
        self.unicode = font is not None
        if font is not None:
            self.add_font("body", "", str(font))
            self.add_font("body", "B", str(font))
            self.family = "body"
        else:
            self.core_fonts_encoding = "windows-1252"
            self.family = "helvetica"
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=22)

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        return value.encode("cp1252", errors="replace").decode("cp1252")

    def put(self, w: float, h: float, value: str, align: str = "L", fill: bool = False,
            new_line: bool = False, link: str = "") -> None:
        self.cell(w, h, self.text_of(value), align=align, fill=fill, link=link,
                  new_x=XPos.LMARGIN if new_line else XPos.RIGHT,
                  new_y=YPos.NEXT if new_line else YPos.TOP)

    def style(self, size: float, bold: bool = False, color: tuple[int, int, int] = (20, 20, 20)) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*color)

    def footer(self) -> None:
        self.set_y(-15)
        self.style(8, color=GREY)
        self.put(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")


def _header(pdf: QuotePdf, quote: QuoteView, facts: dict[str, str]) -> None:
    brand = _fact(facts, "brand_name", _fact(facts, "app_name", "Comptoir"))
    pdf.style(20, bold=True, color=ACCENT)
    pdf.put(110, 10, brand)
    pdf.style(20, bold=True, color=GREY)
    pdf.put(0, 10, "DEVIS", align="R", new_line=True)
    pdf.style(9, color=GREY)
    for key in ("company_address", "address", "contact_email", "phone", "siret", "vat_number"):
        value = _fact(facts, key)
        if value:
            pdf.put(0, 4.5, value, new_line=True)
    pdf.ln(4)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)
    created = quote.created_at.astimezone(PARIS)
    expires = quote.expires_at.astimezone(PARIS)
    pdf.style(10)
    pdf.put(0, 5.5, f"Devis n° {quote.id[:8].upper()}   —   émis le {created:%d/%m/%Y}", new_line=True)
    pdf.put(0, 5.5, f"Valable jusqu'au {expires:%d/%m/%Y à %H:%M} (heure de Paris)", new_line=True)
    if quote.email:
        pdf.put(0, 5.5, f"Client : {quote.email}", new_line=True)
    pdf.ln(5)


def _lines(pdf: QuotePdf, quote: QuoteView) -> None:
    suffix = "TTC" if quote.totals.prices_include_vat else "HT"
    heads = ("Désignation", f"Prix unitaire {suffix}", "Qté", f"Total {suffix}")
    pdf.set_fill_color(*ACCENT)
    pdf.style(9.5, bold=True, color=(255, 255, 255))
    for (width, align), head in zip(COLUMNS, heads, strict=True):
        pdf.put(width, 8, head, align=align, fill=True)
    pdf.ln(8)
    pdf.style(9.5)
    for index, line in enumerate(quote.lines):
        pdf.set_fill_color(*(LIGHT if index % 2 else (255, 255, 255)))
        label = line.label if len(line.label) <= 60 else line.label[:57] + "…"
        values = (label, format_amount(line.unit_price, quote.currency), str(line.quantity),
                  format_amount(line.line_total, quote.currency))
        for (width, align), value in zip(COLUMNS, values, strict=True):
            pdf.put(width, 7, value, align=align, fill=True)
        pdf.ln(7)
    pdf.ln(3)


def _totals(pdf: QuotePdf, quote: QuoteView) -> None:
    t = quote.totals
    rate = f"{(t.vat_rate * 100).normalize():f}".replace(".", ",")
    rows = (("Total HT", t.net, False), (f"TVA ({rate} %)", t.vat, False), ("Total TTC", t.gross, True))
    for label, amount, strong in rows:
        pdf.set_x(pdf.w - pdf.r_margin - 84)
        pdf.style(11 if strong else 10, bold=strong, color=ACCENT if strong else (20, 20, 20))
        pdf.put(50, 7, label, align="R")
        pdf.put(34, 7, format_amount(amount, quote.currency), align="R", new_line=True)
    pdf.ln(6)


def _payment(pdf: QuotePdf, quote: QuoteView, facts: dict[str, str]) -> None:
    if quote.checkout_url:
        pdf.style(10, bold=True)
        pdf.put(0, 6, "Paiement en ligne sécurisé :", new_line=True)
        pdf.style(9, color=(30, 90, 200))
        pdf.multi_cell(0, 5, pdf.text_of(quote.checkout_url), link=quote.checkout_url,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    pdf.style(8.5, color=GREY)
    note = _fact(facts, "quote_terms",
                 "Ce devis est établi à titre indicatif ; il devient ferme à réception du paiement "
                 "avant sa date de validité.")
    pdf.multi_cell(0, 4.5, pdf.text_of(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_quote_pdf(quote: QuoteView, facts: dict[str, str], font: Path | None = None,
                     generated_at: datetime | None = None) -> bytes:
    pdf = QuotePdf(font)
    brand = _fact(facts, "brand_name", "Comptoir")
    pdf.set_title(pdf.text_of(f"Devis {quote.id[:8].upper()}"))
    pdf.set_author(pdf.text_of(brand))
    pdf.set_creator("Comptoir")
    if generated_at is not None:
        pdf.set_creation_date(generated_at)
    pdf.alias_nb_pages()
    pdf.add_page()
    _header(pdf, quote, facts)
    _lines(pdf, quote)
    _totals(pdf, quote)
    _payment(pdf, quote, facts)
    return bytes(pdf.output())

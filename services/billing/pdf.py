"""A French quote (devis) a shop can send, rendered A4 with fpdf2.

The seller's legal mentions come from company facts: `legal_name`, `legal_address`, `siret`, and
`vat_number` or `vat_exempt` = true (printed "TVA non applicable, art. 293 B du CGI"). Without them
no PDF is made (`missing_legal_facts` names what is missing) rather than print placeholders. Lines
show the unit price excluding and including VAT, the VAT per rate and the totals; `payment_terms`
(or a default) closes the document. Money is formatted by Babel for the French locale.

Text uses fpdf2's built-in Helvetica in Windows-1252 (covers €, French accents, « », œ) unless a
Unicode TTF is configured (BILLING_PDF_FONT); characters the font cannot show become "?" instead of
failing the whole document.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from libs.common.events.billing import QuoteView, VatBreakdown
from libs.common.settings import DEFAULT_TIMEZONE
from services.billing.money import format_amount, to_cents

ACCENT = (33, 64, 95)
GREY = (110, 110, 110)
LIGHT = (240, 243, 247)
COLUMNS = ((70.0, "L"), (14.0, "R"), (26.0, "R"), (26.0, "R"), (14.0, "R"), (24.0, "R"))
LEGAL_FACTS = ("legal_name", "legal_address", "siret")
VAT_EXEMPT_MENTION = "TVA non applicable, art. 293 B du CGI"
DEFAULT_TERMS = ("Paiement comptant à la commande, par le lien de paiement sécurisé ou par virement. "
                 "Aucun escompte pour paiement anticipé.")


class LegalFactsMissing(ValueError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"the seller's legal facts are missing: {', '.join(missing)}")
        self.missing = missing


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "oui", "yes", "on")


def missing_legal_facts(facts: dict[str, str]) -> list[str]:
    """The company facts a legal French quote needs that are absent (or still placeholders)."""
    present = {k: _fact(facts, k) for k in (*LEGAL_FACTS, "vat_number", "vat_exempt", "address",
                                             "company_address")}
    missing = [k for k in LEGAL_FACTS if not present[k]
               and not (k == "legal_address" and (present["address"] or present["company_address"]))]
    if not present["vat_number"] and not _truthy(present["vat_exempt"]):
        missing.append("vat_number (or vat_exempt = true)")
    return missing


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


def _brand(facts: dict[str, str]) -> str:
    return _fact(facts, "brand_name") or _fact(facts, "legal_name")


def _header(pdf: QuotePdf, quote: QuoteView, facts: dict[str, str], zone: ZoneInfo) -> None:
    pdf.style(20, bold=True, color=ACCENT)
    pdf.put(110, 10, _brand(facts))
    pdf.style(20, bold=True, color=GREY)
    pdf.put(0, 10, "DEVIS", align="R", new_line=True)
    pdf.style(9, color=GREY)
    address = _fact(facts, "legal_address") or _fact(facts, "company_address") or _fact(facts, "address")
    vat = _fact(facts, "vat_number")
    seller = [_fact(facts, "legal_name"), address, f"SIRET : {_fact(facts, 'siret')}",
              f"N° TVA intracommunautaire : {vat}" if vat else VAT_EXEMPT_MENTION,
              _fact(facts, "contact_email"), _fact(facts, "phone")]
    for value in seller:
        if value:
            pdf.put(0, 4.5, value, new_line=True)
    pdf.ln(4)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(5)
    created = quote.created_at.astimezone(zone)
    expires = quote.expires_at.astimezone(zone)
    pdf.style(10)
    pdf.put(0, 5.5, f"Devis n° {quote_number(quote, zone)}   —   date : {created:%d/%m/%Y}", new_line=True)
    pdf.put(0, 5.5, f"Valable jusqu'au {expires:%d/%m/%Y à %H:%M} ({zone_label(zone)})", new_line=True)
    if quote.email:
        pdf.put(0, 5.5, f"Client : {quote.email}", new_line=True)
    pdf.ln(5)


def quote_number(quote: QuoteView, zone: ZoneInfo) -> str:
    return f"D{quote.created_at.astimezone(zone):%Y%m%d}-{quote.id[:8].upper()}"


def zone_label(zone: ZoneInfo) -> str:
    """« heure de Paris » for Europe/Paris, « heure de New York » for America/New_York, else the zone's name."""
    if "/" not in zone.key:
        return f"heure {zone.key}"
    return f"heure de {zone.key.rsplit('/', 1)[-1].replace('_', ' ')}"


def _rate_text(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}".replace(".", ",") + " %"


def _unit_prices(unit: Decimal, rate: Decimal, include_vat: bool) -> tuple[Decimal, Decimal]:
    """(HT, TTC) of one unit, each to the cent."""
    if include_vat:
        return to_cents(unit / (1 + rate)), unit
    return unit, to_cents(unit * (1 + rate))


def _lines(pdf: QuotePdf, quote: QuoteView, vat_exempt: bool) -> None:
    suffix = "TTC" if quote.totals.prices_include_vat else "HT"
    heads = ("Désignation", "Qté", "PU HT", "PU TTC", "TVA", f"Total {suffix}")
    pdf.set_fill_color(*ACCENT)
    pdf.style(9, bold=True, color=(255, 255, 255))
    for (width, align), head in zip(COLUMNS, heads, strict=True):
        pdf.put(width, 8, head, align=align, fill=True)
    pdf.ln(8)
    pdf.style(9)
    for index, line in enumerate(quote.lines):
        pdf.set_fill_color(*(LIGHT if index % 2 else (255, 255, 255)))
        rate = Decimal("0") if vat_exempt else (line.vat_rate if line.vat_rate is not None
                                                 else quote.totals.vat_rate)
        ht, ttc = _unit_prices(line.unit_price, rate, quote.totals.prices_include_vat)
        label = line.label if len(line.label) <= 44 else line.label[:41] + "…"
        values = (label, str(line.quantity), format_amount(ht, quote.currency), format_amount(ttc, quote.currency),
                  _rate_text(rate), format_amount(line.line_total, quote.currency))
        for (width, align), value in zip(COLUMNS, values, strict=True):
            pdf.put(width, 7, value, align=align, fill=True)
        pdf.ln(7)
    pdf.ln(3)


def _totals(pdf: QuotePdf, quote: QuoteView, vat_exempt: bool) -> None:
    t = quote.totals
    rows: list[tuple[str, Decimal, bool]] = [("Total HT", t.net, False)]
    if vat_exempt:
        rows.append(("TVA", Decimal("0.00"), False))
    else:
        groups = t.by_rate or [VatBreakdown(rate=t.vat_rate, net=t.net, vat=t.vat, gross=t.gross)]
        rows += [(f"TVA {_rate_text(g.rate)} sur {format_amount(g.net, quote.currency)}", g.vat, False)
                 for g in groups]
    rows.append(("Total TTC", t.gross, True))
    for label, amount, strong in rows:
        pdf.set_x(pdf.w - pdf.r_margin - 104)
        pdf.style(11 if strong else 10, bold=strong, color=ACCENT if strong else (20, 20, 20))
        pdf.put(70, 7, label, align="R")
        pdf.put(34, 7, format_amount(amount, quote.currency), align="R", new_line=True)
    if vat_exempt:
        pdf.style(9, color=GREY)
        pdf.put(0, 6, VAT_EXEMPT_MENTION, align="R", new_line=True)
    pdf.ln(6)


def _payment(pdf: QuotePdf, quote: QuoteView, facts: dict[str, str]) -> None:
    if quote.checkout_url:
        pdf.style(10, bold=True)
        pdf.put(0, 6, "Paiement en ligne sécurisé :", new_line=True)
        pdf.style(9, color=(30, 90, 200))
        pdf.multi_cell(0, 5, pdf.text_of(quote.checkout_url), link=quote.checkout_url,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    pdf.style(9, bold=True)
    pdf.put(0, 5, "Conditions de paiement", new_line=True)
    pdf.style(8.5, color=GREY)
    terms = _fact(facts, "payment_terms") or DEFAULT_TERMS
    note = _fact(facts, "quote_terms") or ("Ce devis devient ferme à réception du paiement avant sa date "
                                            "de validité.")
    pdf.multi_cell(0, 4.5, pdf.text_of(f"{terms} {note}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_quote_pdf(quote: QuoteView, facts: dict[str, str], font: Path | None = None,
                     generated_at: datetime | None = None, *, zone: ZoneInfo | None = None) -> bytes:
    """The quote's PDF; `LegalFactsMissing` when the seller's legal mentions are not all known.
    Dates and times are the shop's (`zone`, COMPTOIR_TIMEZONE; Europe/Paris by default)."""
    zone = zone or ZoneInfo(DEFAULT_TIMEZONE)
    missing = missing_legal_facts(facts)
    if missing:
        raise LegalFactsMissing(missing)
    vat_exempt = not _fact(facts, "vat_number")
    pdf = QuotePdf(font)
    brand = _brand(facts)
    pdf.set_title(pdf.text_of(f"Devis {quote_number(quote, zone)}"))
    pdf.set_author(pdf.text_of(brand))
    pdf.set_creator(pdf.text_of(brand))
    if generated_at is not None:
        pdf.set_creation_date(generated_at)
    pdf.alias_nb_pages()
    pdf.add_page()
    _header(pdf, quote, facts, zone)
    _lines(pdf, quote, vat_exempt)
    _totals(pdf, quote, vat_exempt)
    _payment(pdf, quote, facts)
    return bytes(pdf.output())

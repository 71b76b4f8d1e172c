"""`comptoir quote …`: operators create, list and print quotes straight against the database.

Events go through the outbox in the same transaction as the quote, so a running relay (any
service) publishes `quote.created` even though no broker is touched here. Heavy modules (fpdf,
stripe) are imported inside the commands: `comptoir` builds every service's parser at start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from libs.common.events.billing import CreateQuote, QuoteView
from services.billing.errors import PaymentProviderError, QuoteError
from services.billing.money import format_amount
from services.billing.storage import quote_pdf_key

if TYPE_CHECKING:
    from services.billing.deps import Billing

STATUSES = ("pending", "paid", "expired", "cancelled")


def register(subparsers: Any) -> None:
    quote = subparsers.add_parser("quote", help="create, list and print quotes")
    sub = quote.add_subparsers(dest="quote_command", required=True)
    create = sub.add_parser("create", help="create a custom quote from free lines")
    create.add_argument("--email", help="customer e-mail")
    create.add_argument("--session", help="conversation session id")
    create.add_argument("--line", action="append", required=True, metavar="LABEL:UNIT_PRICE:QTY",
                        help="a line; repeat for several (price with . or ,)")
    create.add_argument("--currency", default=None, help="ISO code (default BILLING_CURRENCY, EUR)")
    create.add_argument("--json", action="store_true", help="print the quote as JSON")
    create.set_defaults(handler=_create)
    pdf = sub.add_parser("pdf", help="(re)render a quote's PDF into the file store and print its link")
    pdf.add_argument("id", help="quote id")
    pdf.add_argument("--out", help="also write the PDF to this file")
    pdf.set_defaults(handler=_pdf)
    listing = sub.add_parser("list", help="list recent quotes")
    listing.add_argument("--status", choices=STATUSES, help="only quotes in this state")
    listing.add_argument("--limit", type=int, default=50, help="at most this many, newest first (default 50)")
    listing.add_argument("--json", action="store_true", help="print the quotes as JSON")
    listing.set_defaults(handler=_list)
    attempts = sub.add_parser(
        "invoice-attempts", help="list Wix invoice attempts left in flight by a worker that died",
        description="Billing records an attempt before it asks Wix for a quote's invoice (Wix takes no "
        "idempotency key). An attempt whose worker died before recording Wix's answer stays in flight, "
        "and every later request for that invoice is refused rather than risk a second invoice.")
    attempts.add_argument("--json", action="store_true", help="print the attempts as JSON")
    attempts.set_defaults(handler=_attempts)
    release = sub.add_parser(
        "release-invoice", help="clear a quote's interrupted Wix invoice attempt, once checked on Wix",
        description="Check the invoices in the Wix dashboard first: if Wix holds none for the quote, "
        "releasing the attempt lets the next request (the owner asking again, a redelivered payment) "
        "create it. Refused while the attempt is recent (a worker may still be waiting on Wix) or once "
        "an invoice is recorded for the quote. Exit 0: released; 2: nothing to release (with why).")
    release.add_argument("id", help="quote id")
    release.add_argument("--checked-wix", action="store_true", required=True,
                         help="confirm the Wix dashboard holds no invoice for this quote")
    release.set_defaults(handler=_release_invoice)
    register_catalogue(subparsers)


def register_catalogue(subparsers: Any) -> None:
    catalogue = subparsers.add_parser("catalogue", help="the product catalogue: import, sync, search")
    sub = catalogue.add_subparsers(dest="catalogue_command", required=True)
    imp = sub.add_parser("import", help="import products from a CSV (with a header) or JSON lines file",
                         description="Fields: sku, name, description, price (VAT included), currency, "
                         "vat_rate, stock, category, variant_of, image_url. Exit 0: every row imported; "
                         "3: imported, malformed rows skipped (reported with their line); 2: nothing "
                         "imported (unreadable file, no valid row, or --strict with a bad row).")
    imp.add_argument("file", help="path of the file")
    imp.add_argument("--strict", action="store_true", help="refuse the whole file if any row is malformed")
    imp.set_defaults(handler=_import)
    sync = sub.add_parser("sync", help="synchronise the catalogue from Wix Stores or Stripe now")
    sync.add_argument("source", choices=("wix", "stripe"), help="the provider to read the products from")
    sync.set_defaults(handler=_sync)
    search = sub.add_parser("search", help="search the catalogue (lexical leg; the service adds vectors)")
    search.add_argument("query", help="words of a product name, description or SKU")
    search.add_argument("-k", type=int, default=5, help="how many products (default 5)")
    search.set_defaults(handler=_search)


def _import(args: argparse.Namespace) -> Awaitable[int] | int:
    from pathlib import Path

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"comptoir catalogue: error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    async def run(billing: Billing) -> int:
        from services.billing import catalogue

        report = await catalogue.import_file(data, billing, strict=args.strict)
        for line, reason in report.errors:
            print(f"{args.file}:{line}: {reason}", file=sys.stderr)
        if not report.written:
            why = ("--strict and {n} malformed row(s)" if report.products else "no valid row").format(
                n=len(report.errors))
            print(f"comptoir catalogue: error: nothing imported ({why})", file=sys.stderr)
            return 2
        print(f"imported {report.products} product(s), {report.variants} variant(s)"
              + (f"; skipped {len(report.errors)} malformed row(s)" if report.errors else ""))
        return 3 if report.errors else 0

    return _with_billing(run, "catalogue")


def _sync(args: argparse.Namespace) -> Awaitable[int]:
    async def run(billing: Billing) -> int:
        from services.billing import sync

        report = await sync.full_sync(args.source, billing)
        if report is None:
            print(f"comptoir catalogue: error: {args.source} is not configured", file=sys.stderr)
            return 2
        print(f"{report.source}: {report.products} product(s) synced, {report.retired} retired")
        return 0

    return _with_billing(run, "catalogue")


def _search(args: argparse.Namespace) -> Awaitable[int]:
    async def run(billing: Billing) -> int:
        from libs.common.events.billing import SearchProducts
        from services.billing import catalogue

        found = await catalogue.search(SearchProducts(query=args.query, limit=max(1, min(args.k, 50))), billing)
        for p in found.products:
            stock = "stock not tracked" if p.stock is None else f"stock {p.stock}"
            print(f"{p.id}  {p.name}  {format_amount(p.price, p.currency)}  {stock}"
                  + (f"  variants: {', '.join(v.name for v in p.variants)}" if p.variants else ""))
        return 0

    return _with_billing(run, "catalogue")


async def _with_billing(action: Callable[[Billing], Awaitable[int]], command: str = "quote") -> int:
    from libs.common.db import create_pool
    from libs.common.settings import get_settings
    from services.billing.config import BillingSettings
    from services.billing.deps import build_billing

    settings = get_settings()
    pool = await create_pool(settings, min_size=1, max_size=2)
    billing = build_billing(settings, BillingSettings(), pool)
    try:
        return await action(billing)
    except (QuoteError, PaymentProviderError) as exc:
        print(f"comptoir {command}: error: {exc}", file=sys.stderr)
        return 2
    finally:
        await billing.close()
        await pool.close()


def _create(args: argparse.Namespace) -> Awaitable[int] | int:
    from services.billing.quotes import parse_cli_line

    try:
        lines = [parse_cli_line(text) for text in args.line]
    except QuoteError as exc:
        print(f"comptoir quote: error: {exc}", file=sys.stderr)
        return 2

    async def run(billing: Billing) -> int:
        from services.billing import handlers

        req = CreateQuote(type="custom", email=args.email, session_id=args.session, lines=lines,
                          currency=args.currency or billing.cfg.currency)
        quote = await handlers.create_quote(req, billing)
        print(_as_json(quote) if args.json else _as_text(quote))
        return 0

    return _with_billing(run)


def _pdf(args: argparse.Namespace) -> Awaitable[int]:
    async def run(billing: Billing) -> int:
        from services.billing import handlers

        quote = await handlers.render_pdf(args.id, billing)
        if args.out:
            data = await billing.storage.get(quote_pdf_key(quote.id))
            await asyncio.to_thread(Path(args.out).write_bytes, data)
        print(quote.pdf_url)
        return 0

    return _with_billing(run)


def _list(args: argparse.Namespace) -> Awaitable[int]:
    async def run(billing: Billing) -> int:
        from services.billing import repo

        found = await repo.list_quotes(billing.pool, args.status, None, max(1, min(args.limit, 1000)))
        if args.json:
            print(json.dumps([q.model_dump(mode="json") for q in found], ensure_ascii=False, indent=2))
            return 0
        for q in found:
            print(f"{q.id}  {q.status:9}  {format_amount(q.totals.gross, q.currency):>14}  "
                  f"{q.created_at:%Y-%m-%d %H:%M}  {q.email or '-'}")
        print(f"{len(found)} quote(s)")
        return 0

    return _with_billing(run)


def _attempts(args: argparse.Namespace) -> Awaitable[int]:
    async def run(billing: Billing) -> int:
        from services.billing import repo

        rows = await billing.pool.fetch(repo.LIST_INVOICE_ATTEMPTS_IN_FLIGHT)
        if args.json:
            print(json.dumps([{"quote_id": str(r["quote_id"]), "started_at": r["started_at"].isoformat(),
                               "age_s": round(r["age_s"], 1), "quote_status": r["quote_status"],
                               "email": r["email"]} for r in rows], ensure_ascii=False, indent=2))
            return 0
        for r in rows:
            print(f"{r['quote_id']}  started {r['started_at']:%Y-%m-%d %H:%M:%S} UTC  "
                  f"({_age(r['age_s'])} ago)  quote {r['quote_status'] or 'missing'}  {r['email'] or '-'}")
        print(f"{len(rows)} invoice attempt(s) in flight"
              + ("; check each on Wix, then `comptoir quote release-invoice ID --checked-wix`" if rows else ""))
        return 0

    return _with_billing(run)


def _release_invoice(args: argparse.Namespace) -> Awaitable[int] | int:
    import uuid

    try:
        quote_id = uuid.UUID(args.id)
    except ValueError:
        print(f"comptoir quote: error: not a quote id: {args.id!r}", file=sys.stderr)
        return 2

    async def run(billing: Billing) -> int:
        from libs.common.logging import get_logger
        from services.billing import repo

        # a worker still inside the Wix call holds the attempt: wait out the client's timeout, twice
        settle_s = 2 * billing.cfg.wix_timeout_s
        started = await billing.pool.fetchval(repo.RELEASE_STALE_INVOICE_ATTEMPT, quote_id, settle_s)
        if started is not None:
            get_logger("billing.cli").info("invoice_attempt_released", quote_id=str(quote_id),
                                           started_at=started.isoformat())
            print(f"released the invoice attempt of quote {quote_id} (started {started:%Y-%m-%d %H:%M:%S} UTC); "
                  "the next request for its invoice creates it on Wix")
            return 0
        row = await billing.pool.fetchrow(repo.SELECT_INVOICE_ATTEMPT_STATE, quote_id)
        if row is None:
            why = "no invoice attempt is recorded for it"
        elif row["wix_invoice_id"] is not None or row["invoiced"]:
            why = "its invoice was created on Wix and recorded"
        else:
            why = (f"the attempt started {_age(row['age_s'])} ago and a worker may still be waiting on Wix; "
                   f"try again after {_age(settle_s)}")
        print(f"comptoir quote: error: nothing released for quote {quote_id}: {why}", file=sys.stderr)
        return 2

    return _with_billing(run)


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"


def _as_json(quote: QuoteView) -> str:
    return json.dumps(quote.model_dump(mode="json"), ensure_ascii=False, indent=2)


def _as_text(quote: QuoteView) -> str:
    out = [f"quote {quote.id}  [{quote.status}]  expires {quote.expires_at:%Y-%m-%d %H:%M %Z}"]
    for line in quote.lines:
        out.append(f"  {line.quantity} × {line.label}  @ {format_amount(line.unit_price, quote.currency)}"
                   f"  = {format_amount(line.line_total, quote.currency)}")
    t = quote.totals
    out.append(f"  total HT {format_amount(t.net, quote.currency)}  TVA {format_amount(t.vat, quote.currency)}"
               f"  TTC {format_amount(t.gross, quote.currency)}")
    out.append(f"  pdf: {quote.pdf_url}")
    if quote.checkout_url:
        out.append(f"  checkout: {quote.checkout_url}")
    return "\n".join(out)

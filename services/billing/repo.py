"""Billing SQL: quotes, webhook events, product cache, Wix checkouts and invoices, lead purchases."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from libs.common.db import Conn
from libs.common.events.billing import QuoteLine, QuoteTotals, QuoteView
from libs.common.flags import flag_value
from services.billing.quotes import breakdown

QUOTE_COLUMNS = """
id, type, status, session_id, email, currency, items, total, subtotal_net, vat_amount, vat_rate,
prices_include_vat, created_at, expires_at, pdf_url, checkout_url, stripe_session_id, wix_checkout_id,
invoice_url, metadata->>'pdf_unavailable_reason' AS pdf_unavailable_reason
"""

INSERT_QUOTE = """
INSERT INTO app_quotes (id, type, status, session_id, email, currency, items, total, subtotal_net,
  vat_amount, vat_rate, prices_include_vat, created_at, expires_at, pdf_url, checkout_url,
  stripe_session_id, wix_checkout_id, metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
"""
SELECT_QUOTE = f"SELECT {QUOTE_COLUMNS} FROM app_quotes WHERE id = $1"
SELECT_QUOTE_FOR_UPDATE = f"SELECT {QUOTE_COLUMNS} FROM app_quotes WHERE id = $1 FOR UPDATE"
SELECT_QUOTE_BY_STRIPE_SESSION = (
    f"SELECT {QUOTE_COLUMNS} FROM app_quotes WHERE stripe_session_id = $1 FOR UPDATE"
)
SELECT_QUOTE_BY_WIX_CHECKOUT = f"SELECT {QUOTE_COLUMNS} FROM app_quotes WHERE wix_checkout_id = $1 FOR UPDATE"
LIST_QUOTES = f"""
SELECT {QUOTE_COLUMNS} FROM app_quotes
WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR session_id = $2)
ORDER BY created_at DESC LIMIT $3
"""
SET_PDF_URL = "UPDATE app_quotes SET pdf_url = $2, updated_at = NOW() WHERE id = $1"
SET_STRIPE_CHECKOUT = """
UPDATE app_quotes SET stripe_session_id = $2, checkout_url = $3, updated_at = NOW()
WHERE id = $1 AND status = 'pending'
"""
SET_WIX_CHECKOUT = """
UPDATE app_quotes SET wix_checkout_id = $2, checkout_url = $3, updated_at = NOW()
WHERE id = $1 AND status = 'pending'
"""
MARK_PAID = """
UPDATE app_quotes SET status = 'paid', paid_at = $2, updated_at = NOW()
WHERE id = $1 AND status = 'pending'
"""
# SKIP LOCKED: two billing replicas never expire (and announce) the same quote twice.
EXPIRE_OVERDUE = """
WITH due AS (
  SELECT id FROM app_quotes
  WHERE status = 'pending' AND expires_at <= $1
  ORDER BY expires_at LIMIT $2
  FOR UPDATE SKIP LOCKED
)
UPDATE app_quotes q SET status = 'expired', expired_at = $1, updated_at = NOW()
FROM due WHERE q.id = due.id
RETURNING q.id, q.session_id, q.email
"""

RECORD_WEBHOOK = """
INSERT INTO app_billing_webhook_events (provider, event_id, event_type, status, reason, quote_id, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (provider, event_id) DO NOTHING
RETURNING event_id
"""
SET_WEBHOOK_OUTCOME = """
UPDATE app_billing_webhook_events SET status = $3, reason = $4, quote_id = $5
WHERE provider = $1 AND event_id = $2
"""
SELECT_WEBHOOK = """
SELECT provider, event_id, event_type, status, reason, quote_id, received_at
FROM app_billing_webhook_events WHERE provider = $1 AND event_id = $2
"""

SELECT_CACHE = "SELECT data, expires_at FROM app_product_cache WHERE cache_key = $1"
HIT_CACHE = "UPDATE app_product_cache SET hit_count = COALESCE(hit_count, 0) + 1 WHERE cache_key = $1"
UPSERT_CACHE = """
INSERT INTO app_product_cache (cache_key, data, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (cache_key) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at
"""

INSERT_WIX_CHECKOUT = """
INSERT INTO app_wix_checkout_payments (session_id, checkout_id, status, amount, currency, items,
  customer, quote_id, checkout_url)
VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8)
ON CONFLICT (checkout_id) DO UPDATE SET checkout_url = EXCLUDED.checkout_url, updated_at = NOW()
"""
COMPLETE_WIX_CHECKOUT = """
UPDATE app_wix_checkout_payments SET status = 'completed', order_id = $2, updated_at = NOW()
WHERE checkout_id = $1
"""

INSERT_INVOICE = """
INSERT INTO app_wix_invoices (quote_id, session_id, wix_invoice_id, status, amount, currency,
  invoice_url, due_date, customer_email)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id
"""
SELECT_INVOICE_FOR_UPDATE = """
SELECT id, quote_id, wix_invoice_id, status FROM app_wix_invoices WHERE wix_invoice_id = $1 FOR UPDATE
"""
SET_QUOTE_INVOICE_URL = "UPDATE app_quotes SET invoice_url = $2, updated_at = NOW() WHERE id = $1"
SELECT_QUOTE_INVOICE = """
SELECT id, wix_invoice_id, amount, currency, status FROM app_wix_invoices WHERE quote_id = $1
ORDER BY created_at LIMIT 1
"""
# an attempt on Wix (068): claimed before the call unless one is in flight; a finished one is reused
CLAIM_INVOICE_ATTEMPT = """
INSERT INTO billing_invoice_attempts (quote_id) VALUES ($1)
ON CONFLICT (quote_id) DO UPDATE SET started_at = NOW(), wix_invoice_id = NULL
  WHERE billing_invoice_attempts.wix_invoice_id IS NOT NULL
RETURNING quote_id
"""
SELECT_INVOICE_ATTEMPT = "SELECT started_at FROM billing_invoice_attempts WHERE quote_id = $1"
RELEASE_INVOICE_ATTEMPT = "DELETE FROM billing_invoice_attempts WHERE quote_id = $1 AND wix_invoice_id IS NULL"
FINISH_INVOICE_ATTEMPT = "UPDATE billing_invoice_attempts SET wix_invoice_id = $2 WHERE quote_id = $1"
# attempts left in flight (their worker died between Wix's answer and the commit): the operator's list
LIST_INVOICE_ATTEMPTS_IN_FLIGHT = """
SELECT a.quote_id, a.started_at, EXTRACT(EPOCH FROM NOW() - a.started_at)::float8 AS age_s,
       q.status AS quote_status, q.email
FROM billing_invoice_attempts a LEFT JOIN app_quotes q ON q.id = a.quote_id
WHERE a.wix_invoice_id IS NULL
ORDER BY a.started_at
"""
# the operator checked Wix and found no invoice: the attempt goes, so the next request may create one;
# never while a worker may still be waiting on Wix, never once an invoice is recorded for the quote
RELEASE_STALE_INVOICE_ATTEMPT = """
DELETE FROM billing_invoice_attempts a
WHERE a.quote_id = $1 AND a.wix_invoice_id IS NULL AND a.started_at < NOW() - make_interval(secs => $2)
  AND NOT EXISTS (SELECT 1 FROM app_wix_invoices i WHERE i.quote_id = a.quote_id)
RETURNING a.started_at
"""
SELECT_INVOICE_ATTEMPT_STATE = """
SELECT a.wix_invoice_id, EXTRACT(EPOCH FROM NOW() - a.started_at)::float8 AS age_s,
       EXISTS (SELECT 1 FROM app_wix_invoices i WHERE i.quote_id = a.quote_id) AS invoiced
FROM billing_invoice_attempts a WHERE a.quote_id = $1
"""
SET_INVOICE_METADATA = "UPDATE app_wix_invoices SET metadata = metadata || $2::jsonb WHERE id = $1"
SELECT_LEAD_BY_EMAIL = "SELECT id FROM app_leads WHERE lower(email) = lower($1) LIMIT 1"
SET_INVOICE_STATUS = "UPDATE app_wix_invoices SET status = $2, updated_at = NOW() WHERE id = $1"
SET_QUOTE_INVOICE = """
UPDATE app_quotes SET wix_invoice_id = $2, invoice_url = $3, updated_at = NOW() WHERE id = $1
"""

SELECT_FLAG = "SELECT value FROM app_runtime_state WHERE key = $1"


async def runtime_flag(conn: Conn | asyncpg.Pool, key: str, default: bool) -> bool:
    """A boolean runtime flag (app_runtime_state), read by the platform's one rule (libs/common/flags.py):
    JSON true/false, anything else the default."""
    return flag_value(await conn.fetchval(SELECT_FLAG, key), default)


SELECT_COMPANY_FACTS = "SELECT key, value FROM app_company_facts WHERE active IS NOT FALSE"


def quote_from_row(row: asyncpg.Record) -> QuoteView:
    items = row["items"] if not isinstance(row["items"], str) else json.loads(row["items"])
    gross: Decimal = row["total"] or Decimal("0.00")
    net: Decimal = row["subtotal_net"] if row["subtotal_net"] is not None else gross
    lines = [QuoteLine.model_validate(item) for item in items]
    rate = row["vat_rate"] or Decimal("0")
    by_rate = breakdown(lines, rate, row["prices_include_vat"]) if lines else []
    return QuoteView(
        id=str(row["id"]), type=row["type"], status=row["status"], session_id=row["session_id"],
        email=row["email"], currency=row["currency"] or "EUR",
        lines=lines,
        totals=QuoteTotals(net=net, vat=row["vat_amount"] or gross - net, gross=gross, vat_rate=rate,
                           prices_include_vat=row["prices_include_vat"], by_rate=by_rate),
        created_at=row["created_at"], expires_at=row["expires_at"], pdf_url=row["pdf_url"],
        checkout_url=row["checkout_url"], stripe_session_id=row["stripe_session_id"],
        wix_checkout_id=row["wix_checkout_id"], invoice_url=row["invoice_url"],
        pdf_unavailable_reason=row["pdf_unavailable_reason"],
    )


async def insert_quote(conn: Conn, quote: QuoteView, metadata: dict[str, Any]) -> None:
    t = quote.totals
    await conn.execute(
        INSERT_QUOTE, quote.id, quote.type, quote.status, quote.session_id, quote.email, quote.currency,
        [line.model_dump(mode="json") for line in quote.lines], t.gross, t.net, t.vat, t.vat_rate,
        t.prices_include_vat, quote.created_at, quote.expires_at, quote.pdf_url, quote.checkout_url,
        quote.stripe_session_id, quote.wix_checkout_id, metadata,
    )


async def get_quote(
    conn: Conn | asyncpg.Pool, quote_id: str, *, lock: bool = False
) -> QuoteView | None:
    row = await conn.fetchrow(SELECT_QUOTE_FOR_UPDATE if lock else SELECT_QUOTE, quote_id)
    return quote_from_row(row) if row else None


async def list_quotes(
    conn: Conn | asyncpg.Pool, status: str | None, session_id: str | None, limit: int = 50
) -> list[QuoteView]:
    return [quote_from_row(r) for r in await conn.fetch(LIST_QUOTES, status, session_id, limit)]


async def record_webhook(
    conn: Conn, provider: str, event_id: str, event_type: str, status: str,
    reason: str | None = None, quote_id: str | None = None, payload: dict[str, Any] | None = None,
) -> bool:
    """True when the event is new; False when it was already recorded (a provider retry)."""
    inserted = await conn.fetchval(RECORD_WEBHOOK, provider, event_id, event_type, status, reason,
                                   quote_id, payload or {})
    return inserted is not None


async def set_webhook_outcome(
    conn: Conn, provider: str, event_id: str, status: str, reason: str | None,
    quote_id: str | None,
) -> None:
    await conn.execute(SET_WEBHOOK_OUTCOME, provider, event_id, status, reason, quote_id)


async def expire_overdue(conn: Conn, now: datetime, limit: int) -> list[asyncpg.Record]:
    return list(await conn.fetch(EXPIRE_OVERDUE, now, limit))


async def company_facts(conn: Conn | asyncpg.Pool) -> dict[str, str]:
    return {r["key"]: r["value"] for r in await conn.fetch(SELECT_COMPANY_FACTS)}

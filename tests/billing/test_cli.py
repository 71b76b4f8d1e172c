"""`comptoir quote create|pdf|list` against the per-run database, as an operator runs them."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pypdf
import pytest

from comptoir.cli import build_parser
from libs.common.settings import get_settings

COMPTOIR = str(Path(sys.executable).parent / "comptoir")


def run(db_dsn: str, data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BILLING_")}
    return subprocess.run([COMPTOIR, *args], capture_output=True, text=True, timeout=60, check=False,
                          env={**clean, "LOG_JSON": "true", "DATABASE_URL": db_dsn,
                               "COMPTOIR_DATA_DIR": str(data_dir), **env})


async def test_create_prints_the_quote_as_json_then_pdf_and_list_find_it(db_dsn: str, pool: asyncpg.Pool,
                                                                         tmp_path: Path) -> None:
    session = f"cli-{uuid.uuid4().hex[:8]}"
    created = run(db_dsn, tmp_path, "quote", "create", "--email", "Ops@Example.fr", "--session", session,
                  "--line", "Installation : sur site:250,00:1", "--line", "Câble HDMI:9.99:3", "--json",
                  COMPTOIR_PUBLIC_URL="https://shop.example")
    assert created.returncode == 0, created.stderr
    quote = json.loads(created.stdout)
    assert quote["status"] == "pending" and quote["currency"] == "EUR" and quote["email"] == "ops@example.fr"
    assert quote["totals"] == {"net": "233.31", "vat": "46.66", "gross": "279.97", "vat_rate": "0.20",
                               "prices_include_vat": True,
                               "by_rate": [{"rate": "0.20", "net": "233.31", "vat": "46.66", "gross": "279.97"}]}
    assert [line["label"] for line in quote["lines"]] == ["Installation : sur site", "Câble HDMI"]
    assert quote["checkout_url"] is None
    assert quote["pdf_url"] == f"https://shop.example/v1/files/quotes/{quote['id']}.pdf"  # COMPTOIR_PUBLIC_URL
    assert await pool.fetchval("SELECT total FROM app_quotes WHERE id = $1", uuid.UUID(quote["id"])) == \
        Decimal("279.97")
    assert await pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'quote.created' "
                               "AND aggregate_id = $1", quote["id"]) == 1

    pdf = run(db_dsn, tmp_path, "quote", "pdf", quote["id"], "--out", str(tmp_path / "devis.pdf"),
              COMPTOIR_PUBLIC_URL="https://shop.example")
    assert pdf.returncode == 0, pdf.stderr
    assert pdf.stdout.strip() == quote["pdf_url"]
    text = pypdf.PdfReader(tmp_path / "devis.pdf").pages[0].extract_text()
    assert "279,97 €" in text and "Câble HDMI" in text

    listed = run(db_dsn, tmp_path, "quote", "list", "--status", "pending")
    assert listed.returncode == 0 and quote["id"] in listed.stdout and "279,97 €" in listed.stdout


@pytest.fixture
def inline(db_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., Awaitable[tuple[int, str, str]]]]:
    """The same parser and handlers as the executable, in this process (no 2-second start-up each)."""
    for key in [k for k in os.environ if k.startswith("BILLING_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", db_dsn)
    monkeypatch.setenv("COMPTOIR_DATA_DIR", str(tmp_path))

    async def run_inline(*argv: str, **env: str) -> tuple[int, str, str]:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        args = build_parser().parse_args(["quote", *argv])
        result = args.handler(args)
        code = await result if inspect.isawaitable(result) else result
        out, err = capsys.readouterr()
        return int(code), out, err

    yield run_inline
    get_settings.cache_clear()


@pytest.mark.parametrize("argv", [["create", "--line", "Kit:-5:1"], ["create", "--line", "Kit:5:0"],
                                  ["create", "--line", "nothing"], ["pdf", str(uuid.uuid4())],
                                  ["pdf", "not-an-id"]])
async def test_bad_lines_and_unknown_quotes_are_one_line_errors(inline, argv: list[str]) -> None:
    code, _, err = await inline(*argv)
    assert code == 2
    assert err.startswith("comptoir quote: error:") and len(err.strip().splitlines()) == 1


async def test_a_bad_status_is_refused_by_the_parser(inline) -> None:
    with pytest.raises(SystemExit) as exit_:
        await inline("list", "--status", "lost")
    assert exit_.value.code == 2


async def test_a_stripe_provider_without_a_key_is_a_clear_error(inline) -> None:
    code, _, err = await inline("create", "--line", "Kit:5:1", BILLING_PAYMENT_PROVIDER="stripe")
    assert code == 2 and "Stripe is not configured" in err


async def test_text_output_and_listing_by_status(inline, pool: asyncpg.Pool) -> None:
    code, out, _ = await inline("create", "--line", "Séance photo:180:1", "--email", "a@b.fr",
                                COMPTOIR_PUBLIC_URL="https://shop.example")
    assert code == 0
    # structlog is not configured in-process and prints to stdout: take the quote's own line
    quote_id = next(line for line in out.splitlines() if line.startswith("quote ")).split()[1]
    assert "1 × Séance photo" in out and "TTC 180,00 €" in out
    assert f"pdf: https://shop.example/v1/files/quotes/{quote_id}.pdf" in out
    await pool.execute("UPDATE app_quotes SET status = 'cancelled' WHERE id = $1", uuid.UUID(quote_id))
    code, out, _ = await inline("list", "--status", "cancelled", "--json")
    assert code == 0 and quote_id in [q["id"] for q in json.loads(out[out.index("["):])]
    code, out, _ = await inline("list", "--status", "pending")
    assert quote_id not in out


async def test_interrupted_wix_invoice_attempts_are_listed_and_released_once_checked(
        inline, pool: asyncpg.Pool, capsys: pytest.CaptureFixture[str]) -> None:
    """An attempt left in flight (its worker died between Wix's answer and the commit) blocks the
    quote's invoice for good (tests/billing/test_exactly_once.py); the operator lists it and, having
    checked Wix, releases it. Recent attempts (a worker may still be inside the Wix call) and finished
    ones are never released."""
    stale, recent, finished = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await pool.executemany(
        "INSERT INTO billing_invoice_attempts (quote_id, started_at, wix_invoice_id) VALUES ($1, $2, $3)",
        [(stale, datetime.now(UTC) - timedelta(hours=3), None), (recent, datetime.now(UTC), None),
         (finished, datetime.now(UTC) - timedelta(hours=3), "inv-wix-1")])
    try:
        code, out, _ = await inline("invoice-attempts", "--json")
        listed = {a["quote_id"]: a for a in json.loads(out[out.index("["):])}
        assert code == 0 and {str(stale), str(recent)} <= set(listed) and str(finished) not in listed
        assert listed[str(stale)]["age_s"] >= 3 * 3600 - 60 and listed[str(stale)]["quote_status"] is None

        with pytest.raises(SystemExit) as exit_:  # the confirmation is required
            await inline("release-invoice", str(stale))
        assert exit_.value.code == 2 and "--checked-wix" in capsys.readouterr().err
        for quote_id, why in ((recent, "may still be waiting on Wix"), (finished, "was created on Wix"),
                              ("not-a-quote", "not a quote id")):
            code, _, err = await inline("release-invoice", str(quote_id), "--checked-wix")
            assert code == 2 and why in err and len(err.strip().splitlines()) == 1, err

        code, out, _ = await inline("release-invoice", str(stale), "--checked-wix")
        assert code == 0 and f"released the invoice attempt of quote {stale}" in out
        assert await pool.fetchval("SELECT count(*) FROM billing_invoice_attempts WHERE quote_id = $1", stale) == 0
        code, _, err = await inline("release-invoice", str(stale), "--checked-wix")
        assert code == 2 and "no invoice attempt is recorded" in err
        assert await pool.fetchval("SELECT count(*) FROM billing_invoice_attempts WHERE quote_id = ANY($1)",
                                   [recent, finished]) == 2
    finally:
        await pool.execute("DELETE FROM billing_invoice_attempts WHERE quote_id = ANY($1)", [stale, recent, finished])

"""Quote PDFs served to the visitor through the storage port (never from billing's disk)."""

from __future__ import annotations

import uuid

import httpx

from libs.storage.postgres import PostgresStorage
from services.billing.storage import QuoteFiles, files_base_url, quote_pdf_key
from services.gateway.deps import Gateway


async def test_a_stored_quote_pdf_is_served_inline(client: httpx.AsyncClient, gateway: Gateway) -> None:
    quote_id = str(uuid.uuid4())
    pdf = b"%PDF-1.4\n% devis de test\n%%EOF\n"
    # billing writes through the port as itself; the gateway reads the same store
    billing_files = QuoteFiles(PostgresStorage(gateway.pool, "billing", 1_000_000), "https://shop.example/v1/files")
    url = await billing_files.put(quote_pdf_key(quote_id), pdf, "application/pdf")
    assert url == f"https://shop.example/v1/files/quotes/{quote_id}.pdf"
    response = await client.get(f"/v1/files/quotes/{quote_id}.pdf")
    assert response.status_code == 200
    assert response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="devis-{quote_id[:8]}.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert gateway.files.writer == "gateway"


def test_billing_links_through_the_gateway_public_url_by_default() -> None:
    from libs.common.settings import Settings
    from services.billing.config import BillingSettings

    settings = Settings(COMPTOIR_PUBLIC_URL="https://assistant.example.com")
    assert files_base_url(settings, BillingSettings(_env_file=None)) == "https://assistant.example.com/v1/files"
    told = BillingSettings(_env_file=None, public_files_url="https://cdn.example/files")
    assert files_base_url(settings, told) == "https://cdn.example/files"


async def test_anything_else_is_a_404_with_a_reason(client: httpx.AsyncClient) -> None:
    for name in (f"{uuid.uuid4()}.pdf", "not-a-uuid.pdf", f"{uuid.uuid4()}.txt", f"{uuid.uuid4()}",
                 "..%2F..%2Fetc%2Fpasswd", "%2E%2E.pdf"):
        response = await client.get(f"/v1/files/quotes/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"] == "not_found"

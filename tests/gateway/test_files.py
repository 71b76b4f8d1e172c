"""Quote PDFs served to the visitor from the billing service's file store."""

from __future__ import annotations

import uuid

import httpx

from services.billing.storage import local_storage, quote_pdf_key
from services.gateway.deps import Gateway


async def test_a_stored_quote_pdf_is_served_inline(client: httpx.AsyncClient, gateway: Gateway) -> None:
    quote_id = str(uuid.uuid4())
    pdf = b"%PDF-1.4\n% devis de test\n%%EOF\n"
    storage = local_storage(gateway.settings, gateway.billing)
    await storage.put(quote_pdf_key(quote_id), pdf, "application/pdf")
    response = await client.get(f"/v1/files/quotes/{quote_id}.pdf")
    assert response.status_code == 200
    assert response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="devis-{quote_id[:8]}.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"
    # the address billing hands out when BILLING_PUBLIC_FILES_URL names this route
    storage.public_url = "https://assistant.example.com/v1/files"
    assert storage.url_for(quote_pdf_key(quote_id)) == f"https://assistant.example.com/v1/files/quotes/{quote_id}.pdf"


async def test_anything_else_is_a_404_with_a_reason(client: httpx.AsyncClient) -> None:
    for name in (f"{uuid.uuid4()}.pdf", "not-a-uuid.pdf", f"{uuid.uuid4()}.txt", f"{uuid.uuid4()}",
                 "..%2F..%2Fetc%2Fpasswd", "%2E%2E.pdf"):
        response = await client.get(f"/v1/files/quotes/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"] == "not_found"

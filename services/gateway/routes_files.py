"""Quote PDFs for the visitor: `GET /v1/files/quotes/<quote id>.pdf`, read through the storage port.

The billing service stores each quote's PDF in the platform's file store (libs/storage: Postgres
`app_files` by default, S3-compatible in production), shared by every replica; its `pdf_url` is this
route under `COMPTOIR_PUBLIC_URL` (or `BILLING_PUBLIC_FILES_URL`). The gateway reads the store, never
another service's disk. The quote id is a random UUID (122 bits): the link is the capability, as a
hosted invoice link is. Anything that is not a stored quote's PDF is a 404 with a reason; a store
that does not answer is a 503.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from libs.common.logging import get_logger
from libs.storage import FileNotFound, StorageError
from services.gateway.deps import GatewayDep
from services.gateway.errors import ApiError

log = get_logger("gateway.files")
router = APIRouter(prefix="/v1/files", tags=["files"])


def quote_pdf_key(quote_id: str) -> str:
    """The key billing stores a quote's PDF under (the same rule as services/billing/storage.py)."""
    return f"quotes/{quote_id}.pdf"


@router.get("/quotes/{name}", summary="A quote's PDF", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"},
                       404: {"description": "no such quote PDF"},
                       503: {"description": "the file store is unavailable"}})
async def quote_pdf(name: str, gw: GatewayDep) -> Response:
    stem, dot, extension = name.rpartition(".")
    try:
        quote_id = str(uuid.UUID(stem))
    except ValueError:
        quote_id = ""
    if not dot or extension != "pdf" or not quote_id:
        raise ApiError(404, "not_found", "no such quote PDF: expected /v1/files/quotes/<quote id>.pdf")
    try:
        found = await gw.files.get(quote_pdf_key(quote_id))
    except FileNotFound as exc:
        raise ApiError(404, "not_found", f"no PDF for quote {quote_id}") from exc
    except StorageError as exc:
        log.warning("file_store_unavailable", error=str(exc))
        raise ApiError(503, "storage_unavailable", "the file store did not answer; retry shortly",
                       headers={"Retry-After": "5"}) from exc
    return Response(found.data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="devis-{quote_id[:8]}.pdf"',
        "Cache-Control": "private, max-age=300",
        "X-Content-Type-Options": "nosniff",
    })

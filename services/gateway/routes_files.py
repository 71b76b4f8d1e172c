"""Quote PDFs for the visitor: `GET /v1/files/quotes/<quote id>.pdf`.

The billing service writes each quote's PDF to its file store; set `BILLING_PUBLIC_FILES_URL` to
this gateway's `/v1/files` and the `pdf_url` of a quote (in the chat reply, the widget, the e-mail)
is a link a browser opens. The quote id is a random UUID (122 bits): the link is the capability, as a
hosted invoice link is. Anything that is not a stored quote's PDF is a 404 with a reason.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from services.billing.storage import StorageError, local_storage, quote_pdf_key
from services.gateway.deps import GatewayDep
from services.gateway.errors import ApiError

router = APIRouter(prefix="/v1/files", tags=["files"])


@router.get("/quotes/{name}", summary="A quote's PDF", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"},
                       404: {"description": "no such quote PDF"}})
async def quote_pdf(name: str, gw: GatewayDep) -> Response:
    stem, dot, extension = name.rpartition(".")
    try:
        quote_id = str(uuid.UUID(stem))
    except ValueError:
        quote_id = ""
    if not dot or extension != "pdf" or not quote_id:
        raise ApiError(404, "not_found", "no such quote PDF: expected /v1/files/quotes/<quote id>.pdf")
    try:
        data = await local_storage(gw.settings, gw.billing).get(quote_pdf_key(quote_id))
    except StorageError as exc:
        raise ApiError(404, "not_found", f"no PDF for quote {quote_id}") from exc
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="devis-{quote_id[:8]}.pdf"',
        "Cache-Control": "private, max-age=300",
        "X-Content-Type-Options": "nosniff",
    })

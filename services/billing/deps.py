"""The resources billing's handlers use, made once at start-up (service or CLI) and closed at the end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg

from libs.common.errors import ComptoirError
from libs.common.events.rag import Embeddings, EmbedTexts
from libs.common.logging import get_logger
from libs.common.rpc import RpcClient
from libs.common.settings import DEFAULT_TIMEZONE, Settings
from services.billing.catalog import Catalog
from services.billing.config import BillingSettings
from services.billing.products import Embed
from services.billing.storage import QuoteFiles, quote_files
from services.billing.stripe_client import StripeCheckout
from services.billing.wix import WixClient

log = get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Billing:
    cfg: BillingSettings
    pool: asyncpg.Pool
    storage: QuoteFiles
    catalog: Catalog
    stripe: StripeCheckout | None = None
    wix: WixClient | None = None
    clock: Callable[[], datetime] = field(default=utc_now)
    # the shop's time zone (COMPTOIR_TIMEZONE): dates and times printed on quote PDFs
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    # rag's embeddings (`rag.embed` over the broker), set by the service at start-up; None: lexical only
    embed: Embed | None = None
    embed_down_until: float = 0.0

    async def close(self) -> None:
        await self.catalog.close()
        await self.storage.close()
        if self.stripe is not None:
            await self.stripe.close()
        if self.wix is not None:
            await self.wix.close()


def build_billing(settings: Settings, cfg: BillingSettings, pool: asyncpg.Pool) -> Billing:
    stripe = None
    if cfg.stripe_api_key is not None and cfg.stripe_api_key.get_secret_value():
        stripe = StripeCheckout(cfg.stripe_api_key.get_secret_value(), cfg.stripe_api_base,
                                cfg.stripe_timeout_s, cfg.stripe_max_retries)
    wix = None
    if cfg.wix_api_key is not None and cfg.wix_api_key.get_secret_value():
        wix = WixClient(cfg.wix_api_base, cfg.wix_api_key.get_secret_value(), cfg.wix_site_id,
                        cfg.wix_timeout_s, cfg.wix_max_retries)
    storage = quote_files(settings, cfg, pool)
    return Billing(cfg=cfg, pool=pool, storage=storage, catalog=Catalog(pool, wix, cfg),
                   stripe=stripe, wix=wix, zone=settings.zone())


def rag_embedder(rpc: RpcClient, timeout_s: float) -> Embed:
    """Embeddings from the rag service (`rag.embed`); None when it does not answer.

    A query (one text) waits `timeout_s`; a batch of the periodic job gets 0.1 s more per text.
    """
    async def embed(texts: list[str]) -> tuple[str, list[list[float]]] | None:
        wait = timeout_s + 0.1 * (len(texts) - 1)
        try:
            result = await rpc.request(EmbedTexts.TYPE, EmbedTexts(texts=texts), Embeddings, timeout=wait)
        except ComptoirError as exc:
            log.info("rag_embed_unavailable", error=str(exc))
            return None
        return result.model, result.vectors
    return embed

"""Chat integration harness: the real chat ServiceApp on the real broker and database, the real LLM
client against the local fake OpenAI server, and small stand-ins for our own ports (security, rag,
billing) registered as ServiceApps so every call crosses RabbitMQ as in production.

The stand-in security service runs the security service's real checks (libs.guard.screening
and libs.guard.output_guard) without its incidents and rate limits.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from libs.common.errors import RemoteError
from libs.common.events.billing import (
    CreateQuote,
    ProductResults,
    ProductView,
    QuoteLine,
    QuoteReply,
    QuoteTotals,
    QuoteView,
    SearchProducts,
    VariantView,
)
from libs.common.events.chat import (
    ChatHistory,
    ChatSessionResetReply,
    ChatTurn,
    ChatTurnReply,
    GetChatHistory,
    ResetChatSession,
)
from libs.common.events.rag import Embeddings, EmbedTexts, KnowledgeHit, KnowledgeSearchResults, SearchKnowledge
from libs.common.events.security import GuardOutput, OutputVerdict, ScreenMessage, ScreenVerdict
from libs.common.llm import LLMClient, LLMSettings
from libs.common.rpc import RpcClient
from libs.common.service import HandlerContext, ServiceApp
from libs.common.settings import Settings
from libs.guard.output_guard import check_output
from libs.guard.screening import Screener
from services.chat.app import svc as chat_app
from services.chat.config import ChatSettings
from services.chat.deps import ChatDeps
from services.chat.entities import fold
from services.gateway.demo_facts import seed_demo
from tests.conftest import RUN_ID, DatabaseFactory, own_database, small_pool
from tests.fakes.llm_server import FakeLLMServer

KNOWLEDGE = [
    (
        "c-livraison",
        "demo/livraison.md",
        "Livraison",
        "La livraison est offerte dès 80 € d'achat en France métropolitaine. En dessous, les frais de port "
        "s'élèvent à 5,90 €. La livraison prend 2 à 4 jours ouvrés avec Colissimo.",
    ),
    (
        "c-retours",
        "demo/retours.md",
        "Retours et échanges",
        "Vous disposez de 30 jours après réception pour nous retourner un article. Le remboursement est "
        "effectué dans les 10 jours.",
    ),
    (
        "c-opale",
        "demo/produits.md",
        "Produits",
        "La suspension Opale en verre soufflé coûte 189 €. Elle existe en laiton doré et en noir mat.",
    ),
]
STOP = {"dans", "pour", "avec", "vous", "est", "les", "des", "une", "que", "qui", "quel", "quelle", "votre"}


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]{4,}", fold(text)) if w not in STOP}


def _search(query: str, k: int) -> list[KnowledgeHit]:
    asked = _words(query)
    hits = []
    for ident, source, title, content in KNOWLEDGE:
        shared = asked & _words(content + " " + title)
        if shared:
            similarity = min(0.95, 0.35 + 0.15 * len(shared))
            hits.append(
                KnowledgeHit(
                    id=ident,
                    content=content,
                    source=source,
                    category=None,
                    language="fr",
                    score=similarity,
                    similarity=similarity,
                    chunk_index=0,
                    total_chunks=1,
                    document_id=None,
                    metadata={"title": title, "doc_id": source},
                )
            )
    return sorted(hits, key=lambda h: -h.score)[:k]


SYNCED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# billing's catalogue as its stand-in serves it (billing.search_products)
CATALOGUE = [
    ProductView(id="file:OPALE", source="file", name="Suspension Opale", price=Decimal("189.00"), currency="EUR",
                vat_rate=Decimal("0.20"), stock=4, synced_at=SYNCED, category="luminaires"),
    ProductView(id="file:AMBRE", source="file", name="Bougie Ambre", price=Decimal("24.90"), currency="EUR",
                vat_rate=Decimal("0.20"), stock=12, synced_at=SYNCED, category="bougies",
                variants=[VariantView(id="AMBRE-200", name="200 g", price=Decimal("24.90"), stock=12),
                          VariantView(id="AMBRE-400", name="400 g", price=Decimal("39.90"), stock=0,
                                      in_stock=False)]),
    ProductView(id="file:COFFRET", source="file", name="Coffret découverte", price=Decimal("35.00"),
                currency="EUR", vat_rate=Decimal("0.20"), stock=5, synced_at=SYNCED, category="coffrets"),
    ProductView(id="file:AUTOMNE", source="file", name="Lampe Lumière d'Automne", price=Decimal("129.00"),
                currency="EUR", vat_rate=Decimal("0.20"), stock=2, synced_at=SYNCED, category="luminaires"),
]


def _catalogue_price(line: Any) -> Decimal:
    product = next((p for p in CATALOGUE if p.id == line.product_id), None)
    if product is None:
        raise RemoteError("unknown_product", f"unknown product {line.product_id!r}")
    variant = next((v for v in product.variants if v.id == line.variant_id), None)
    return variant.price if variant is not None else product.price


def build_stub_services(state: dict[str, Any]) -> list[ServiceApp]:
    security = ServiceApp("security", run_relay=False)
    rag = ServiceApp("rag", run_relay=False)
    billing = ServiceApp("billing", run_relay=False)
    screener = Screener(model=False)  # the rules: stable whatever the shipped model's state

    @security.on_request("security.screen")
    async def screen(req: ScreenMessage, ctx: HandlerContext) -> ScreenVerdict:
        state["screened"] += 1
        if req.session_id and req.session_id.startswith("secdown-"):
            raise RuntimeError("security stand-in is down for this session")
        result = screener.screen(req.text)
        return ScreenVerdict(
            verdict=result.verdict,
            type=result.type,
            severity=result.severity,
            score=result.score,
            signals=result.signals,
        )

    @security.on_request("security.guard_output")
    async def guard(req: GuardOutput, ctx: HandlerContext) -> OutputVerdict:
        state["guarded"] += 1
        result = check_output(
            req.reply, canary=req.canary, prompt_fingerprint=req.prompt_fingerprint, allowed_values=req.allowed_values
        )
        if result.verdict == "block":
            return OutputVerdict(
                verdict="block",
                type="disclosure",
                severity=result.severity,
                signals=result.signals,
                reply="Je ne peux pas partager cela.",
            )
        return OutputVerdict(verdict="allow", type="none", severity="low", reply=req.reply)

    @rag.on_request("rag.search")
    async def search(req: SearchKnowledge, ctx: HandlerContext) -> KnowledgeSearchResults:
        return KnowledgeSearchResults(query=req.query, hits=_search(req.query, req.k), table="stub", took_ms=0.1,
                                      high_similarity=state.get("high_similarity"))

    @rag.on_request("rag.embed")
    async def embed(req: EmbedTexts, ctx: HandlerContext) -> Embeddings:
        state["embedded"] += 1
        return Embeddings(model="stub-384", dim=384, vectors=[[0.1] * 384 for _ in req.texts])

    @billing.on_request("billing.search_products", read_only=True)
    async def search_products(req: SearchProducts, ctx: HandlerContext) -> ProductResults:
        if req.product_ids:
            return ProductResults(products=[p for p in CATALOGUE if p.id in req.product_ids])
        words = set(fold(req.query).split())
        hits = [p for p in CATALOGUE if words & set(fold(f"{p.name} {p.category}").split())
                or any(w.rstrip("s") in fold(p.name) for w in words if len(w) > 3)]
        return ProductResults(products=hits[: req.limit], lexical_only=True)

    @billing.on_request("billing.create_quote")
    async def create_quote(req: CreateQuote, ctx: HandlerContext) -> QuoteReply:
        if not req.lines:
            raise RemoteError("bad_request", "no lines")
        prices = [_catalogue_price(line) if line.product_id else line.unit_price or Decimal("0")
                  for line in req.lines]
        lines = [
            QuoteLine(
                label=line.label or next((p.name for p in CATALOGUE if p.id == line.product_id), "article"),
                unit_price=price,
                quantity=line.quantity,
                line_total=price * line.quantity,
                product_id=line.product_id,
                variant_id=line.variant_id,
            )
            for line, price in zip(req.lines, prices, strict=True)
        ]
        gross = sum((line.line_total for line in lines), Decimal("0"))
        now = datetime.now(UTC)
        view = QuoteView(
            id=str(uuid.uuid4()),
            type="custom",
            status="pending",
            session_id=req.session_id,
            email=req.email,
            currency=req.currency,
            lines=lines,
            totals=QuoteTotals(
                net=gross, vat=Decimal("0"), gross=gross, vat_rate=Decimal("0.2"), prices_include_vat=True
            ),
            created_at=now,
            expires_at=now + timedelta(hours=48),
            checkout_url="https://pay.example/q1",
        )
        state["quotes"].append(req)
        return QuoteReply(quote=view)

    return [security, rag, billing]


class ChatHarness:
    def __init__(self, rpc: RpcClient, deps: ChatDeps, fake: FakeLLMServer, state: dict[str, Any]) -> None:
        self.rpc = rpc
        self.deps = deps
        self.fake = fake
        self.state = state

    def use_llm(self, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "base_url": self.fake.base_url,
            "api_key": "sk-test",
            "model": "fake-model",
            "timeout_s": 2.0,
            "max_retries": 1,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.02,
            "breaker_failures": 50,
        }
        values.update(overrides)
        self.deps.llm = LLMClient(LLMSettings.model_validate(values))

    def no_llm(self) -> None:
        self.deps.llm = LLMClient(LLMSettings(base_url=None))

    async def turn(self, message: str, session_id: str | None = None, **fields: Any) -> ChatTurnReply:
        body = ChatTurn(
            session_id=session_id or f"s-{uuid.uuid4().hex}", message=message, request_id=uuid.uuid4().hex, **fields
        )
        return await self.rpc.request(ChatTurn.TYPE, body, ChatTurnReply, timeout=15)

    async def history(self, session_id: str) -> ChatHistory:
        return await self.rpc.request(GetChatHistory.TYPE, GetChatHistory(session_id=session_id), ChatHistory)

    async def reset(self, session_id: str) -> ChatSessionResetReply:
        body = ResetChatSession(session_id=session_id)
        return await self.rpc.request(ResetChatSession.TYPE, body, ChatSessionResetReply)


@pytest.fixture(scope="package")
async def settings(db_factory: DatabaseFactory, amqp_url: str, data_dir: Path) -> AsyncIterator[Settings]:
    """Chat's tests on a database and broker names of their own: the facts and prompt they read are the
    demo shop's, whatever another suite (billing's legal facts, the admin API's prompts) wrote elsewhere."""
    async with own_database(db_factory, "chat", amqp_url, data_dir, f"t{RUN_ID}chat.",
                            clean_broker=True) as chat_settings:
        yield chat_settings


@pytest.fixture(scope="package")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    async with small_pool(settings, 30) as chat_pool:
        yield chat_pool


@pytest.fixture(scope="module")
async def chat(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[ChatHarness]:
    await seed_demo(pool)
    state: dict[str, Any] = {"screened": 0, "embedded": 0, "guarded": 0, "quotes": []}
    chat_settings = ChatSettings(
        flags_poll_s=0.2,
        config_cache_s=0.2,
        security_timeout_s=2.0,
        rag_timeout_s=2.0,
        guard_timeout_s=2.0,
        embed_timeout_s=2.0,
        llm_budget_s=5.0,
        context_embeddings=True,  # off by default; the harness checks the writer still works
        context_embed_delay_s=0.3,
    )
    async with contextlib.AsyncExitStack() as stack:
        fake = await stack.enter_async_context(FakeLLMServer(api_key="sk-test"))
        for stub in build_stub_services(state):
            await stack.enter_async_context(stub.running(settings, pool))
        _, deps = await stack.enter_async_context(
            chat_app.started(
                settings, pool, deps={"chat_settings": chat_settings, "llm_settings": LLMSettings(base_url=None)}
            )
        )
        rpc = await stack.enter_async_context(RpcClient(settings, source="test-chat"))
        yield ChatHarness(rpc, deps, fake, state)


@pytest.fixture
def harness(chat: ChatHarness) -> ChatHarness:
    chat.no_llm()
    chat.fake.requests.clear()
    chat.fake._script.clear()
    return chat

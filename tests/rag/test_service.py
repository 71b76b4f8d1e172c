"""The RAG service on the real broker: rag.search / rag.embed requests, knowledge.* commands."""

from __future__ import annotations

import uuid

import aio_pika
import asyncpg
import pytest

from libs.common.broker import PARK_REASON_HEADER, Names
from libs.common.errors import RemoteError
from libs.common.events.rag import (
    DeleteKnowledgeSource,
    Embeddings,
    EmbedTexts,
    IngestDocument,
    KnowledgeSearchResults,
    SearchKnowledge,
)
from libs.common.outbox import add_event
from libs.common.rpc import RpcClient
from libs.common.settings import Settings
from services.rag.app import svc
from services.rag.runtime import RagRuntime
from tests.conftest import eventually, with_fresh_prefix


@pytest.fixture
async def rsettings(settings: Settings) -> Settings:
    return with_fresh_prefix(settings, COMPTOIR_DELIVERY_LIMIT=2)


async def test_search_and_embed_over_the_broker(rsettings: Settings, pool: asyncpg.Pool,
                                                rag_runtime: RagRuntime) -> None:
    tag = uuid.uuid4().hex[:8]
    async with svc.running(rsettings, pool, deps={"rag": rag_runtime}), \
            RpcClient(rsettings, source="test") as rpc:
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, IngestDocument(
                source=f"{tag}.md", doc_id=f"{tag}-doc", category="faq", format="markdown",
                text="# Garantie\n\nTous nos luminaires sont garantis 5 ans pièces et main-d'œuvre."),
                source="test")

        async def found() -> KnowledgeSearchResults | None:
            res = await rpc.request("rag.search", SearchKnowledge(query="garantie des lampes",
                                                                  source=f"{tag}.md"), KnowledgeSearchResults)
            return res if res.hits else None

        results = await eventually(found, timeout=20.0)
        assert results.hits[0].metadata["doc_id"] == f"{tag}-doc"
        assert results.hits[0].source == f"{tag}.md"

        vectors = await rpc.request("rag.embed", EmbedTexts(texts=["bonjour", "au revoir"]), Embeddings)
        assert vectors.dim == 384 and len(vectors.vectors) == 2 and len(vectors.vectors[0]) == 384

        with pytest.raises(RemoteError) as err:
            await rpc.request("rag.search", SearchKnowledge(query="   "), KnowledgeSearchResults)
        assert err.value.code == "bad_request" and "empty" in err.value.message
        with pytest.raises(RemoteError) as err:
            await rpc.request("rag.embed", EmbedTexts(texts=["x" * 20_001]), Embeddings)
        assert err.value.code == "bad_request"

        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, DeleteKnowledgeSource(source=f"{tag}.md"), source="test")

        async def gone() -> bool:
            return not await pool.fetchval(
                "SELECT count(*) FROM app_knowledge_documents WHERE source = $1", f"{tag}.md")

        await eventually(gone, timeout=20.0)
        assert await pool.fetchval("SELECT count(*) FROM app_outbox WHERE type = 'knowledge.document.deleted' "
                                   "AND aggregate_id = $1", f"knowledge:{tag}-doc") == 1


async def test_unusable_document_command_is_parked_with_its_reason(rsettings: Settings, pool: asyncpg.Pool,
                                                                   rag_runtime: RagRuntime) -> None:
    tag = uuid.uuid4().hex[:8]
    async with svc.running(rsettings, pool, deps={"rag": rag_runtime}):
        async with pool.acquire() as conn, conn.transaction():
            await add_event(conn, IngestDocument(source=f"{tag}-empty", text="   \n  "), source="test")
        connection = await aio_pika.connect(rsettings.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel()
            dlq = await channel.get_queue(f"{Names(rsettings).queue('rag.ingest')}.dlq", ensure=True)

            async def parked() -> aio_pika.abc.AbstractIncomingMessage | None:
                return await dlq.get(fail=False)

            message = await eventually(parked, timeout=20.0)
            await message.ack()
    reason = str((message.headers or {}).get(PARK_REASON_HEADER))
    assert f"cannot ingest {tag}-empty" in reason and "empty" in reason
    assert not await pool.fetchval("SELECT count(*) FROM app_knowledge_documents WHERE source = $1",
                                   f"{tag}-empty")


async def test_a_pdf_from_the_file_store_is_ingested_and_a_fake_one_parked(rsettings: Settings, pool: asyncpg.Pool,
                                                                           rag_runtime: RagRuntime) -> None:
    """The console stores an uploaded PDF in the file store (as the gateway) and sends its key; rag
    reads it through the port and indexes its text. A key with no file, or a file that is not a
    PDF, is parked with the reason."""
    from fpdf import FPDF

    from libs.storage import open_storage

    tag = uuid.uuid4().hex[:8]
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=f"La lampe Orion{tag} est garantie sept ans.")
    gateway_files = open_storage(pool, "gateway")
    await gateway_files.put(f"uploads/{tag}/orion.pdf", bytes(pdf.output()), "application/pdf")
    await gateway_files.put(f"uploads/{tag}/fake.pdf", b"%PDF-1.4 not really", "application/pdf")
    async with svc.running(rsettings, pool, deps={"rag": rag_runtime}):
        async with pool.acquire() as conn, conn.transaction():
            for name in ("orion", "missing", "fake"):
                await add_event(conn, IngestDocument(source=f"upload:{tag}-{name}.pdf", format="pdf", title=name,
                                                     file_key=f"uploads/{tag}/{name}.pdf"), source="test")

        async def indexed() -> str | None:
            text: str | None = await pool.fetchval("SELECT string_agg(c.content, ' ') FROM app_knowledge_chunks c "
                                       "WHERE c.source = $1", f"upload:{tag}-orion.pdf")
            return text

        assert f"Orion{tag} est garantie sept ans" in await eventually(indexed, timeout=20.0)
        connection = await aio_pika.connect(rsettings.amqp_url.get_secret_value())
        async with connection:
            channel = await connection.channel()
            dlq = await channel.get_queue(f"{Names(rsettings).queue('rag.ingest')}.dlq", ensure=True)
            reasons = []
            for _ in range(2):
                async def parked() -> aio_pika.abc.AbstractIncomingMessage | None:
                    return await dlq.get(fail=False)

                message = await eventually(parked, timeout=20.0)
                await message.ack()
                reasons.append(str(message.headers.get(PARK_REASON_HEADER)))
    assert any(f"no stored file uploads/{tag}/missing.pdf" in r for r in reasons), reasons
    assert any(f"upload:{tag}-fake.pdf" in r for r in reasons), reasons

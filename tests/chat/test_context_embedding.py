"""Long-term context embeddings: at most one per visitor per delay, the latest summary, none lost at stop."""

from __future__ import annotations

import asyncio

from services.chat.context_embedding import ContextEmbedder


class Recorder:
    def __init__(self, fail: int = 0) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    async def __call__(self, key: str, summary: str) -> None:
        await asyncio.sleep(0)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("rag unavailable")
        self.calls.append((key, summary))


async def test_rolls_within_the_delay_make_one_embedding_of_the_latest_summary() -> None:
    recorder = Recorder()
    embedder = ContextEmbedder(recorder, delay_s=0.2)
    for n in range(5):
        embedder.schedule("visitor:a", f"summary {n}")
    embedder.schedule("visitor:b", "other visitor")
    assert recorder.calls == [] and embedder.pending == 2
    await asyncio.sleep(0.35)
    assert sorted(recorder.calls) == [("visitor:a", "summary 4"), ("visitor:b", "other visitor")]
    embedder.schedule("visitor:a", "summary 5")  # a later roll: a new period
    await asyncio.sleep(0.35)
    assert recorder.calls[-1] == ("visitor:a", "summary 5") and len(recorder.calls) == 3
    await embedder.stop()


async def test_a_conversation_that_never_pauses_is_embedded_every_max_wait() -> None:
    recorder = Recorder()
    embedder = ContextEmbedder(recorder, delay_s=0.2, max_wait_s=0.45)
    for n in range(10):  # a roll every 0.1 s: never quiet for 0.2 s
        embedder.schedule("visitor:a", f"summary {n}")
        await asyncio.sleep(0.1)
    during = list(recorder.calls)
    await asyncio.sleep(0.3)  # then quiet: the last summary goes too
    assert 1 <= len(during) <= 3, during
    assert recorder.calls[-1] == ("visitor:a", "summary 9")
    await embedder.stop()


async def test_stop_embeds_what_is_pending_at_once() -> None:
    recorder = Recorder()
    embedder = ContextEmbedder(recorder, delay_s=60)
    embedder.schedule("visitor:a", "summary")
    await asyncio.wait_for(embedder.stop(), timeout=2)
    assert recorder.calls == [("visitor:a", "summary")] and embedder.pending == 0


async def test_a_failed_embedding_is_logged_and_the_next_roll_tries_again() -> None:
    recorder = Recorder(fail=1)
    embedder = ContextEmbedder(recorder, delay_s=0.05)
    embedder.schedule("visitor:a", "first")
    await asyncio.sleep(0.15)
    assert recorder.calls == []
    embedder.schedule("visitor:a", "second")
    await asyncio.sleep(0.15)
    assert recorder.calls == [("visitor:a", "second")]
    await embedder.stop()


def test_the_vector_is_made_of_the_visitors_own_lines_recent_first_kept() -> None:
    from services.chat.memory import EMBED_CHARS, embedding_text

    summary = "Visiteur: livrez-vous en Suisse ?\nAssistant: " + "Oui, " * 200 + "\nVisiteur: et la garantie ?"
    assert embedding_text(summary) == "livrez-vous en Suisse ?\net la garantie ?"
    assert embedding_text("Assistant: bonjour") == "Assistant: bonjour"  # no visitor line: as it is
    long = "\n".join(f"Visiteur: question numéro {n}" for n in range(200))
    kept = embedding_text(long)
    assert len(kept) == EMBED_CHARS and kept.endswith("question numéro 199")

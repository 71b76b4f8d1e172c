"""What a turn remembers in the database: entities, leads (+ lead.captured), handoff, history, reset,
runtime flags applied live."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from services.chat import memory, repo
from tests.chat.conftest import ChatHarness


async def _outbox(pool, event_type: str, session_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT envelope FROM app_outbox WHERE type = $1 AND envelope->'data'->>'session_id' = $2 ORDER BY seq",
        event_type,
        session_id,
    )
    return [r["envelope"]["data"] for r in rows]


async def test_entities_are_remembered_with_confidence_and_source(harness: ChatHarness, pool) -> None:
    session = f"s-{uuid.uuid4().hex}"
    message = "Bonjour, je m'appelle Claire Dubois, mon e-mail est Claire.D@Example.fr, tél 06 12 34 56 78"
    await harness.turn(message, session)
    await harness.turn("Mon e-mail est claire.d@example.fr, je préfère le laiton doré", session)
    rows = await pool.fetch(
        "SELECT entity_type, entity_value, confidence, source_message, metadata FROM app_entity_memory "
        "WHERE session_id = $1",
        session,
    )
    found = {(r["entity_type"], r["entity_value"]): r for r in rows}
    assert ("name", "Claire Dubois") in found
    assert ("phone", "0612345678") in found
    assert ("preference", "le laiton doré") in found
    email = found[("email", "claire.d@example.fr")]
    assert email["confidence"] > 0.9 and email["source_message"] == message
    assert email["metadata"]["mentions"] == 2  # the unique constraint held: one row, mentioned twice
    assert sum(1 for r in rows if r["entity_type"] == "email") == 1


async def test_lead_is_captured_scored_and_unique_by_email(harness: ChatHarness, pool) -> None:
    email = f"Lead.{uuid.uuid4().hex[:8]}@Example.FR"
    first, second = f"s-{uuid.uuid4().hex}", f"s-{uuid.uuid4().hex}"
    reply = await harness.turn(f"Je voudrais commander la suspension Opale, mon email est {email}", first)
    assert reply.lead_id is not None
    lead = await pool.fetchrow("SELECT email, score, session_id FROM app_leads WHERE id = $1::uuid", reply.lead_id)
    assert lead["email"] == email.lower()
    assert lead["score"] >= 35 + 20  # purchase intent + e-mail
    events = await _outbox(pool, "lead.captured", first)
    assert events and events[0]["lead_id"] == reply.lead_id and events[0]["created"] is True

    again = await harness.turn(f"C'est encore moi, {email.upper()}, et mon tél est 0611223344", second)
    assert again.lead_id == reply.lead_id
    count = await pool.fetchval("SELECT count(*) FROM app_leads WHERE lower(email) = lower($1)", email)
    assert count == 1
    phone = await pool.fetchval("SELECT phone FROM app_leads WHERE id = $1::uuid", reply.lead_id)
    assert phone == "0611223344"


async def test_no_contact_no_lead(harness: ChatHarness, pool) -> None:
    reply = await harness.turn("Quels sont les frais de livraison ?")
    assert reply.lead_id is None


async def test_visitor_asks_for_a_human(harness: ChatHarness, pool) -> None:
    session = f"s-{uuid.uuid4().hex}"
    reply = await harness.turn("Je veux parler à un conseiller, ma lampe est arrivée cassée", session)
    assert reply.handoff
    assert "conseiller de Maison Lumière" in reply.reply
    assert "laissez-nous votre e-mail" in reply.reply  # says what happens next and what we need
    events = await _outbox(pool, "chat.handoff.requested", session)
    assert events and events[0]["reason"] == "visitor_asked"
    english = await harness.turn("I want to talk to a real person please", locale="en")
    assert english.handoff and "adviser" in english.reply


async def test_assistant_stuck_on_shop_questions_hands_off(harness: ChatHarness, pool) -> None:
    session = f"s-{uuid.uuid4().hex}"
    for question in ("Quel est le prix de la lampe Zigbee Z3000 ?", "Et le prix du modèle Z4000 ?"):
        assert not (await harness.turn(question, session)).handoff
    reply = await harness.turn("Quel est le tarif du Z5000 ?", session)
    assert reply.handoff
    events = await _outbox(pool, "chat.handoff.requested", session)
    assert events[0]["reason"] == "assistant_stuck"


async def test_history_then_reset(harness: ChatHarness, pool) -> None:
    session = f"s-{uuid.uuid4().hex}"
    await harness.turn("Quels sont les frais de livraison ? je m'appelle Paul Durand", session)
    history = await harness.history(session)
    assert history.exists and [m.role for m in history.messages] == ["user", "assistant"]
    assert history.messages[1].citations[0].chunk_id == "c-livraison"
    assert (await harness.reset(session)).reset
    after = await harness.history(session)
    assert after.exists and after.messages == [] and after.message_count == 0
    assert await pool.fetchval("SELECT count(*) FROM app_entity_memory WHERE session_id = $1", session) == 0
    assert await _outbox(pool, "chat.session.reset", session)
    assert not (await harness.reset(f"s-{uuid.uuid4().hex}")).reset
    assert not (await harness.history(f"s-{uuid.uuid4().hex}")).exists


async def _set_flag(pool, key: str, value: bool) -> None:
    await pool.execute("UPDATE app_runtime_state SET value = $2, updated_at = NOW() WHERE key = $1", key, value)


async def test_kill_switch_applies_live_without_restart(harness: ChatHarness, pool) -> None:
    harness.use_llm()
    assert (await harness.turn("Quels sont les frais de livraison ?")).mode == "llm"
    await _set_flag(pool, "v3KillSwitch", True)
    try:
        started = time.monotonic()
        while harness.deps.flags.current.kill_switch is False:
            assert time.monotonic() - started < 5.0, "flag change not applied"
            await asyncio.sleep(0.05)
        reply = await harness.turn("Quels sont les frais de livraison ?")
        assert reply.mode == "grounded" and reply.fallback_reason == "kill_switch"
    finally:
        await _set_flag(pool, "v3KillSwitch", False)
    while harness.deps.flags.current.kill_switch:
        await asyncio.sleep(0.05)
    assert (await harness.turn("Quels sont les frais de livraison ?")).mode == "llm"


async def test_guard_flags_shape_the_prompt(harness: ChatHarness, pool) -> None:
    harness.use_llm()
    await _set_flag(pool, "roleLockEnabled", False)
    try:
        while harness.deps.flags.current.role_lock:
            await asyncio.sleep(0.05)
        await harness.turn("Quels sont les frais de livraison ?")
        assert "Tu gardes toujours ce rôle" not in harness.fake.requests[-1]["messages"][0]["content"]
    finally:
        await _set_flag(pool, "roleLockEnabled", True)
    while not harness.deps.flags.current.role_lock:
        await asyncio.sleep(0.05)


async def test_topic_lock_redirects_after_off_topic_turns(harness: ChatHarness, pool) -> None:
    session = f"s-{uuid.uuid4().hex}"
    tolerated = 3  # topicLockTurns of migration 010's chat_config
    replies = [await harness.turn("Raconte-moi une blague sur les chats", session) for _ in range(tolerated + 1)]
    assert [r.fallback_reason for r in replies[:tolerated]] == ["not_configured"] * tolerated
    assert replies[-1].fallback_reason == "topic_lock"
    assert "Maison Lumière" in replies[-1].reply and not replies[-1].handoff


async def test_max_turns_is_honoured(harness: ChatHarness, pool) -> None:
    original = await pool.fetchval("SELECT value FROM app_admin_config WHERE key = 'chat_config'")
    await pool.execute("UPDATE app_admin_config SET value = $1 WHERE key = 'chat_config'", {**original, "maxTurns": 2})
    try:
        await asyncio.sleep(0.3)  # the config cache's TTL in these tests
        session = f"s-{uuid.uuid4().hex}"
        for _ in range(2):
            assert (await harness.turn("Quels sont les frais de livraison ?", session)).fallback_reason != "max_turns"
        reply = await harness.turn("Quels sont les frais de livraison ?", session)
        assert reply.fallback_reason == "max_turns" and "longueur maximale" in reply.reply
    finally:
        await pool.execute("UPDATE app_admin_config SET value = $1 WHERE key = 'chat_config'", original)
        await asyncio.sleep(0.3)


async def test_concurrent_turns_of_one_session_both_land(harness: ChatHarness) -> None:
    session = f"s-{uuid.uuid4().hex}"
    await harness.turn("Bonjour", session)
    replies = await asyncio.gather(*(harness.turn(f"Question {i} sur la livraison", session) for i in range(4)))
    history = await harness.history(session)
    assert history.message_count == 10 and len(history.messages) == 10
    assert sorted(m.content for m in history.messages if m.role == "user")[1:] == [
        f"Question {i} sur la livraison" for i in range(4)
    ]
    assert max(r.message_count for r in replies) == 10


async def test_a_reset_long_conversation_starts_clean(harness: ChatHarness) -> None:
    harness.use_llm()
    session = f"s-{uuid.uuid4().hex}"
    for i in range(8):
        await harness.turn(f"Question {i} sur la livraison", session)
    assert (await harness.history(session)).summary
    await harness.reset(session)
    await harness.turn("Nouvelle question sur la livraison", session)
    harness.fake.requests.clear()
    await harness.turn("Et pour la Suisse, la livraison ?", session)
    messages = harness.fake.requests[0]["messages"]
    assert [m["content"] for m in messages[1:]] == [
        "Nouvelle question sur la livraison",
        "Réponse de test.",
        "Et pour la Suisse, la livraison ?",
    ]
    assert "Début de cette conversation" not in messages[0]["content"]


async def test_session_idle_past_its_ttl_starts_over(harness: ChatHarness, pool) -> None:
    session = f"s-{uuid.uuid4().hex}"
    await harness.turn("Je m'appelle Jeanne Roux, quels frais de livraison ?", session)
    await pool.execute(
        "UPDATE app_chat_sessions SET updated_at = NOW() - INTERVAL '91 days' WHERE session_id = $1", session
    )
    reply = await harness.turn("Quels sont les frais de livraison ?", session)
    assert reply.message_count == 2
    history = await harness.history(session)
    assert [m.content for m in history.messages if m.role == "user"] == ["Quels sont les frais de livraison ?"]
    names = await pool.fetchval(
        "SELECT count(*) FROM app_entity_memory WHERE session_id = $1 AND entity_type = 'name'", session
    )
    assert names == 0


async def test_concurrent_ordinary_and_lead_turns_of_one_session(harness: ChatHarness, pool) -> None:
    session = f"s-{uuid.uuid4().hex}"
    email = f"mix.{uuid.uuid4().hex[:6]}@example.fr"
    await harness.turn("Bonjour, quels frais de livraison ?", session)
    messages = [
        f"Je veux commander, mon email est {email}" if i % 2 else f"Question {i} sur la livraison" for i in range(6)
    ]
    await asyncio.gather(*(harness.turn(m, session) for m in messages))
    history = await harness.history(session)
    assert history.message_count == 14
    mentions = await pool.fetchval(
        "SELECT metadata->>'mentions' FROM app_entity_memory WHERE session_id = $1 AND entity_value = $2",
        session,
        email,
    )
    assert mentions == "3"


async def test_a_long_conversation_is_read_by_window_and_written_by_appending(harness: ChatHarness, pool) -> None:
    harness.use_llm()
    session = f"s-{uuid.uuid4().hex}"
    for i in range(15):
        await harness.turn(f"Question {i} sur la livraison", session)
    history = await harness.history(session)
    assert history.message_count == 30 and len(history.messages) == 30  # nothing lost by appending
    assert [m.content for m in history.messages if m.role == "user"] == [f"Question {i} sur la livraison"
                                                                         for i in range(15)]
    async with pool.acquire() as conn:
        window, _, _ = await repo.turn_state(conn, session, session)
        whole = await repo.load_session(conn, session)
    covered = int(whole.metadata["summarized_upto"])
    # the turn reads only what the summary does not cover, and knows how many visitor messages came before
    assert window.window_start == covered > 0 and window.messages == whole.messages[covered:]
    assert window.earlier_visitor_messages == sum(1 for m in whole.messages[:covered] if m["role"] == "user")
    assert memory.turns(window) == memory.turns(whole) == 15
    # stored out of line without compression (migration 043): an append does not recompress it all
    stored = await pool.fetchrow("SELECT pg_column_compression(messages) AS method, "
                                 "pg_column_size(messages) AS size FROM app_chat_sessions WHERE session_id = $1",
                                 session)
    assert stored["method"] is None and stored["size"] > 2000
    keep = harness.deps.settings.keep_recent_messages
    assert memory.recent(window, keep) == memory.recent(whole, keep)
    # the next turn's prompt is the one the whole history gives: the summary, then the recent messages
    harness.fake.requests.clear()
    await harness.turn("Et pour la Suisse ?", session)
    prompt = harness.fake.requests[0]["messages"]
    assert [m["content"] for m in prompt[1:]] == [m["content"] for m in memory.recent(whole, keep)] + [
        "Et pour la Suisse ?"]
    assert whole.summary and whole.summary.splitlines()[-1] in prompt[0]["content"]

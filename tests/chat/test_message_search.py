"""The console's conversation search by words: the message index of migration 067, kept by a
trigger on every way chat writes a history (a turn, an adviser's message, a reset, pruning)."""

from __future__ import annotations

import uuid

import asyncpg

from services.chat import conversations, repo


def _sid() -> str:
    return f"search_{uuid.uuid4().hex[:12]}"


async def _found(pool: asyncpg.Pool, query: str) -> set[str]:
    words = conversations._words_query(query)
    assert words is not None
    rows = await pool.fetch(conversations.LIST_BY_TEXT, None, words, 200, 0)
    assert all(r["total"] == len(rows) for r in rows)
    return {r["session_id"] for r in rows}


async def test_turns_appended_and_rewritten_are_found_by_word_prefix(pool: asyncpg.Pool) -> None:
    mark = uuid.uuid4().hex[:8]
    sid, other = _sid(), _sid()
    first = [{"role": "user", "content": f"Bonjour, la lampe Zinzolin{mark} est-elle en stock ?"},
             {"role": "assistant", "content": "Oui, livraison en 48 h."}]
    session = repo.SessionRow(sid, [], None, 0, {}, exists=False)
    session.message_count = 2
    assert await repo.write_turn(pool, session, first, None, [], "", None, None)  # type: ignore[arg-type]
    session.message_count = 4
    second = [{"role": "user", "content": f"Et la suspension ambre{mark} ?"},
              {"role": "assistant", "content": "Elle arrive lundi."}]
    assert await repo.write_turn(pool, session, second, 2, [], "", None, None)  # type: ignore[arg-type]
    await pool.execute("INSERT INTO app_chat_sessions (session_id, messages, message_count) VALUES ($1, $2, 1)",
                       other, [{"role": "user", "content": f"Rien à voir, ambre{mark} aussi"}])

    assert await _found(pool, f"zinzolin{mark}") == {sid}
    assert await _found(pool, f"ZINZOLIN{mark[:4]}") == {sid}  # a prefix, any case
    assert await _found(pool, f"ambre{mark}") == {sid, other}
    assert await _found(pool, f"suspension ambre{mark}") == {sid}  # every word, in one message
    assert await _found(pool, f"zinzolin{mark} suspension") == set()
    positions = await pool.fetch("SELECT position FROM app_chat_message_terms WHERE session_id = $1 "
                                 "ORDER BY position", sid)
    assert [r["position"] for r in positions] == [1, 2, 3, 4]


async def test_an_advisers_message_is_indexed_and_a_reset_or_deletion_forgets(pool: asyncpg.Pool) -> None:
    mark = uuid.uuid4().hex[:8]
    sid = _sid()
    await pool.execute("INSERT INTO app_chat_sessions (session_id, messages, message_count) VALUES ($1, $2, 1)",
                       sid, [{"role": "user", "content": "Un conseiller ?"}])
    await pool.fetchval(conversations.APPEND_MESSAGE, sid,
                        {"role": "assistant", "mode": "human", "content": f"Claire ici, code promo{mark}"}, {})
    assert await _found(pool, f"promo{mark}") == {sid}
    await pool.execute("SELECT reset_chat_session($1)", sid)
    assert await _found(pool, f"promo{mark}") == set()
    await pool.fetchval(conversations.APPEND_MESSAGE, sid, {"role": "user", "content": f"encore{mark}"}, {})
    assert await _found(pool, f"encore{mark}") == {sid}
    await pool.execute("DELETE FROM app_chat_sessions WHERE session_id = $1", sid)
    assert await pool.fetchval("SELECT count(*) FROM app_chat_message_terms WHERE session_id = $1", sid) == 0


def test_a_query_without_words_has_no_tsquery_and_quotes_cannot_escape() -> None:
    assert conversations._words_query("  ?! ") is None
    assert conversations._words_query(" l'été ") == "l'été"


async def test_query_syntax_in_the_search_text_is_only_words(pool: asyncpg.Pool) -> None:
    mark = uuid.uuid4().hex[:8]
    sid = _sid()
    await pool.execute("INSERT INTO app_chat_sessions (session_id, messages, message_count) VALUES ($1, $2, 1)",
                       sid, [{"role": "user", "content": f"écrivez à lea.{mark}@exemple.fr pour l'été"}])
    assert await _found(pool, f"lea.{mark}") == {sid}  # an e-mail is one word; its start is a prefix
    assert await _found(pool, f"l'été lea.{mark}") == {sid}
    for hostile in (f"q{mark}' | b", f"x{mark} & !lea", f"\\' :* (v{mark}", f"zz{mark}' | 'lea"):
        assert await _found(pool, hostile) == set()

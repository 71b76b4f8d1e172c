"""Owner console: page server time with 10,000 conversations and 100,000 messages, and the live paths.

- Pages: each console page rendered through the gateway app in process (httpx ASGI transport: the
  server's time, no socket), logged in as the owner, against `GET /healthz` in the same run; the
  figure that matters is the page's p50/p95 and its ratio to the bare `/healthz`.
- Handoff → console: a visitor's "je voudrais parler à un conseiller" sent through the gateway (security
  screening, chat, rag, outbox, broker) until the console's live queue holds `chat.handoff.requested`.
- Adviser → widget: an adviser's reply posted on the console until the visitor's live queue (what
  `GET /v1/chat/sessions/{id}/live` streams) holds `chat.human_message.posted`.

The real security, rag (MiniLM, empty knowledge base) and chat services run in this process on a
fresh database; the LLM is not configured (grounded answers). Targets (issue 15): pages ≤ 100 ms,
handoff p50 ≤ 1 s, adviser → widget p50 ≤ 300 ms.

    .venv/bin/python -m bench.console_pages [--conversations 10000] [--requests 40]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import statistics
import time
import uuid
from typing import Any

import httpx

from bench._common import bench_database, bench_settings, write_result
from libs.common.db import create_pool
from libs.common.logging import configure_logging

SEED = """
INSERT INTO app_chat_sessions (session_id, messages, message_count, metadata, updated_at)
SELECT 'cs_bench' || lpad(i::TEXT, 18, '0'),
  (SELECT jsonb_agg(jsonb_build_object(
      'role', CASE WHEN j % 2 = 1 THEN 'user' ELSE 'assistant' END,
      'content', CASE WHEN j % 2 = 1 THEN 'Bonjour, je cherche une lampe ' || md5(i::TEXT || '-' || j::TEXT)
                      ELSE 'Voici nos suspensions en verre soufflé, livrées en 2 à 4 jours ouvrés ('
                           || md5(j::TEXT || '-' || i::TEXT) || ').' END,
      'at', (NOW() - (i || ' minutes')::INTERVAL)::TEXT) ORDER BY j)
   FROM generate_series(1, $2::INT) AS j),
  $2::INT,
  CASE WHEN i % 100 = 0 THEN '{"conversation_state": "waiting_human", "handoff": {"reason": "visitor_asked"}}'
       ELSE '{}' END::JSONB,
  NOW() - (i || ' minutes')::INTERVAL
FROM generate_series(1, $1::INT) AS i
"""
SEED_EMAILS = """
INSERT INTO app_entity_memory (session_id, entity_type, entity_value, confidence, metadata)
SELECT 'cs_bench' || lpad(i::TEXT, 18, '0'), 'email', 'client' || i || '@exemple.fr', 0.99, '{}'
FROM generate_series(1, $1::INT, 3) AS i
"""
SEED_LEADS = """
INSERT INTO app_leads (session_id, email, name, source, score)
SELECT 'cs_bench' || lpad(i::TEXT, 18, '0'), 'client' || i || '@exemple.fr', 'Client ' || i, 'chatbot', i % 100
FROM generate_series(1, $1::INT, 3) AS i
"""
SEED_INCIDENTS = """
INSERT INTO app_security_incidents (type, severity, session_id, details)
SELECT 'injection', 'high', 'cs_bench' || lpad(i::TEXT, 18, '0'), '{"excerpt": "ignore previous"}'
FROM generate_series(1, $1::INT, 10) AS i
"""
SEED_LOGS = """
INSERT INTO app_admin_logs (level, category, message) SELECT 'warn', 'chat', 'log line ' || i
FROM generate_series(1, $1::INT) AS i
"""
PASSWORD = "bench-console-password"  # noqa: S105 (a throw-away bench database)
NO_LIMITS = {"session": {"max": 1_000_000, "window_seconds": 60}, "ip": {"max": 1_000_000, "window_seconds": 60},
             "routes": {"default": {"max": 1_000_000, "window_seconds": 60},
                        "console.login": {"max": 1_000_000, "window_seconds": 60}}}


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


async def timed(http: httpx.AsyncClient, path: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = await http.get(path)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
    return samples


async def run(conversations: int, requests: int) -> dict[str, Any]:
    from services.chat.app import svc as chat_svc
    from services.gateway.app import create_app
    from services.gateway.config import GatewaySettings
    from services.gateway.console import users
    from services.rag.app import svc as rag_svc
    from services.security.app import svc as security_svc

    async with bench_database() as dsn:
        settings = bench_settings(dsn)
        pool = await create_pool(settings, min_size=2, max_size=20)
        messages_per = 10
        seed_started = time.perf_counter()
        await pool.execute(SEED, conversations, messages_per)
        await pool.execute(SEED_EMAILS, conversations)
        await pool.execute(SEED_LEADS, conversations)
        await pool.execute(SEED_INCIDENTS, conversations)
        await pool.execute(SEED_LOGS, 20_000)
        await pool.execute("INSERT INTO app_admin_config (key, value) VALUES ('rate_limits', $1) "
                           "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", NO_LIMITS)
        await pool.execute("ANALYZE")
        seeded_s = time.perf_counter() - seed_started
        total_messages = await pool.fetchval("SELECT sum(message_count) FROM app_chat_sessions")
        email = "owner@bench.example"
        await users.create_user(pool, email, "owner", "Claire", PASSWORD)
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(security_svc.running(settings, pool, {}))
            await stack.enter_async_context(rag_svc.running(settings, pool, {}))
            await stack.enter_async_context(chat_svc.running(settings, pool, {}))
            app = create_app(settings, GatewaySettings(admin_token="bench-token-" + "x" * 20), pool=pool)
            await stack.enter_async_context(app.router.lifespan_context(app))
            gw = app.state.gateway
            transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 5555))
            http = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://c"))
            form = await http.get("/admin/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf is not None
            done = await http.post("/admin/login", data={"email": email, "password": PASSWORD,
                                                         "csrf": csrf.group(1), "next": "/admin/conversations"})
            assert done.status_code == 303, done.text
            sid = "cs_bench" + str(conversations // 2).zfill(18)
            rare = await pool.fetchval("SELECT left(md5($1::TEXT || '-1'), 12)", str(conversations // 2))
            pages = {
                "healthz": "/healthz",
                "conversations": "/admin/conversations",
                "conversations_waiting": "/admin/conversations?state=waiting_human",
                "conversations_page_20": "/admin/conversations?offset=1000",
                "conversation": f"/admin/conversations/{sid}",
                "search_email": f"/admin/conversations?q=client{conversations // 2 + 1}@exemple.fr",
                # a common word (the page fills from the newest conversations) and a rare one (one
                # conversation: every conversation is read)
                "search_text_common": "/admin/conversations?q=suspensions",
                "search_text_rare": f"/admin/conversations?q={rare}",
                "leads": "/admin/leads", "quotes": "/admin/quotes", "incidents": "/admin/incidents",
                "logs": "/admin/logs", "knowledge": "/admin/knowledge", "facts": "/admin/facts",
                "prompts": "/admin/prompts", "flags": "/admin/flags", "config": "/admin/config",
            }
            for path in pages.values():  # warm-up: templates compiled, plans cached
                await timed(http, path, 2)
            figures: dict[str, Any] = {}
            for name, path in pages.items():
                figures[name] = stats(await timed(http, path, requests))
            health = figures["healthz"]["p50_ms"] or 0.01
            for value in figures.values():
                value["ratio_to_healthz_p50"] = round(value["p50_ms"] / health, 1)

            # handoff → the console's live queue
            handoffs = []
            async with gw.live.console() as console:
                for i in range(20):
                    started = time.perf_counter()
                    reply = await http.post("/v1/chat/messages", json={
                        "message": f"Je voudrais parler à un conseiller, commande {uuid.uuid4().hex[:6]}"})
                    assert reply.status_code == 200 and reply.json()["handoff"], reply.text
                    target = reply.json()["session_id"]
                    async with asyncio.timeout(10):
                        while True:
                            event = await console.get()
                            if event.type == "chat.handoff.requested" and event.session_id == target:
                                break
                    handoffs.append(time.perf_counter() - started)
                    if i == 0:
                        handoff_sid = target

            # adviser reply → the visitor's live queue
            page = await http.get(f"/admin/conversations/{handoff_sid}")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            replies = []
            async with gw.live.session(handoff_sid) as widget:
                for i in range(40):
                    started = time.perf_counter()
                    sent = await http.post(f"/admin/conversations/{handoff_sid}/messages",
                                           data={"csrf": csrf.group(1), "content": f"Réponse {i} de Claire",
                                                 "message_id": uuid.uuid4().hex},
                                           headers={"Accept": "application/json"})
                    assert sent.status_code == 200, sent.text
                    async with asyncio.timeout(10):
                        while (await widget.get()).type != "chat.human_message.posted":
                            pass
                    replies.append(time.perf_counter() - started)
        await pool.close()
    return {
        "data": {"conversations": conversations, "messages": int(total_messages or 0),
                 "seeded_in_s": round(seeded_s, 1)},
        "pages": figures,
        "handoff_to_console": stats(handoffs),
        "adviser_to_widget": stats(replies),
        "targets": {"pages_p50_ms": 100, "handoff_p50_ms": 1000, "adviser_to_widget_p50_ms": 300},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    configure_logging("WARNING", False)
    figures = asyncio.run(run(args.conversations, args.requests))
    write_result("console_pages", figures)
    print(json.dumps({k: v.get("p50_ms") for k, v in figures["pages"].items()}))


if __name__ == "__main__":
    main()

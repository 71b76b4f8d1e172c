"""`comptoir chat …`: ask a running chat service, reset a session (the demo shop: `comptoir demo`)."""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any

from pydantic import ValidationError

from libs.common.events.chat import ChatSessionResetReply, ChatTurn, ChatTurnReply, ResetChatSession
from libs.common.rpc import RpcClient
from libs.common.settings import get_settings


def register(subparsers: Any) -> None:
    chat = subparsers.add_parser("chat", help="chat service tools")
    sub = chat.add_subparsers(dest="chat_command", required=True)
    ask = sub.add_parser("ask", help="send one message to the running chat service and print the reply")
    ask.add_argument("message", help="the visitor's message")
    ask.add_argument("--session", help="session id (default: a new one)")
    ask.add_argument("--locale", default="fr", help="language of the reply (default fr)")
    ask.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the reply (default 30)")
    ask.set_defaults(handler=_ask)
    reset = sub.add_parser("reset", help="reset a session (reset_chat_session)")
    reset.add_argument("session", help="the session id to empty")
    reset.set_defaults(handler=_reset)


async def _ask(args: argparse.Namespace) -> int:
    if not args.message.strip():
        print("comptoir: error: the message is empty", file=sys.stderr)
        return 2
    session = args.session or f"cli-{uuid.uuid4().hex}"
    try:
        body = ChatTurn(session_id=session, message=args.message, locale=args.locale, request_id=uuid.uuid4().hex)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"comptoir: error: {problems}", file=sys.stderr)
        return 2
    async with RpcClient(get_settings(), source="cli") as rpc:
        reply = await rpc.request(ChatTurn.TYPE, body, ChatTurnReply, timeout=args.timeout)
    print(reply.reply)
    for i, citation in enumerate(reply.citations, start=1):
        print(f"  [{i}] {citation.title or citation.source} ({citation.score:.2f})")
    print(
        f"-- session {session} · mode {reply.mode}" + (f" ({reply.fallback_reason})" if reply.fallback_reason else ""),
        file=sys.stderr,
    )
    return 0


async def _reset(args: argparse.Namespace) -> int:
    async with RpcClient(get_settings(), source="cli") as rpc:
        reply = await rpc.request(
            ResetChatSession.TYPE, ResetChatSession(session_id=args.session), ChatSessionResetReply
        )
    print("session reset" if reply.reset else "no such session")
    return 0 if reply.reset else 1

"""Deltas and the final reply travel on different queues: the stream must show the reply whatever the
order they arrive in. Hand-written fakes of our own two ports (the RPC client, the stream router)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

from libs.common.events.chat import ChatReplyDelta, ChatTurnReply
from services.gateway import chatlink
from services.gateway.admission import Turn

REPLY = "Bonjour, nous livrons en 48 h."


class FakeStreams:
    queue_name = "gw.stream.test"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    @contextlib.asynccontextmanager
    async def subscribe(self, request_id: str) -> AsyncIterator[asyncio.Queue[Any]]:
        yield self.queue


class FakeRpc:
    """Answers chat.turn after pushing `deltas` (with `gap` seconds between) into the stream queue."""

    def __init__(self, streams: FakeStreams, deltas: list[str], reply_first: bool = False,
                 final_done: bool = True) -> None:
        self.streams, self.deltas, self.reply_first, self.final_done = streams, deltas, reply_first, final_done

    async def request(self, request_type: str, body: Any, reply_model: type, **_: Any) -> ChatTurnReply:
        reply = ChatTurnReply(session_id=body.session_id, request_id=body.request_id, reply=REPLY, mode="llm")
        if self.reply_first:
            asyncio.get_running_loop().call_later(0.05, self._push_all, body)
            return reply
        self._push_all(body)
        await asyncio.sleep(0.01)
        return reply

    def _push_all(self, body: Any) -> None:
        for seq, text in enumerate(self.deltas):
            self.streams.queue.put_nowait(ChatReplyDelta(request_id=body.request_id, session_id=body.session_id,
                                                         seq=seq, delta=text))
        if self.final_done:
            self.streams.queue.put_nowait(ChatReplyDelta(request_id=body.request_id, session_id=body.session_id,
                                                         seq=len(self.deltas), done=True))


def gateway(deltas: list[str], **options: Any) -> Any:
    streams = FakeStreams()
    return SimpleNamespace(streams=streams, rpc=FakeRpc(streams, deltas, **options),
                           config=SimpleNamespace(turn_timeout_s=5.0))


def turn() -> Turn:
    return Turn(session_id="cs_x", session_token="t", visitor_id="vs_x", visitor="vs_x.sig",
                message="livraison ?", locale="fr", ip=None)


async def collect(gw: Any) -> list[tuple[str, dict[str, Any]]]:
    return [event async for event in chatlink.stream_turn(gw, turn())]


async def test_all_deltas_then_the_reply() -> None:
    events = await collect(gateway(["Bonjour, ", "nous livrons ", "en 48 h."]))
    tokens = [data["text"] for name, data in events if name == "token"]
    assert tokens == ["Bonjour, ", "nous livrons ", "en 48 h."]
    assert events[-1][0] == "done"
    assert events[-1][1]["reply"] == REPLY


async def test_a_reply_before_its_deltas_still_shows_the_whole_text() -> None:
    events = await collect(gateway(["Bonjour, ", "nous"], reply_first=True))
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert streamed == REPLY
    assert events[-1][1]["reply"] == REPLY


async def test_missing_final_delta_sends_the_tail_from_the_reply() -> None:
    events = await collect(gateway(["Bonjour, ", "nous "], final_done=False))
    tokens = [data["text"] for name, data in events if name == "token"]
    assert "".join(tokens) == REPLY
    assert tokens[-1] == "livrons en 48 h."

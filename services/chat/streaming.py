"""A turn's reply deltas to the gateway (`chat.reply.delta` on the turn's `stream_to` queue).

The first text goes at once (time to first token); after that LLM tokens are coalesced into at most
one delta per `stream_interval_s`: smooth to the eye, and a fast model's few-character tokens do
not each cost a broker message. The final delta closes the stream, with the citations and, when
what was streamed is not the reply (refused, grounded, quote added), the reply to show instead.
"""

from __future__ import annotations

import time

from libs.common.events.chat import ChatReplyDelta, ChatTurn, Citation
from services.chat.deps import DeltaPublisher


class ReplyStream:
    def __init__(self, req: ChatTurn, publisher: DeltaPublisher | None, *, enabled: bool, interval_s: float) -> None:
        self.req = req
        self.publisher = publisher
        self.interval_s = interval_s
        # deltas while the reply is generated: someone listens and streaming is on
        self.live = publisher is not None and bool(req.stream_to) and enabled
        self.seq = 0
        self._pending: list[str] = []
        self._flushed_at = time.perf_counter()

    async def delta(self, piece: str, *, flush: bool = False) -> None:
        """Stream `piece` (coalesced, see above); `flush` sends what is pending now."""
        publisher, stream_to = self.publisher, self.req.stream_to
        if publisher is None or stream_to is None or not self.live:
            return
        self._pending.append(piece)
        waited = time.perf_counter() - self._flushed_at
        if not flush and self.seq > 0 and waited < self.interval_s:
            return
        text, self._pending = "".join(self._pending), []
        self._flushed_at = time.perf_counter()
        if not text:
            return
        delta = ChatReplyDelta(request_id=self.req.request_id, session_id=self.req.session_id, seq=self.seq, delta=text)
        await publisher.publish(stream_to, delta)
        self.seq += 1

    async def close(self, reply: str, citations: list[Citation], *, replaces_stream: bool) -> None:
        """The last delta. Nothing streamed yet: the reply goes first as one delta. `replaces_stream`:
        what was streamed is not the reply (the final delta carries the reply to show instead)."""
        publisher, stream_to = self.publisher, self.req.stream_to
        if publisher is None or not stream_to:
            return
        self._pending = []  # the rest of a stream that failed: the reply below supersedes it
        streamed = self.seq > 0
        if not streamed:
            await self.delta(reply, flush=True)
        await publisher.publish(
            stream_to,
            ChatReplyDelta(
                request_id=self.req.request_id,
                session_id=self.req.session_id,
                seq=self.seq,
                done=True,
                citations=citations,
                replace=reply if streamed and replaces_stream else None,
            ),
        )

"""chat.turn and chat.reset_session are claimed by request id: the same request again (a broker
redelivery, a client retry under the same id) gets the first reply and changes nothing."""

from __future__ import annotations

import json
import uuid

from libs.common.events.chat import ChatSessionResetReply, ChatTurn, ChatTurnReply, ResetChatSession
from tests.chat.conftest import ChatHarness
from tests.fakes.llm_server import Step


async def _turn(harness: ChatHarness, body: ChatTurn, request_id: uuid.UUID) -> ChatTurnReply:
    return await harness.rpc.request(ChatTurn.TYPE, body, ChatTurnReply, timeout=15, request_id=request_id)


async def test_a_repeated_turn_is_stored_once_and_answered_the_same(harness: ChatHarness) -> None:
    session_id = f"s-{uuid.uuid4().hex}"
    body = ChatTurn(session_id=session_id, message="Quels sont vos délais de livraison ?", request_id="r1")
    request_id = uuid.uuid4()
    first = await _turn(harness, body, request_id)
    again = await _turn(harness, body, request_id)
    assert again == first and first.message_count == 2
    history = await harness.history(session_id)
    assert history.message_count == 2 and [m.role for m in history.messages] == ["user", "assistant"]
    following = await _turn(harness, body, uuid.uuid4())  # a new request: a new exchange
    assert following.message_count == 4


async def test_a_repeated_turn_makes_one_quote(harness: ChatHarness) -> None:
    harness.use_llm()
    args = json.dumps({"lines": [{"product_id": "file:OPALE", "quantity": 1}]})
    harness.fake.script(Step(text="Voici votre devis.", tool_calls=[{"name": "create_quote", "arguments": args}]))
    quotes_before = len(harness.state["quotes"])
    body = ChatTurn(session_id=f"s-{uuid.uuid4().hex}", request_id="r2",
                    message="Je voudrais un devis pour une suspension Opale, mon email est a@b.fr")
    request_id = uuid.uuid4()
    first = await _turn(harness, body, request_id)
    again = await _turn(harness, body, request_id)
    assert first.quote is not None and again == first
    assert len(harness.state["quotes"]) == quotes_before + 1  # billing was asked once


async def test_a_repeated_reset_answers_the_same(harness: ChatHarness) -> None:
    reply = await harness.turn("Bonjour")
    body, request_id = ResetChatSession(session_id=reply.session_id), uuid.uuid4()
    first = await harness.rpc.request(ResetChatSession.TYPE, body, ChatSessionResetReply, request_id=request_id)
    again = await harness.rpc.request(ResetChatSession.TYPE, body, ChatSessionResetReply, request_id=request_id)
    assert first.reset and again == first
    events = await harness.deps.config.pool.fetchval(
        "SELECT count(*) FROM app_outbox WHERE type = 'chat.session.reset' AND aggregate_id = $1", reply.session_id)
    assert events == 1  # the reset ran once

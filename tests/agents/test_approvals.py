"""Approvals: a risky call pauses the run; approve runs the tool once with the model getting its real
result, edited arguments are the ones used, reject tells the model why, expiry cancels the run, and a
decision on a closed approval is refused."""

from __future__ import annotations

import json
import uuid

import pytest

from libs.common import metrics
from libs.common.errors import RemoteError
from libs.common.events.agents import ApprovalList, ApprovalReply, DecideApproval, ListApprovals, RunDetail
from tests.agents.conftest import Agents, add_lead, call, text
from tests.conftest import eventually


async def _paused_mail_run(agents: Agents) -> tuple[str, str, str]:
    email = f"lea-{uuid.uuid4().hex[:6]}@client.test"
    await add_lead(agents.pool, email)
    made = await agents.objective(
        call("send_email", to=email, subject="Votre devis", body="Bonjour Léa, voici notre offre."),
        text("E-mail traité."), tools=["send_email"], risk="high")
    assert made.run is not None
    detail = await agents.wait_status(made.run.id, "paused")
    assert [a.status for a in detail.approvals] == ["pending"]
    return made.run.id, detail.approvals[0].id, email


async def _decide(agents: Agents, approval_id: str, decision: str, **extra: object) -> ApprovalReply:
    request = DecideApproval(approval_id=approval_id, decision=decision, **extra)
    return await agents.rpc.request(DecideApproval.TYPE, request, ApprovalReply)


def _tool_results(agents: Agents, detail: RunDetail) -> list[str]:
    last = agents.llm_calls(detail.run.title)[-1]
    return [m["content"] for m in last["messages"] if m["role"] == "tool"]


def _approvals(decision: str) -> float:
    return metrics.REGISTRY.get_sample_value("comptoir_agent_approvals_total", {"decision": decision}) or 0.0


async def test_approve_runs_the_tool_once_and_the_model_gets_its_real_result(agents: Agents) -> None:
    before = {decision: _approvals(decision) for decision in ("requested", "granted")}
    run_id, approval_id, email = await _paused_mail_run(agents)
    assert agents.smtp.messages == []  # nothing sent while the owner has not answered
    listed = await agents.rpc.request(ListApprovals.TYPE, ListApprovals(), ApprovalList)
    assert approval_id in [a.id for a in listed.items]
    decided = await _decide(agents, approval_id, "approve", decided_by="owner@boutique.test")
    assert decided.approval.status == "approved" and decided.approval.decided_by == "owner@boutique.test"
    detail = await agents.wait_status(run_id)
    assert detail.run.status == "completed"
    assert len(agents.smtp.messages) == 1 and agents.smtp.messages[0]["To"] == email
    result = json.loads(_tool_results(agents, detail)[0])
    assert result["sent"] is True and result["queue_id"]  # the tool's result, not {"approved": true}
    assert [e.type for e in detail.events].count("approval_granted") == 1
    assert {decision: _approvals(decision) - count for decision, count in before.items()} == \
        {"requested": 1, "granted": 1}


async def test_the_owner_may_edit_the_arguments_when_approving(agents: Agents) -> None:
    run_id, approval_id, email = await _paused_mail_run(agents)
    await _decide(agents, approval_id, "approve",
                  args={"to": email, "subject": "Offre revue", "body": "Bonjour Léa, offre corrigée."})
    await agents.wait_status(run_id)
    assert [m["Subject"] for m in agents.smtp.messages] == ["Offre revue"]


async def test_edited_arguments_are_validated(agents: Agents) -> None:
    _, approval_id, _ = await _paused_mail_run(agents)
    with pytest.raises(RemoteError) as refused:
        await _decide(agents, approval_id, "approve", args={"to": "nobody", "subject": "", "body": "x"})
    assert refused.value.code == "invalid_arguments"


async def test_reject_tells_the_model_the_reason_and_sends_nothing(agents: Agents) -> None:
    run_id, approval_id, _ = await _paused_mail_run(agents)
    await _decide(agents, approval_id, "reject", reason="pas avant lundi")
    detail = await agents.wait_status(run_id)
    assert detail.run.status == "completed" and agents.smtp.messages == []
    told = json.loads(_tool_results(agents, detail)[0])
    assert told["refused"] is True and told["reason"] == "pas avant lundi"
    assert detail.tool_calls[0].status == "refused"
    with pytest.raises(RemoteError) as closed:  # already decided
        await _decide(agents, approval_id, "approve")
    assert closed.value.code == "approval_closed"


async def test_an_expired_approval_cancels_the_run(agents: Agents) -> None:
    run_id, approval_id, _ = await _paused_mail_run(agents)
    await agents.pool.execute("UPDATE app_agent_approvals SET expires_at = NOW() - INTERVAL '1 second' "
                              "WHERE id = $1", uuid.UUID(approval_id))
    detail = await agents.wait_status(run_id, "cancelled")
    assert detail.run.stop_reason == "approval_expired"
    assert detail.approvals[0].status == "expired" and agents.smtp.messages == []
    assert {"approval_expired", "run_cancelled"} <= {e.type for e in detail.events}
    with pytest.raises(RemoteError) as closed:
        await _decide(agents, approval_id, "approve")
    assert closed.value.code == "approval_closed"


async def test_an_unknown_approval_is_not_found(agents: Agents) -> None:
    with pytest.raises(RemoteError) as unknown:
        await _decide(agents, str(uuid.uuid4()), "approve")
    assert unknown.value.code == "not_found"


async def test_a_low_risk_call_under_the_risk_level_needs_no_approval(agents: Agents) -> None:
    made = await agents.objective(call("get_company_facts"), text("Fini."), tools=["get_company_facts"],
                                  risk="medium")
    assert made.run is not None
    detail = await agents.wait_status(made.run.id)
    assert detail.run.status == "completed" and detail.approvals == []

    async def nothing_pending() -> bool:
        listed = await agents.rpc.request(ListApprovals.TYPE, ListApprovals(), ApprovalList)
        return all(a.run_id != made.run.id for a in listed.items)  # type: ignore[union-attr]
    assert await eventually(nothing_pending)

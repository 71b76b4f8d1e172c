"""Where each published event goes: every event type a service writes to the outbox is either consumed
by some queue or declared here as log-only (kept in the event log `app_outbox` for replay, audit and
future consumers; on the broker it reaches the bounded `platform.unrouted`, see libs/common/unrouted.py).

`CONSUMED_OUTSIDE_SERVICES` names consumers that are not `ServiceApp` subscriptions (the gateway's own
queues). tests/foundation/test_event_routing.py keeps this true: a log-only type may not be consumed, and
docs/architecture.md lists the same types; tests/resilience checks that nothing else reaches
`platform.unrouted` while the platform runs.
"""

from __future__ import annotations

LOG_ONLY: dict[str, str] = {
    "agent.approval.expired": "an approval nobody answered; for the event log",
    "agent.approval.granted": "the owner's approval; for the event log and audit",
    "agent.approval.rejected": "the owner's refusal; for the event log and audit",
    "agent.approval.requested": ("a risky tool call waits for the owner; the console lists pending approvals "
                                 "from the table"),
    "agent.owner.notified": "an agent's notify_owner; the console shows it from the event log",
    "agent.run.budget_exhausted": "a run stopped at its budget; for the event log",
    "agent.run.cancelled": "a run cancelled by the owner or by an expired approval; for the event log",
    "agent.run.completed": "a run's final answer; for the event log (a workflow step may consume it later)",
    "agent.run.failed": "a run that could not go on; for the event log",
    "agent.run.started": "agents' record of a new run (app_agent_events has it too); consoles read the run",
    "agent.step.completed": "a run's step ended; for the event log and live consoles",
    "agent.step.started": "a run's step began; for the event log and live consoles",
    "agent.tool.called": "a tool call's outcome; for the event log and audit",
    "chat.session.reset": "a visitor's reset, for the event log; nothing reacts to it",
    "invoice.created": "billing's record of an invoice; read by operators and replay",
    "invoice.status_changed": "billing's record; read by operators and replay",
    "knowledge.document.deleted": "rag's record of a deletion, for the event log",
    "knowledge.document.ingested": "rag's record of an ingestion, for the event log",
    "lead.captured": "chat's record of a lead (the lead row is chat's); a CRM consumer may come later",
    "quote.created": "billing's record of a quote (the quote row is billing's); for the event log",
    "quote.expired": "billing's record of an expiry; for the event log",
    "workflow.run.completed": "the workflows service's record of a finished run; console and event log",
    "workflow.run.failed": "a run that failed, with its reason; console and event log (a workflow may react later)",
    "workflow.run.started": "the workflows service's record of a run starting; console and event log",
}

CONSUMED_OUTSIDE_SERVICES: dict[str, str] = {
    "chat.conversation.updated": "gateway console live hub (one queue per gateway process)",
    "chat.human_message.posted": "gateway console live hub (forwards to the visitor's widget)",
    "chat.visitor_message.received": "gateway console live hub",
}

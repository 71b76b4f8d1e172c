"""The conversation the model is shown at each step, rebuilt from the run's recorded steps and tool
calls (so a resumed run asks the model exactly what the dead worker would have)."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.agents import repo

SYSTEM = (
    "Tu es {agent}, un agent autonome de la boutique. {description}\n"
    "Travaille étape par étape avec les outils fournis et uniquement eux. Ne fixe jamais un prix : les prix "
    "viennent du catalogue. Certains outils attendent l'accord du propriétaire ; s'il refuse, tiens-en compte. "
    "Quand l'objectif est atteint ou impossible, réponds sans appeler d'outil par un bref compte rendu en français "
    "de ce que tu as fait."
)


def call_id(tool_call_id: Any) -> str:
    return f"call_{str(tool_call_id).replace('-', '')[:24]}"


def tool_message(row: asyncpg.Record, max_chars: int) -> dict[str, Any]:
    if row["status"] == "succeeded":
        content: Any = row["result"]
    elif row["status"] == "refused":
        content = {"refused": True, **(row["result"] if isinstance(row["result"], dict) else {})}
    else:
        content = {"error": row["error"] or "the tool call failed"}
    text = json.dumps(content, ensure_ascii=False, default=str)
    if len(text) > max_chars:
        text = text[:max_chars] + "… (cut)"
    return {"role": "tool", "tool_call_id": call_id(row["id"]), "content": text}


def assistant_message(step: asyncpg.Record, calls: list[asyncpg.Record]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": step["thought"] or None}
    if calls:
        message["tool_calls"] = [{
            "id": call_id(c["id"]), "type": "function",
            "function": {"name": c["tool_name"],
                         "arguments": c["raw_arguments"] if c["raw_arguments"] is not None else json.dumps(c["args"])},
        } for c in calls]
    return message


async def build(pool: asyncpg.Pool, run: asyncpg.Record, agent: asyncpg.Record | None,
                max_chars: int) -> list[dict[str, Any]]:
    description = (agent["description"] if agent is not None else "") or ""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM.format(agent=run["agent_name"], description=description)},
        {"role": "user", "content": f"Objectif : {run['title']}\n\n{run['description'] or ''}".strip()},
    ]
    steps = await pool.fetch(repo.SELECT_STEPS, run["id"])
    calls = await pool.fetch(repo.RUN_TOOL_CALLS, run["id"])
    by_step: dict[Any, list[asyncpg.Record]] = {}
    for c in calls:
        by_step.setdefault(c["step_id"], []).append(c)
    for step in steps:
        step_calls = sorted(by_step.get(step["id"], []), key=lambda c: c["position"])
        messages.append(assistant_message(step, step_calls))
        messages.extend(tool_message(c, max_chars) for c in step_calls)
    return messages

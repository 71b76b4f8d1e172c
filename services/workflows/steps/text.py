"""`generate_text`: text from the LLM (libs/common/llm.py), or from a template when there is none.

With no LLM configured (LLM_BASE_URL unset) or when it fails, the step renders `template` if the
workflow gives one (output `source: "template"`); without a template it fails with the reason.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from libs.common.llm import LLMError
from services.workflows.steps.base import StepCall, StepFailed, StepResult, StepType


class GenerateTextConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1, max_length=20_000)
    system: str | None = Field(None, max_length=20_000)
    template: str | None = Field(None, max_length=20_000)  # the text when no LLM answers
    max_tokens: int = Field(600, ge=1, le=8000)
    temperature: float | None = Field(None, ge=0, le=2)


async def run(call: StepCall) -> StepResult:
    cfg: GenerateTextConfig = call.config
    llm = call.env.llm
    if llm is None:
        if cfg.template is not None:
            return StepResult(output={"text": cfg.template, "source": "template",
                                      "reason": "no LLM configured (LLM_BASE_URL)"})
        raise StepFailed("generate_text: no LLM is configured (LLM_BASE_URL) and the step gives no `template`")
    messages = ([{"role": "system", "content": cfg.system}] if cfg.system else []) + [
        {"role": "user", "content": cfg.prompt}]
    extra: dict[str, Any] = {"max_tokens": cfg.max_tokens}
    if cfg.temperature is not None:
        extra["temperature"] = cfg.temperature
    try:
        completion = await llm.complete(messages, **extra)
    except LLMError as exc:
        if cfg.template is not None:
            return StepResult(output={"text": cfg.template, "source": "template", "reason": f"LLM failed: {exc}"})
        raise StepFailed(f"generate_text: the LLM failed: {exc}", retryable=True) from exc
    return StepResult(output={"text": completion.content.strip(), "source": "llm", "model": completion.model,
                              "usage": completion.usage})


STEP = StepType("generate_text", GenerateTextConfig, run, "none",
                "Generate text with the LLM from `prompt` (`system`, `template` used when no LLM answers).")

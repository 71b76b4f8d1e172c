"""Chat settings (env prefix CHAT_). LLM settings are `libs.common.llm.LLMSettings` (prefix LLM_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChatSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_", env_file=".env", extra="ignore")

    security_timeout_s: float = Field(1.0, gt=0)
    security_fail_closed: bool = False
    rag_timeout_s: float = Field(2.0, gt=0)
    rag_top_k: int = Field(4, ge=1, le=20)
    # A hit this close to the question (cosine) is answered from whatever its words; below it, the
    # hit must also hold the question's content words (services/chat/grounded.py). Calibrated with
    # bench.rag_answers (docs/benchmarks.md).
    min_relevance: float = Field(0.6, ge=0, le=1)
    embed_timeout_s: float = Field(2.0, gt=0)
    billing_timeout_s: float = Field(5.0, gt=0)
    guard_timeout_s: float = Field(1.0, gt=0)
    # Check replies in process first (libs.guard.output_guard); false: always ask security.
    local_output_guard: bool = True
    # Turns doing their own work at once in this process; one waiting for the LLM does not count
    # (services/chat/slots.py). The broker prefetch (128) bounds the turns in flight in all. 4 rather
    # than 8: a lower p99 at the same throughput (docs/benchmarks.md, "Measured choices in the code").
    turn_slots: int = Field(4, ge=1, le=128)
    # The whole LLM phase of a turn (retries included); past it the turn answers in grounded mode.
    llm_budget_s: float = Field(25.0, gt=0)

    # Rolling summary: past this many stored messages, the oldest are folded into the summary.
    summary_after_messages: int = Field(12, ge=4)
    keep_recent_messages: int = Field(8, ge=2)
    summary_max_chars: int = Field(1500, ge=200)
    # Embedding the long-term context's summary (app_conversation_contexts.context_embedding): off by
    # default. The context row is read by its key on every turn, one row per visitor, and no query
    # searches the vectors (a search across visitors would feed one visitor's conversations to
    # another), while each embedding costs about nine turns of chat CPU (docs/rag.md, long-term context).
    context_embeddings: bool = False
    # When on, the summary is embedded once the conversation has been quiet this long,
    # and at most max_wait after a roll (services/chat/context_embedding.py). 0: after every roll.
    context_embed_delay_s: float = Field(10.0, ge=0)
    context_embed_max_wait_s: float = Field(60.0, ge=0)

    # Prompt store / facts / chat_config are re-read at most this often.
    config_cache_s: float = Field(2.0, ge=0)
    flags_poll_s: float = Field(0.5, gt=0)
    stream_deltas: bool = True
    # After the first delta, LLM tokens are coalesced into at most one delta per interval.
    stream_interval_s: float = Field(0.05, ge=0)

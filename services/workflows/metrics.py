"""Prometheus series of the workflows service, on the process's platform registry.

`comptoir serve workflows` exports them on its health port with the platform's own series
(libs.common.metrics), `comptoir up` on the gateway's `/metrics`. Each is counted once its
transaction has committed (a run ended, a step attempt recorded, a post finished), so a transaction
rolled back for a lost lease counts nothing: the worker that took the run over counts it. Labels are
bounded: step types are the registry's names, platforms Graph's two, never a workflow's own name.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from libs.common.metrics import REGISTRY

_STEP_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

runs = Counter("comptoir_workflow_runs", "workflow runs ended, by trigger kind and status (completed, failed)",
               ["trigger", "status"], registry=REGISTRY)
steps = Counter("comptoir_workflow_steps", "step attempts ended, by step type and outcome (succeeded, failed, "
                "unknown: the effect may have happened; found: an earlier attempt's effect found by lookup)",
                ["type", "outcome"], registry=REGISTRY)
step_seconds = Histogram("comptoir_workflow_step_seconds", "time a step attempt took, its effect included",
                         ["type"], buckets=_STEP_SECONDS, registry=REGISTRY)
social_posts = Counter("comptoir_social_posts", "social posts finished, per platform and outcome "
                       "(published, failed)", ["platform", "status"], registry=REGISTRY)


def step_ended(step_type: str, outcome: str, duration_ms: int | None) -> None:
    steps.labels(step_type, outcome).inc()
    if duration_ms is not None:
        step_seconds.labels(step_type).observe(duration_ms / 1000)

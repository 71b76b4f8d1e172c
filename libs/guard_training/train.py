"""Training of libs.guard's hashed n-gram model (numpy only, deterministic): used by
`scripts/train_screening_model.py` to build the shipped weights and by `bench/security_eval.py` for
cross-validation. Training rows made for this project live beside this file in `data/` (never in the
runtime package). Full-batch Adam on a class-balanced, L2-regularised logistic loss: no randomness,
so the same rows give the same weights bit for bit on one platform.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from libs.guard.normalise import normalise
from libs.guard.screening.model import HashedModel, features, row_scale, segments

FloatArray = npt.NDArray[np.float64]
DATA = Path(__file__).with_name("data")
TEMPLATES = DATA / "templates.jsonl"


@dataclass(frozen=True)
class TrainConfig:
    bits: int = 16
    l2: float = 3e-6
    steps: int = 400
    learning_rate: float = 0.05
    benign_segments: float = 0.5  # sentence windows of benign rows join as benign rows at this weight (0: off)


@dataclass(frozen=True)
class Example:
    text: str
    attack: bool
    weight: float = 1.0  # e.g. our shop's benign messages count more: their false positives cost most


class _Sparse:
    """Rows of binary features, each L2-normalised, as COO arrays for bincount mat-vec products."""

    def __init__(self, texts: Sequence[str], bits: int) -> None:
        rows = [features(normalise(text).text, bits) for text in texts]
        self.n_rows, self.n_cols = len(rows), 1 << bits
        self.row = np.concatenate([np.full(r.size, i, dtype=np.int64) for i, r in enumerate(rows)])
        self.col = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        self.val = np.concatenate([np.full(r.size, row_scale(int(r.size))) for r in rows])

    def dot(self, w: FloatArray) -> FloatArray:
        return np.bincount(self.row, weights=w[self.col] * self.val, minlength=self.n_rows).astype(np.float64)

    def t_dot(self, g: FloatArray) -> FloatArray:
        return np.bincount(self.col, weights=g[self.row] * self.val, minlength=self.n_cols).astype(np.float64)


def with_benign_segments(examples: Sequence[Example], weight: float) -> list[Example]:
    """The sentence windows that `HashedModel.score_max` scores (see model.segments) of every benign
    row are benign too: training on them keeps a harmless sentence of a long message from flagging
    it. Attack rows' windows are not added: which of their sentences carries the attack is unknown."""
    extra = [Example(part, False, e.weight * weight)
             for e in examples if not e.attack for part in segments(normalise(e.text).text)]
    return [*examples, *extra]


def train(examples: Sequence[Example], config: TrainConfig | None = None) -> HashedModel:
    config = config or TrainConfig()
    if config.benign_segments > 0:
        examples = with_benign_segments(examples, config.benign_segments)
    x = _Sparse([e.text for e in examples], config.bits)
    y = np.array([1.0 if e.attack else 0.0 for e in examples])
    sample = np.array([e.weight for e in examples], dtype=np.float64)
    for label in (0.0, 1.0):  # balance the classes: each carries half the loss
        mask = y == label
        if mask.any():
            sample[mask] *= 0.5 / sample[mask].sum()
    params = np.zeros(x.n_cols + 1)
    m, v = np.zeros_like(params), np.zeros_like(params)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, config.steps + 1):
        z = x.dot(params[:-1]) + params[-1]
        residual = sample * (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))) - y)
        grad = np.empty_like(params)
        grad[:-1] = x.t_dot(residual) + config.l2 * params[:-1]
        grad[-1] = residual.sum()
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        params -= config.learning_rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return HashedModel(params[:-1].astype(np.float32), float(params[-1]), config.bits)


def save(model: HashedModel, path: str) -> None:
    np.savez_compressed(path, weights=model.weights.astype(np.float16), bias=np.float64(model.bias),
                        bits=np.int64(model.bits))


OWN_BENIGN_WEIGHT = 2.0  # a false positive on a shop customer costs more than one on a generic question


def own_examples(rows: Sequence[dict[str, str]]) -> list[Example]:
    """Rows of tests/security/data/labelled.jsonl (`label` attack / benign)."""
    return [Example(r["text"], r["label"] == "attack", 1.0 if r["label"] == "attack" else OWN_BENIGN_WEIGHT)
            for r in rows]


def deepset_examples(rows: Sequence[dict[str, object]]) -> list[Example]:
    """Rows of deepset/prompt-injections (`label` 1 = injection)."""
    return [Example(str(r["text"]), r["label"] == 1) for r in rows]


def template_rows(group: str | None = None) -> list[dict[str, str]]:
    """Rows of data/templates.jsonl (`text`, `label` attack / benign, `group`), in file order."""
    rows = [json.loads(line) for line in TEMPLATES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if group is None or row["group"] == group]


def template_examples() -> list[Example]:
    """Messages from templates (data/templates.jsonl, see data/README.md), training only: benign shop
    messages and small talk, attack families × languages, and their benign twins in the same frames."""
    return [Example(row["text"], row["label"] == "attack") for row in template_rows()]

"""Optional ONNX prompt-injection classifier; its score joins the rules when a model folder is set.

The folder holds `model.onnx` (a sequence classifier taking input_ids / attention_mask, optionally
token_type_ids, and returning logits) and `tokenizer.json` (Hugging Face tokenizers format). An
optional `config.json` with `id2label` tells which label means an attack (a label containing
"injection", "jailbreak", "unsafe" or "malicious"); otherwise the last label is taken.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from libs.common.errors import ConfigurationError

_ATTACK_WORDS = ("injection", "jailbreak", "unsafe", "malicious", "attack")


class OnnxClassifier:
    def __init__(self, folder: Path, max_tokens: int = 512) -> None:
        model, tokenizer = folder / "model.onnx", folder / "tokenizer.json"
        if not model.is_file() or not tokenizer.is_file():
            raise ConfigurationError(f"classifier folder {folder} needs model.onnx and tokenizer.json")
        import onnxruntime
        from tokenizers import Tokenizer

        try:
            self.tokenizer = Tokenizer.from_file(str(tokenizer))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ConfigurationError(f"cannot load classifier from {folder}: {exc}") from exc
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.attack_index = _attack_index(folder / "config.json")

    def score(self, text: str) -> float:
        encoding = self.tokenizer.encode(text)
        ids = np.asarray([encoding.ids or [0]], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": ids}
        if "attention_mask" in self.input_names:
            feeds["attention_mask"] = np.ones_like(ids)
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        logits = np.asarray(self.session.run(None, feeds)[0], dtype=np.float64).reshape(-1)
        if logits.size == 1:
            return float(1.0 / (1.0 + np.exp(-logits[0])))
        exp = np.exp(logits - logits.max())
        probabilities = exp / exp.sum()
        index = self.attack_index if self.attack_index is not None else logits.size - 1
        return float(probabilities[min(index, logits.size - 1)])


def _attack_index(config: Path) -> int | None:
    if not config.is_file():
        return None
    try:
        labels = json.loads(config.read_text(encoding="utf-8")).get("id2label", {})
    except (OSError, ValueError):
        return None
    for key, label in labels.items():
        if any(word in str(label).lower() for word in _ATTACK_WORDS):
            return int(key)
    return None

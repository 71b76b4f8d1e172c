"""The ONNX classifier loading path, with a tiny model and tokenizer built here (no download)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from tokenizers import Tokenizer, models, pre_tokenizers

from libs.common.errors import ConfigurationError
from libs.guard.screening.classifier import OnnxClassifier
from services.security.app import build_deps
from services.security.config import SecuritySettings

VOCAB = {"[UNK]": 0, "hello": 1, "jacket": 2, "jailbreak": 3, "exfiltrate": 4}


def build_model_folder(folder: Path, *, with_config: bool = True) -> Path:
    """Logits = mean over tokens of a per-token embedding: 'jailbreak' and 'exfiltrate' lean to label 1."""
    table = np.array([[0.0, 0.0], [2.0, -2.0], [2.0, -2.0], [-4.0, 4.0], [-4.0, 4.0]], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["embedded"], axis=0),
            helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
            helper.make_node("ReduceMean", ["embedded"], ["logits"], axes=[1], keepdims=0),
        ],
        "tiny_injection_classifier",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, None]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, None])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.flatten().tolist())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(folder / "model.onnx"))
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.save(str(folder / "tokenizer.json"))
    if with_config:
        (folder / "config.json").write_text(json.dumps({"id2label": {"0": "SAFE", "1": "INJECTION"}}))
    return folder


def test_tiny_model_scores_attacks_higher(tmp_path: Path) -> None:
    classifier = OnnxClassifier(build_model_folder(tmp_path))
    assert classifier.attack_index == 1
    assert classifier.score("jailbreak exfiltrate") > 0.99
    assert classifier.score("hello jacket") < 0.05
    assert 0.0 <= classifier.score("") <= 1.0


def test_configured_folder_joins_the_rules(tmp_path: Path) -> None:
    deps = build_deps(SecuritySettings(classifier_dir=build_model_folder(tmp_path, with_config=False)))
    assert deps.screener.classifier is not None
    result = deps.screener.screen("jailbreak exfiltrate")
    assert "classifier" in result.signals and result.verdict != "allow"
    assert deps.screener.screen("hello jacket").verdict == "allow"


def test_without_folder_the_rules_stand_alone() -> None:
    assert build_deps(SecuritySettings(classifier_dir=None)).screener.classifier is None


def test_incomplete_folder_is_a_clear_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigurationError, match=r"tokenizer\.json"):
        OnnxClassifier(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ConfigurationError, match="cannot load classifier"):
        OnnxClassifier(tmp_path)

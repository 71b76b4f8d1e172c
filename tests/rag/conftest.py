"""RAG fixtures: the default model built once per run, a runtime on the per-run database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import numpy as np
import pytest

from libs.common.settings import Settings
from services.rag.config import RagSettings
from services.rag.embedder import Embedder
from services.rag.model_build import TOKENIZER_FILE, prepare_model
from services.rag.runtime import RagRuntime, open_runtime


@pytest.fixture(scope="session")
def model_dir(data_dir: Path) -> Path:
    folder = data_dir / "models" / "all-minilm-l6-v2"
    prepare_model(folder)
    return folder


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> Embedder:
    return Embedder(model_dir, threads=2)


@pytest.fixture(scope="session")
async def rag_runtime(settings: Settings, pool: asyncpg.Pool, embedder: Embedder) -> AsyncIterator[RagRuntime]:
    runtime = await open_runtime(settings, pool, RagSettings(), embedder=embedder)
    yield runtime
    await runtime.close()


def write_wide_model(folder: Path, tokenizer_from: Path, dim: int = 1024, buckets: int = 997) -> Path:
    """A tiny real ONNX model with a `dim`-wide last hidden state: token id → hashed random vector.

    It stands in for a 1024-d model such as bge-m3 (too big to ship) so the v2 table path runs for real.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(1024)
    table = rng.standard_normal((buckets, dim)).astype(np.float32)
    nodes = [
        helper.make_node("Mod", ["input_ids", "buckets"], ["bucket"]),
        helper.make_node("Gather", ["table", "bucket"], ["last_hidden_state"]),
    ]
    graph = helper.make_graph(
        nodes, "wide",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "seq"])
         for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", dim])],
        initializer=[numpy_helper.from_array(table, "table"),
                     numpy_helper.from_array(np.array(buckets, dtype=np.int64), "buckets")],
    )
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "model.onnx"))
    (folder / TOKENIZER_FILE).write_bytes((tokenizer_from / TOKENIZER_FILE).read_bytes())
    return folder

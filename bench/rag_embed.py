"""Embedding throughput and memory: our ONNX path vs sentence-transformers (PyTorch), same run.

Throughput: both paths embed the same sentences (the first --count of the 1,000 French/English
sentences in tests/rag/data) with the same thread count, in one process, runs interleaved so a busy
machine slows both alike. Memory and accuracy: each path, in its own process, loads its model and
embeds all 1,000 sentences; its peak RSS (VmHWM) is reported and the two outputs are compared
(cosine). The PyTorch side needs
`pip install torch==2.13.0 sentence-transformers` (dev/bench only); without it only ONNX is measured.

    .venv/bin/python -m bench.rag_embed [--threads 2] [--repeat 3] [--count 300]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import write_result

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "tests" / "rag" / "data" / "reference_sentences.json"


def _onnx_embedder(model_dir: Path, threads: int, cache_size: int = 0) -> Any:
    from services.rag.embedder import Embedder

    return Embedder(model_dir, threads=threads, cache_size=cache_size)


def _torch_model(threads: int) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    from services.rag.model_build import default_weights_dir

    torch.set_num_threads(threads)
    return SentenceTransformer(str(default_weights_dir()), device="cpu")


def _torch_embed(model: Any, texts: list[str]) -> np.ndarray:
    vectors: np.ndarray = model.encode(texts, batch_size=32, normalize_embeddings=True)
    return vectors


def _memory_worker(kind: str, threads: int, model_dir: Path, out: Path) -> None:
    """Load one path, embed the 1,000 sentences once, report the process's peak memory."""
    sentences = _sentences()
    if kind == "onnx":
        vectors = _onnx_embedder(model_dir, threads).embed(sentences)
    else:
        vectors = _torch_embed(_torch_model(threads), sentences)
    np.save(out, vectors)
    print(json.dumps({"peak_rss_mb": _peak_rss_mb()}))


def _peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss would inherit the parent's after fork
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sentences() -> list[str]:
    sentences: list[str] = json.loads(SENTENCES.read_text(encoding="utf-8"))
    return sentences


def _memory(kind: str, threads: int, model_dir: Path, out: Path) -> float | None:
    cmd = [sys.executable, "-m", "bench.rag_embed", "--worker", kind, "--threads", str(threads),
           "--model-dir", str(model_dir), "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    if proc.returncode != 0:
        print(f"{kind} worker failed:\n{proc.stderr[-1500:]}", file=sys.stderr)
        return None
    peak: float = json.loads(proc.stdout.strip().splitlines()[-1])["peak_rss_mb"]
    return peak


def _throughput(model_dir: Path, threads: int, repeat: int, count: int, with_torch: bool
                ) -> dict[str, Any]:
    """Both paths in this process, runs interleaved so a busy machine slows both alike."""
    texts = _sentences()[:count]
    onnx = _onnx_embedder(model_dir, threads)
    torch_model = _torch_model(threads) if with_torch else None
    onnx.embed(texts[:64])
    if torch_model is not None:
        _torch_embed(torch_model, texts[:64])
    rates: dict[str, list[float]] = {"onnx": [], "pytorch": []}
    cpu: dict[str, list[float]] = {"onnx": [], "pytorch": []}
    for _ in range(repeat):
        _measure(lambda: onnx.embed(texts), len(texts), rates["onnx"], cpu["onnx"])
        if torch_model is not None:
            _measure(lambda: _torch_embed(torch_model, texts), len(texts), rates["pytorch"], cpu["pytorch"])
    cached = _onnx_embedder(model_dir, threads, cache_size=4096)
    cached.embed(texts)
    return {"onnx_rates": rates["onnx"], "pytorch_rates": rates["pytorch"],
            "onnx_cpu_s": cpu["onnx"], "pytorch_cpu_s": cpu["pytorch"],
            "onnx_repeated_texts_rate": _rate(lambda: cached.embed(texts), len(texts))}


def _measure(run: Any, n: int, rates: list[float], cpu: list[float]) -> None:
    """Wall-clock rate, and CPU seconds of the whole process (all threads), which a busy machine
    disturbs far less than wall time."""
    started_cpu = time.process_time()
    rates.append(_rate(run, n))
    cpu.append(round(time.process_time() - started_cpu, 3))


def _rate(run: Any, n: int) -> float:
    started = time.perf_counter()
    run()
    return round(n / (time.perf_counter() - started), 1)


def _has_torch() -> bool:
    try:
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=300, help="sentences per throughput run")
    parser.add_argument("--worker", choices=["onnx", "torch"])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--model-dir", type=Path)
    args = parser.parse_args()
    if args.worker:
        _memory_worker(args.worker, args.threads, args.model_dir, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="rag-embed-") as tmp:
        _compare(Path(tmp), args)


def _compare(tmp: Path, args: argparse.Namespace) -> None:
    from services.rag.model_build import prepare_model

    model_dir = tmp / "model"
    prepare_model(model_dir)
    with_torch = _has_torch()
    speed = _throughput(model_dir, args.threads, args.repeat, args.count, with_torch)
    onnx_rate = float(np.median(speed["onnx_rates"]))
    figures: dict[str, Any] = {
        "threads": args.threads, "throughput_sentences": args.count, "accuracy_sentences": 1000,
        "onnx_int8": {"rate": onnx_rate, "runs": speed["onnx_rates"],
                      "repeated_texts_rate": speed["onnx_repeated_texts_rate"],
                      "peak_rss_mb": _memory("onnx", args.threads, model_dir, tmp / "onnx.npy")},
    }
    if not with_torch:
        figures["pytorch"] = "not installed: pip install torch==2.13.0 sentence-transformers"
        write_result("rag_embed", figures)
        return
    torch_rate = float(np.median(speed["pytorch_rates"]))
    torch_rss = _memory("torch", args.threads, model_dir, tmp / "torch.npy")
    ours, ref = np.load(tmp / "onnx.npy"), np.load(tmp / "torch.npy")
    cosines = (ours * ref).sum(axis=1) / np.linalg.norm(ref, axis=1)
    onnx_rss = figures["onnx_int8"]["peak_rss_mb"]
    figures.update({
        "pytorch": {"rate": torch_rate, "runs": speed["pytorch_rates"], "peak_rss_mb": torch_rss},
        "speedup_vs_pytorch": round(onnx_rate / torch_rate, 2),
        "cpu_seconds": {"onnx": speed["onnx_cpu_s"], "pytorch": speed["pytorch_cpu_s"]},
        "cpu_efficiency_vs_pytorch": round(float(np.median(speed["pytorch_cpu_s"]))
                                           / float(np.median(speed["onnx_cpu_s"])), 2),
        "memory_ratio_onnx_over_pytorch": round(onnx_rss / torch_rss, 3) if onnx_rss and torch_rss else None,
        "mean_cosine_vs_pytorch": round(float(cosines.mean()), 5),
        "min_cosine_vs_pytorch": round(float(cosines.min()), 5),
        "targets": {"speedup": ">= 1.5", "memory_ratio": "<= 0.333", "mean_cosine": ">= 0.99"},
    })
    write_result("rag_embed", figures)


if __name__ == "__main__":
    main()

"""Compute the PyTorch (sentence-transformers) reference embeddings once and store them in the repo.

Run with torch and sentence-transformers installed (dev/bench only):
    .venv/bin/pip install torch==2.13.0 sentence-transformers
    .venv/bin/python scripts/rag_reference_embeddings.py
It writes tests/rag/data/reference_sentences.json (1,000 French and English sentences) and
reference_minilm.npy (float16, 1,000 × 384) so CI compares our ONNX output without torch.

Sentences: French questions and passage sentences from PIAF's Service-Public.fr QA set (MIT,
etalab-ia/piaf-ml) and English messages from deepset/prompt-injections (Apache-2.0), both in
../shared/data.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "tests" / "rag" / "data"
_GERMAN = re.compile(r"\b(und|ich|nicht|die|der|das|ist|wie|mir|sie|ein|eine)\b", re.I)


def french_sentences() -> list[str]:
    data = json.loads((SHARED / "piaf-spf-qr-test.json").read_text(encoding="utf-8"))["data"]
    out: list[str] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            out.extend(qa["question"] for qa in paragraph["qas"])
            out.append(paragraph["context"][:1500])  # a few long inputs exercise truncation at 256
            out.extend(s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", paragraph["context"]))
    return [s for s in dict.fromkeys(out) if 3 <= len(s.split()) <= 400]


def english_sentences() -> list[str]:
    lines = (SHARED / "prompt-injections-deepset.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"].strip() for line in lines if line.strip()]
    return [t for t in dict.fromkeys(texts) if not _GERMAN.search(t) and len(t.split()) >= 2]


def main() -> None:
    from sentence_transformers import SentenceTransformer

    from services.rag.model_build import default_weights_dir

    rng = random.Random(6)
    french, english = french_sentences(), english_sentences()
    chosen = rng.sample(french, 600) + rng.sample(english, 400)
    rng.shuffle(chosen)
    model = SentenceTransformer(str(default_weights_dir()), device="cpu")
    vectors = model.encode(chosen, batch_size=32, normalize_embeddings=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "reference_sentences.json").write_text(json.dumps(chosen, ensure_ascii=False, indent=0),
                                                  encoding="utf-8")
    np.save(OUT / "reference_minilm.npy", vectors.astype(np.float16))
    print(f"{len(chosen)} sentences ({len(french)} French and {len(english)} English available)")


if __name__ == "__main__":
    main()

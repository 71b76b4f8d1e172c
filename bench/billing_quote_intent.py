"""Quote-intent understanding (services/chat/quote_intent.py) on French and English requests.

The requests are written from templates over a small shop catalogue (products with and without
variants) with quantities in digits and in words; each has its expected outcome: the lines
(product, variant, quantity) or "ask" (ambiguous: the assistant must ask which). Half of the set
(odd indices) was kept aside and run only at the end; the figure that counts is that half's.

    .venv/bin/python -m bench.billing_quote_intent [--part all|tuning|held_out]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from typing import Any

from services.chat.quote_intent import parse, resolve

CATALOGUE: list[dict[str, Any]] = [
    {"id": "file:BA", "name": "Bougie Ambre", "category": "bougies",
     "variants": [{"id": "BA-200", "name": "200 g"}, {"id": "BA-400", "name": "400 g"}]},
    {"id": "file:BF", "name": "Bougie Figue", "category": "bougies", "variants": []},
    {"id": "file:CD", "name": "Coffret découverte", "category": "coffrets", "variants": []},
    {"id": "file:LA", "name": "Lampe Lumière d'Automne", "category": "luminaires", "variants": []},
    {"id": "file:SM", "name": "Savon au miel", "category": "savons", "variants": []},
    {"id": "file:DC", "name": "Diffuseur céramique", "category": "diffuseurs", "variants": []},
    {"id": "file:PL", "name": "Plaid en laine", "category": "textile",
     "variants": [{"id": "PL-GRIS", "name": "gris"}, {"id": "PL-OCRE", "name": "ocre"}]},
]
# (how the visitor names it in French, in English, expected product, expected variant or None)
NAMES = [
    ("bougie ambre 200 g", "amber candle 200 g", "file:BA", "BA-200"),
    ("bougies Ambre 400 g", "Amber candles 400 g", "file:BA", "BA-400"),
    ("bougie figue", "fig candle", "file:BF", None),
    ("coffret découverte", "discovery box", "file:CD", None),
    ("lampe Lumière d'Automne", "Autumn Light lamp", "file:LA", None),
    ("savon au miel", "savon au miel", "file:SM", None),
    ("diffuseur céramique", "ceramic diffuser", "file:DC", None),
    ("plaid en laine ocre", "plaid en laine ocre", "file:PL", "PL-OCRE"),
]
AMBIGUOUS = [("bougie ambre", "amber candle"), ("bougies", "candles"), ("plaid en laine", "plaid en laine")]
QTY_FR = [(1, "un"), (2, "deux"), (3, "3"), (12, "une douzaine de"), (5, "5"), (6, "une demi-douzaine de"),
          (10, "dix"), (4, "quatre")]
QTY_EN = [(1, "one"), (2, "two"), (3, "3"), (12, "a dozen"), (5, "5"), (6, "half a dozen"), (10, "ten"),
          (4, "four")]
TEMPLATES_FR = ["Je voudrais un devis pour {q} {p}", "Bonjour, un devis pour {q} {p} svp",
                "Je voudrais commander {q} {p}", "Il me faudrait {q} {p}, c'est possible ?",
                "Pouvez-vous me faire un devis : {q} {p}", "Je prends {q} {p}"]
TEMPLATES_EN = ["I'd like a quote for {q} {p}", "Hi, could I get a quote for {q} {p}?", "I want to order {q} {p}",
                "Please send me a quote for {q} {p}", "I'll take {q} {p}"]
TWO_FR = "Je voudrais un devis pour {q1} {p1} et {q2} {p2}"
TWO_EN = "I'd like a quote for {q1} {p1} and {q2} {p2}"


def requests() -> list[dict[str, Any]]:
    rng = random.Random(17)
    out: list[dict[str, Any]] = []
    for (fr, en, pid, vid), (_index, (n_fr, w_fr)), (n_en, w_en) in zip(
            itertools.cycle(NAMES), enumerate(itertools.islice(itertools.cycle(QTY_FR), 72)),
            itertools.islice(itertools.cycle(QTY_EN), 72), strict=False):
        out.append({"text": rng.choice(TEMPLATES_FR).format(q=w_fr, p=fr), "lang": "fr",
                    "expect": [[pid, vid, n_fr]]})
        out.append({"text": rng.choice(TEMPLATES_EN).format(q=w_en, p=en), "lang": "en",
                    "expect": [[pid, vid, n_en]]})
    for i in range(40):
        a, b = rng.sample(NAMES, 2)
        (n1, w1), (n2, w2) = rng.choice(QTY_FR), rng.choice(QTY_FR)
        (m1, v1), (m2, v2) = rng.choice(QTY_EN), rng.choice(QTY_EN)
        if i % 2:
            out.append({"text": TWO_FR.format(q1=w1, p1=a[0], q2=w2, p2=b[0]), "lang": "fr",
                        "expect": [[a[2], a[3], n1], [b[2], b[3], n2]]})
        else:
            out.append({"text": TWO_EN.format(q1=v1, p1=a[1], q2=v2, p2=b[1]), "lang": "en",
                        "expect": [[a[2], a[3], m1], [b[2], b[3], m2]]})
    for i in range(24):
        fr, en = AMBIGUOUS[i % len(AMBIGUOUS)]
        lang = "fr" if i % 2 else "en"
        template = rng.choice(TEMPLATES_FR if lang == "fr" else TEMPLATES_EN)
        q = rng.choice(QTY_FR if lang == "fr" else QTY_EN)[1]
        out.append({"text": template.format(q=q, p=fr if lang == "fr" else en), "lang": lang, "expect": "ask"})
    return out


def outcome(text: str) -> Any:
    parsed = parse(text)
    if parsed is None or not parsed.items:
        return None
    lines = []
    for item in parsed.items:
        found = resolve(item, CATALOGUE)
        if found.status == "ambiguous":
            return "ask"
        if found.status == "unknown" or found.option is None:
            return None
        lines.append([found.option.product_id, found.option.variant_id, item.quantity])
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=("all", "tuning", "held_out"), default="held_out")
    args = ap.parse_args()
    data = requests()
    part = {"all": data, "tuning": data[0::2], "held_out": data[1::2]}[args.part]
    wrong = [(r, outcome(r["text"])) for r in part if outcome(r["text"]) != r["expect"]]
    share = 1 - len(wrong) / len(part)
    by_lang = {lang: sum(1 for r in part if r["lang"] == lang) for lang in ("fr", "en")}
    print(json.dumps({"part": args.part, "requests": len(part), "of_total": len(data), "by_language": by_lang,
                      "correct": len(part) - len(wrong), "share": round(share, 4)}, ensure_ascii=False))
    for r, got in wrong[:15]:
        print(f"  MISS {r['text']!r}: expected {r['expect']}, got {got}")


if __name__ == "__main__":
    main()

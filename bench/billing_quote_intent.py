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


# Written by hand after the generated set's figures, before running them once (no tuning after):
# freer phrasings, typos-free but chatty, mixed quantities and the ambiguous cases.
BLIND: list[dict[str, Any]] = [
    {"text": "Bonsoir ! Vous pourriez me faire un devis pour deux bougies figue ?", "expect": [["file:BF", None, 2]]},
    {"text": "devis svp : 4 savons au miel", "expect": [["file:SM", None, 4]]},
    {"text": "Je souhaite commander une lampe Lumière d'Automne", "expect": [["file:LA", None, 1]]},
    {"text": "il me faudrait 10 coffrets découverte pour mes clients", "expect": [["file:CD", None, 10]]},
    {"text": "Un devis pour une douzaine de savons au miel et deux diffuseurs céramique",
     "expect": [["file:SM", None, 12], ["file:DC", None, 2]]},
    {"text": "Je voudrais acheter 3 plaids en laine gris", "expect": [["file:PL", "PL-GRIS", 3]]},
    {"text": "Pouvez-vous me chiffrer 6 bougies ambre 200 g ?", "expect": [["file:BA", "BA-200", 6]]},
    {"text": "Combien pour 2 bougies Ambre 400 g ?", "expect": [["file:BA", "BA-400", 2]]},
    {"text": "je veux une bougie", "expect": "ask"},
    {"text": "Un devis pour un plaid en laine s'il vous plaît", "expect": "ask"},
    {"text": "Je prends deux bougies ambre", "expect": "ask"},
    {"text": "Mettez-moi 5 diffuseurs céramique", "expect": [["file:DC", None, 5]]},
    {"text": "Je voudrais un devis : une lampe Lumière d'Automne + 2 bougies figue",
     "expect": [["file:LA", None, 1], ["file:BF", None, 2]]},
    {"text": "J'aimerais commander trois coffrets découverte", "expect": [["file:CD", None, 3]]},
    {"text": "Est-il possible d'avoir un devis pour 20 savons au miel ?", "expect": [["file:SM", None, 20]]},
    {"text": "Could you send me a quote for 3 fig candles?", "expect": [["file:BF", None, 3]]},
    {"text": "I'd like to buy two discovery boxes", "expect": [["file:CD", None, 2]]},
    {"text": "quote for a dozen amber candles 200 g please", "expect": [["file:BA", "BA-200", 12]]},
    {"text": "How much for 4 ceramic diffusers?", "expect": [["file:DC", None, 4]]},
    {"text": "I want a candle", "expect": "ask"},
    {"text": "Can I get a quote for an amber candle?", "expect": "ask"},
    {"text": "I'll take one Autumn Light lamp and two fig candles",
     "expect": [["file:LA", None, 1], ["file:BF", None, 2]]},
    {"text": "Please quote 5 x savon au miel", "expect": [["file:SM", None, 5]]},
    {"text": "I would like to order a plaid en laine ocre", "expect": [["file:PL", "PL-OCRE", 1]]},
    {"text": "Hello, quote for ten discovery boxes and a ceramic diffuser",
     "expect": [["file:CD", None, 10], ["file:DC", None, 1]]},
    {"text": "Quels sont vos horaires d'ouverture ?", "expect": None},
    {"text": "Je voudrais des informations sur la livraison", "expect": None},
    {"text": "Do you ship to Belgium?", "expect": None},
    {"text": "Merci beaucoup, bonne journée", "expect": None},
    {"text": "Un devis pour 2 chaises en rotin", "expect": None},
]


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
    ap.add_argument("--part", choices=("all", "tuning", "held_out", "blind"), default="held_out")
    ap.add_argument("--record", action="store_true", help="score every part and write the result file")
    args = ap.parse_args()
    data = requests()
    parts = {"all": data, "tuning": data[0::2], "held_out": data[1::2], "blind": BLIND}
    if args.record:
        from bench._common import write_result

        write_result("billing_quote_intent", {
            name: {"requests": len(rows), "correct": sum(outcome(r["text"]) == r["expect"] for r in rows),
                   "share": round(sum(outcome(r["text"]) == r["expect"] for r in rows) / len(rows), 4)}
            for name, rows in parts.items()})
        return
    part = parts[args.part]
    wrong = [(r, outcome(r["text"])) for r in part if outcome(r["text"]) != r["expect"]]
    share = 1 - len(wrong) / len(part)
    by_lang = {lang: sum(1 for r in part if r.get("lang") == lang) for lang in ("fr", "en")}
    print(json.dumps({"part": args.part, "requests": len(part), "of_total": len(data), "by_language": by_lang,
                      "correct": len(part) - len(wrong), "share": round(share, 4)}, ensure_ascii=False))
    for r, got in wrong[:15]:
        print(f"  MISS {r['text']!r}: expected {r['expect']}, got {got}")


if __name__ == "__main__":
    main()

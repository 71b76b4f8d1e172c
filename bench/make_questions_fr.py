"""Writes bench/data/questions_fr.txt: distinct French customer questions for the chat benchmark.

Built from templates a lighting shop's visitors really use (delivery, returns, warranty, stock,
sizing, bulbs, installation, payment, quotes), crossed with the shop's kinds of products and a detail
(a room, a constraint, a place). Each line is one question; none repeats. Run again after editing:

    .venv/bin/python -m bench.make_questions_fr
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "questions_fr.txt"

# (indefinite, definite, demonstrative) forms, so every template agrees in gender and number
PRODUCTS = [
    ("une suspension en laiton", "la suspension en laiton", "cette suspension en laiton"),
    ("une suspension en verre soufflé", "la suspension en verre soufflé", "cette suspension en verre"),
    ("une applique murale", "l'applique murale", "cette applique"),
    ("une applique de salle de bains", "l'applique de salle de bains", "cette applique étanche"),
    ("un lampadaire en chêne", "le lampadaire en chêne", "ce lampadaire"),
    ("un lampadaire liseuse", "le lampadaire liseuse", "ce lampadaire liseuse"),
    ("une lampe de chevet", "la lampe de chevet", "cette lampe de chevet"),
    ("une lampe de bureau", "la lampe de bureau", "cette lampe de bureau"),
    ("une lampe à poser en céramique", "la lampe en céramique", "cette lampe en céramique"),
    ("un plafonnier LED", "le plafonnier LED", "ce plafonnier"),
    ("un lustre à pampilles", "le lustre à pampilles", "ce lustre"),
    ("une guirlande guinguette", "la guirlande guinguette", "cette guirlande"),
    ("un spot encastrable", "le spot encastrable", "ce spot"),
    ("un rail de spots", "le rail de spots", "ce rail"),
    ("une borne d'extérieur", "la borne d'extérieur", "cette borne"),
    ("un abat-jour en lin", "l'abat-jour en lin", "cet abat-jour"),
    ("une ampoule à filament E27", "l'ampoule à filament E27", "cette ampoule"),
    ("une ampoule GU10 à intensité variable", "l'ampoule GU10", "cette ampoule GU10"),
    ("un variateur", "le variateur", "ce variateur"),
    ("une baladeuse", "la baladeuse", "cette baladeuse"),
]
ROOMS = ["pour mon salon", "pour une chambre d'enfant", "pour la cuisine", "au-dessus d'une table de 2 mètres",
         "pour une entrée sombre", "pour un bureau", "pour une terrasse couverte", "pour un couloir étroit",
         "pour une salle de bains", "pour un plafond de 3,20 m"]
PLACES = ["en Belgique", "en Suisse", "à Lyon", "en Corse", "au Luxembourg", "à Bordeaux", "en Martinique",
          "à Lille", "dans un point relais", "au bureau"]

TEMPLATES = [
    "Combien coûte la livraison de {un} {place} ?",
    "En combien de temps recevrai-je {un} {place} ?",
    "Livrez-vous {le} {place} ?",
    "Est-ce que {le} est encore en stock ?",
    "Quand {le} sera-t-il de nouveau disponible ?",
    "Puis-je retourner {le} si la couleur ne me plaît pas ?",
    "Quel est le délai pour renvoyer {le} ?",
    "Quelle garantie avez-vous sur {le} ?",
    "{Ce} convient-il {room} ?",
    "Quelle puissance choisir pour {un} {room} ?",
    "Je cherche {un} {room}, que me conseillez-vous ?",
    "Quelle ampoule faut-il pour {le} ?",
    "{Ce} est-il compatible avec un variateur ?",
    "Comment installer {le} {room} ?",
    "Faut-il un électricien pour poser {le} ?",
    "Quelles sont les dimensions exactes de {le} ?",
    "Existe-t-il {un} dans une autre finition ?",
    "Pouvez-vous me faire un devis pour trois exemplaires de {le} ?",
    "J'aimerais un devis pour {un}, avec la livraison {place}.",
    "Puis-je payer {le} en plusieurs fois ?",
    "Acceptez-vous PayPal pour commander {un} ?",
    "Mon colis avec {le} est arrivé abîmé, que dois-je faire ?",
    "Il manque une pièce dans le carton de {le}, comment l'obtenir ?",
    "{Ce} est-il adapté à une pièce humide ?",
    "Quel est l'indice IP de {le} ?",
    "Peut-on raccourcir le câble de {le} ?",
    "Vendez-vous des pièces détachées pour {le} ?",
    "Quelle température de couleur conseillez-vous avec {le} {room} ?",
    "Bonjour, j'hésite entre deux modèles {room} : {le} ou une lampe à poser ?",
    "Avez-vous {un} qui consomme peu d'électricité ?",
    "Est-ce que {le} fonctionne avec des ampoules connectées ?",
    "Combien de temps dure l'ampoule livrée avec {le} ?",
    "Puis-je venir chercher {le} en boutique ?",
    "Faites-vous une remise si je prends {un} et deux ampoules ?",
    "Où est fabriqué {le} ?",
    "{Ce} existe-t-il en version extérieure ?",
    "J'ai commandé {un} hier, puis-je encore modifier l'adresse de livraison {place} ?",
    "Comment nettoyer {le} sans l'abîmer ?",
    "Le prix de {le} comprend-il l'ampoule ?",
    "Est-ce que {le} peut être offert en paquet cadeau ?",
    "Quels sont vos horaires si je veux voir {le} en vrai ?",
    "{Ce} fait-il du bruit quand le variateur est au minimum ?",
]


def _fill(template: str, forms: tuple[str, str, str], room: str, place: str) -> str:
    un, le, ce = forms
    text = template.format(un=un, le=le, Ce=ce[0].upper() + ce[1:], room=room, place=place)
    return (text.replace(" de le ", " du ").replace(" à le ", " au ").replace(" de une ", " d'une ")
            .replace(" de un ", " d'un "))


def questions(seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    for template, forms in itertools.product(TEMPLATES, PRODUCTS):
        # a template with a room or a place is asked twice, about two different ones
        variants = 2 if "{room}" in template or "{place}" in template else 1
        rooms, places = rng.sample(ROOMS, variants), rng.sample(PLACES, variants)
        for room, place in zip(rooms, places, strict=True):
            text = _fill(template, forms, room, place)
            if text not in seen:
                seen.add(text)
                out.append(text)
    rng.shuffle(out)
    return out


def main() -> int:
    lines = questions()
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} questions written to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""English shop words rendered in French, so that an English question finds French pages.

A shop's knowledge base is French; its visitors sometimes ask in English (« Do you ship to
Switzerland? »). Neither the lexical leg (French terms) nor MiniLM's cosine across languages finds
« Nous livrons la Suisse » for it. `to_french` replaces the English words and phrases of an online
shop's vocabulary (delivery, returns, payment, products, account, countries…) by French words the
pages use; the words it does not know (names: « Opale », « E27 ») stay as they are. Both rag's
lexical query and chat's grounded composer analyse that French rendering for English questions.

Written from the topics an e-commerce FAQ covers, before the English evaluation questions of
bench/data/rag were written (docs/rag.md), never from them. A phrase is matched before its words.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from libs.lexical.analyzer import fold
from libs.lexical.stopwords import STOP_WORDS

_ENTRIES = """
ship|shipping|shipped|ships|deliver|delivers|delivered|delivery|deliveries = livraison livrer expédition
shipping costs|shipping cost|delivery costs|delivery cost|shipping fees|delivery fees|postage = frais de port livraison
send|sent|sending|dispatch|dispatched = envoi expédition
receive|received|arrive|arrives|arrival = recevoir réception livraison
parcel|parcels|package|packages = colis
tracking|track = suivi suivre colis
courier|carrier = transporteur
abroad|international|internationally|overseas|worldwide = étranger international
customs|duties|duty = douane droits de douane
switzerland|swiss = suisse
belgium|belgian = belgique
germany|german = allemagne
spain|spanish = espagne
italy|italian = italie
luxembourg = luxembourg
france|french = france
uk|united kingdom|britain|england = royaume-uni
usa|united states|america = états-unis
canada = canada
europe|eu = europe
return|returns|returned|returning|send back|send it back = retour retourner renvoyer
refund|refunds|refunded|money back = remboursement rembourser
exchange|exchanges|swap = échange échanger
cancel|cancellation|cancelled|canceled = annuler annulation
change my mind|changed my mind|withdrawal = rétractation
warranty|warranties|guarantee|guaranteed = garantie
broken|faulty|defective|not working|stopped working|does not work|doesn't work = panne cassé défectueux
damaged|damage = abîmé endommagé
repair|repairs|fix = réparation
spare part|spare parts|replacement part = pièce détachée rechange
order|orders|ordered|purchase|purchases|buy|bought = commande acheter achat
pay|paid|payment|payments = paiement payer
card|credit card|debit card = carte bancaire
instalments|installments|in several times = plusieurs fois
invoice|invoices|receipt = facture
quote|quotation|estimate = devis
price|prices|cost|costs|how much = prix
free = gratuit offert
discount|promo code|coupon|voucher code = code promo réduction
gift card|gift voucher|voucher = carte cadeau bon d'achat
gift|gifts|present = cadeau
gift wrap|gift wrapping = emballage cadeau
shop|store|showroom|boutique = boutique magasin
opening hours|hours|open = horaires
phone|call|telephone = téléphone appeler
contact|reach = contact joindre
email|e-mail = courriel
account|sign up|register|registration = compte inscription
password|log in|login = mot de passe connexion
newsletter|unsubscribe = newsletter désinscription
personal data|privacy|gdpr = données personnelles
stock|in stock|out of stock|available|availability = stock disponible rupture
pre-order|preorder = précommande
custom|custom-made|made to measure|bespoke|personalised|personalized = sur mesure personnalisé
made|manufactured|handmade|workshop = fabriqué atelier
lamp|lamps = lampe
light|lights|lighting|light fixture|fixture = luminaire lampe
bulb|bulbs|light bulb = ampoule
pendant|pendant light|ceiling light|chandelier = suspension
wall light|sconce = applique
floor lamp = lampadaire
table lamp|bedside lamp = lampe de chevet
shade|lampshade = abat-jour
socket|base = culot douille
dimmable|dimmer = variateur
smart|connected|wifi = connectée domotique
solar = solaire
outdoor|outside|garden|terrace = extérieur jardin terrasse
bathroom = salle de bain
size|sizes|dimensions|height|width = taille dimensions
install|installation|fit|fitting|mount = installer installation pose
electrician = électricien
clean|cleaning|care|maintenance = entretien nettoyage
brass = laiton
glass = verre
oak|wood|wooden = chêne bois
linen = lin
recycle|recycling = recyclage
packaging = emballage
professional|business|trade = professionnel
delay|how long|lead time|time = délai
day|days = jours
week|weeks = semaine
tomorrow|next day = demain
"""
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


@cache
def _table() -> tuple[dict[tuple[str, ...], str], int]:
    """(English phrase as folded words → French words, the longest phrase's length)."""
    table: dict[tuple[str, ...], str] = {}
    for line in _ENTRIES.strip().splitlines():
        english, french = (part.strip() for part in line.split("="))
        for phrase in english.split("|"):
            table[tuple(fold(w.lower()) for w in phrase.split())] = french
    return table, max(len(k) for k in table)


@lru_cache(maxsize=1024)
def to_french(text: str, names_only: bool = False) -> str:
    """The text with the shop's English words and phrases replaced by French ones (longest phrase
    first); English stop words go, other unknown words are kept, or with `names_only` only those that
    look like names (a capital after the first word, or a digit: « Opale », « PayPal », « E27 »): an
    ordinary English word the glossary does not know cannot be in a French page."""
    table, longest = _table()
    words = [m.group() for m in _WORD.finditer(text)]
    folded = [fold(w.replace("’", "'").lower()) for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            french = table.get(tuple(folded[i:i + size]))
            if french is not None:
                out.append(french)
                i += size
                break
        else:
            if folded[i] not in STOP_WORDS["en"] and (not names_only or _looks_like_a_name(words[i], i)):
                out.append(words[i])
            i += 1
    return " ".join(out)


def _looks_like_a_name(word: str, position: int) -> bool:
    return any(c.isdigit() for c in word) or (position > 0 and word[:1].isupper())

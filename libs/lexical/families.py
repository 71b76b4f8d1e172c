"""French word families whose members Snowball stems apart: a verb and the noun made from it
(« livrer » / « livraison », « expédier » / « expédition », « recevoir » / « réception »). A shop's
pages say « la livraison est offerte » where the visitor asks « quand serai-je livré ? », so every
member's stem is indexed and searched as the family's first word's stem, at full weight (unlike the
synonyms of synonyms.py, which are other words for the thing and come in at a lower weight).

Only families of shop vocabulary whose stems Snowball does not conflate are listed (checked by
tests/rag/test_lexical.py); words whose stem would merge with an unrelated word were left out
(« vente » / « vendre »: « vent »; « montage » / « monter »: « mont »).
"""

from __future__ import annotations

FAMILIES_FR: tuple[tuple[str, ...], ...] = (
    ("livraison", "livrer", "livré", "livrez", "livrent"),
    ("expédition", "expédier", "expédié", "expédiez"),
    ("réception", "recevoir", "recevez", "reçu", "reçois", "reçoit", "reçoivent"),
    ("retour", "retourner", "retournez"),
    ("inscription", "inscrire", "inscrivez", "inscrit"),
    ("ouverture", "ouvrir", "ouvrez", "ouvert"),
    ("fermeture", "fermer", "fermé"),
    ("choix", "choisir", "choisissez"),
    ("nettoyage", "nettoyer", "nettoyez"),
    ("emballage", "emballer", "emballé"),
    ("entretien", "entretenir", "entretenez"),
    ("suivi", "suivre"),
    ("retrait", "retirer"),
    ("éclairage", "éclairer"),
    ("allumage", "allumer", "allumé"),
    ("disponible", "disponibilité"),
    ("gravure", "graver", "gravé"),
    ("fixation", "fixer", "fixé"),
    ("modification", "modifier", "modifiez"),
    ("paiement", "payé", "payée"),
    ("connexion", "connecter"),
    ("désinscription", "désinscrire"),
    ("création", "créer"),
    ("suppression", "supprimer"),
    ("réduction", "réduire"),
    ("protection", "protéger"),
    ("recyclage", "recycler"),
    ("dépôt", "déposer"),
    ("perte", "perdre", "perdu"),
    ("correction", "corriger"),
    ("vérification", "vérifier"),
    ("remplacement", "remplacer", "remplaçons"),
    ("identification", "identifier"),
    ("promotion", "promotionnel"),
)

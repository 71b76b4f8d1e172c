"""Stop words, accent-folded (compared after `fold`). French: the Snowball list plus the forms of
être/avoir and a few question words that carry no topic; English: the Snowball list's common core.

`REQUEST_WORDS` are dropped by the analyzer too but are not stop words in the usual sense (the plain
BM25 baseline of services/rag/evaluation.py and language detection read `STOP_WORDS` only): the verbs
a visitor wraps a shop question in (« où **trouver** le numéro de suivi », « **acceptez**-vous
PayPal », « comment **obtenir** une facture », « puis-je **venir** chercher », « s'il vous
**plaît** »), the modal verbs around them (pouvoir, devoir, vouloir, souhaiter…) and a few adverbs
(encore, déjà, toujours, vraiment). In a shop's pages they describe every topic alike; in a question
they made a passage that answers it look like it missed a third of the question (found on the shop
FAQ's development questions of bench/data/rag)."""

from __future__ import annotations

from collections.abc import Iterable

_FR = """
a ai aie aient aies ait as au aura aurai auraient aurais aurait auras aurez auriez aurions aurons
auront aux avaient avais avait avec avez aviez avions avons ayant ayez ayons c ce ceci cela celle
celles celui ces cet cette ceux ci d dans de des du elle elles en es est et etaient etais etait
etant ete etes etiez etions eu eue eues eumes eurent eus eusse eussent eusses eussiez eussions eut
eutes eux fumes furent fus fusse fussent fusses fussiez fussions fut futes ici il ils j je l la le
les leur leurs lui m ma mais me meme mes moi mon n ne nos notre nous on ont ou par pas pour qu que
quel quelle quelles quels qui s sa sans se sera serai seraient serais serait seras serez seriez
serions serons seront ses soi soient sois soit sommes son sont soyez soyons suis sur t ta te tes
toi ton tu un une vos votre vous y
donc or ni car si tout tous toute toutes tres plus moins aussi comme alors ainsi cest lors
"""
_EN = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves
"""

_REQUEST_FR = """
trouver trouve trouves trouvez trouvons trouvent trouvee
obtenir obtiens obtient obtenez obtenons obtiennent obtenu obtenue
venir viens vient venez venons viennent venu venue
accepter accepte acceptes acceptez acceptons acceptent acceptee acceptees
acheter achete achetes achetez achetons achetent
plait plaire
pouvoir peux peut pouvez pouvons peuvent pourrais pourrait pourriez pourrions puis
devoir dois doit devez devons doivent devrais devrait devriez faut faudrait
vouloir veux veut voulez voulons veulent voudrais voudrait voudriez voudrions
souhaiter souhaite souhaites souhaitez souhaitons souhaitent souhaiterais souhaiterait
aller vais vas va allez allons vont savoir sais sait savez dire dites expliquer expliquez
connaitre connais connait connaissez madame monsieur
encore deja toujours vraiment
"""

STOP_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(_FR.split()),
    "en": frozenset(_EN.split()),
}

REQUEST_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(_REQUEST_FR.split()),
    "en": frozenset(),
}


def stop_word_votes(words: Iterable[str]) -> tuple[int, int]:
    """(French, English): how many of the folded `words` are stop words of one of the two languages
    only — the profile that tells a French text from an English one. Words of both lists (« a »,
    « on », « me ») say nothing."""
    fr = en = 0
    for word in words:
        in_fr, in_en = word in STOP_WORDS["fr"], word in STOP_WORDS["en"]
        fr += in_fr and not in_en
        en += in_en and not in_fr
    return fr, en

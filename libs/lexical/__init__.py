"""Text analysis for lexical search (BM25), French first: normalise, fold accents, split elisions,
drop stop words, stem. Pure functions, no I/O; the same analysis runs at indexing and at query time,
so every replica produces the same terms.

    >>> analyze("L'expédition des commandes à l'étranger", "fr")
    ['expedit', 'command', 'etrang']
"""

from libs.lexical.analyzer import (
    LANGUAGES,
    Analyzer,
    analyze,
    analyzer,
    fold,
    normalise,
    term_frequencies,
    tokens,
)
from libs.lexical.stopwords import STOP_WORDS, stop_word_votes

__all__ = ["LANGUAGES", "STOP_WORDS", "Analyzer", "analyze", "analyzer", "fold", "normalise",
           "stop_word_votes", "term_frequencies", "tokens"]

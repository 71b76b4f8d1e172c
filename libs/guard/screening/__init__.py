"""In-process screening of visitor messages (pure, no I/O):

    from libs.guard.screening import Screener
    result = Screener().screen("Ignore all previous instructions")   # Screening(verdict="block", ...)

`screener.py` holds the `Screener` and its result types; the rule table is `rules.py` (vocabularies in
`lexicon.py`, attack families in `families.py`), the co-occurrence cues `cues.py`, the shipped n-gram
model `model.py` and the optional ONNX classifier `classifier.py`. Build one from the shared settings
with `libs.guard.settings.GuardSettings.screener()` so every service screens alike.
"""

from __future__ import annotations

from libs.guard.screening.model import HashedModel
from libs.guard.screening.screener import Classifier, GuardFlags, Screener, Screening, Thresholds

__all__ = ["Classifier", "GuardFlags", "HashedModel", "Screener", "Screening", "Thresholds"]

"""Text normalisation before matching: attackers hide the same words behind many spellings.

`normalise(text)` returns the folded text (NFKC, look-alikes mapped, accents and case folded,
invisible characters removed, spacing collapsed) plus the variants worth matching too: leetspeak
undone, letter-by-letter spacing joined, hidden Unicode tag text, and base64 / hex / URL-encoded blobs
decoded. It also reports the tricks it saw, which are themselves signals.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import re
import string
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote

import numpy as np
import numpy.typing as npt

# Cyrillic and Greek letters that render like Latin ones (the common subset of Unicode confusables).
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "к": "k", "м": "m", "н": "h", "т": "t",
    "в": "b", "ь": "b", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ο": "o", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ı": "i", "ȷ": "j", "ß": "ss", "œ": "oe", "æ": "ae",
    # small capitals and other phonetic letters that read as Latin
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ǫ": "q", "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v",
    "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}
_NOT_LOWER_ASCII = bytes(b for b in range(128) if not 97 <= b <= 122)
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i", "|": "l",
         "€": "e", "9": "g", "+": "t"}

_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
_BIDI = re.compile("[\u202d\u202e\u2066-\u2069]")
_TAG_CHARS = re.compile("[\U000e0000-\U000e007f]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
# A digit or symbol beside a letter; written symbol first so the regex engine skips to the symbols.
_LEET_HINT = re.compile(r"[0-9@$|€](?:(?<=[a-z].)|(?=[a-z]))")
# Runs of four or more single letters split by one separator: "i g n o r e", "i.g.n.o.r.e".
# Separators include dots and dashes of other shapes and emojis / pictographs: "i🙂g🙂n🙂o🙂r🙂e", "p‧r‧o‧m‧p‧t".
_SEP_CHARS = ("[ .\\-_*/|,~+·‧•∙⋅\u2010-\u2015\u2190-\u21ff\u2500-\u27bf\u2b00-\u2bff"
              "\U0001f000-\U0001faff]")
_SPACED_RUN = re.compile(r"(?<!\w)(?:\w" + _SEP_CHARS + r"){3,}\w(?!\w)")
_SEPARATOR = re.compile(_SEP_CHARS)
# Pictographs inside a word ("ig🔥no🔥re") and words cut by hyphens ("in-struc-tions", "pass-word").
# (the same as "(?<=\\w)[…]+(?=\\w)", written pictograph first so the regex engine skips to the pictographs)
_PICTO_IN_WORD = re.compile("[\u2190-\u21ff\u2500-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]"
                            "(?<=\\w.)[\u2190-\u21ff\u2500-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]*(?=\\w)")
# (possessive: a run of letters given back is followed by a letter, never by "-" or a word end; a third faster)
_HYPHENATED = re.compile(r"\b[a-z]{2,}+(?:-[a-z]{2,}+)+\b")
# (not the French pronouns and compounds: "donne-moi", "peux-tu", "ci-dessus", "est-elle", "vis-a-vis")
# (the same as "(?<=[a-z]{2})(?<!\bci)…-(?!…)(?=[a-z]{2})", written hyphen first with each lookbehind one character
# longer, so the regex engine skips to the hyphens instead of trying the lookbehinds everywhere: ~100× faster)
_HYPHEN_IN_WORD = re.compile(r"-(?<=[a-z]{2}-)(?<!\bci-)(?<!\bla-)(?<!\bvis-)(?<!\bpeut-)(?<!\bdire-)"
                             r"(?!(?:moi|toi|tu|vous|nous|"
                             r"ils?|elles?|on|le|la|les|lui|leur|je|ce|ci|dessus|dessous|meme|bas|haut|la|y|en|"
                             r"a|t)\b)(?=[a-z]{2})")
# One pass finds candidate blobs (base64, url-safe base64, hex, \\x-escaped hex); each is then tried.
_BLOB = re.compile(r"(?<![A-Za-z0-9+/_\\-])[A-Za-z0-9+/_\\-]{16,}+={0,2}")
# "(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}[\s:,]){7,}+[0-9a-fA-F]{2}", written hex digit first (the regex engine
# skips to the digits) and its lookbehind one character later
_SPACED_HEX = re.compile(r"[0-9a-fA-F](?<![0-9a-fA-F].)[0-9a-fA-F][\s:,](?:[0-9a-fA-F]{2}[\s:,]){6,}+[0-9a-fA-F]{2}")
_URL_ESCAPE = re.compile(r"(?:%[0-9a-fA-F]{2}){3,}")
_CODEPOINTS = re.compile(r"(?:(?:U\+|\\u)[0-9A-Fa-f]{4,5}[\s,]*){3,}")
_HTML_ENTITY = re.compile(r"&#?[0-9a-zA-Z]{2,8};")
_LATIN = re.compile(r"[a-z]")
# Words that announce a ROT13 or reversed payload: only then is the whole text also read that way.
_ROT13_HINT = re.compile(r"\brot[ -]?13\b|\bc[ae]+sar\b|\bcesar\b")
_REVERSED_HINTS = ("backwards", "revers", "a l'envers", "al reves", "ruckwarts", "al contrario", "alla rovescia",
                   "de droite a gauche", "right to left", "von hinten")  # plain substrings: `in` is fastest
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_LOOKALIKE = re.compile("[\u0370-\u03ff\u0400-\u052f\u0131\u0237\u0261\u00df\u00e6\u0153\u0280-\u02af"
                       "\u1d00-\u1d2b\ua730-\ua7ff]")
_GREEK_CYRILLIC = re.compile("[\u0370-\u03ff\u0400-\u052f]")
_MAX_BLOBS = 6
# Scripts whose words the look-alike table would garble (Cyrillic, Arabic, Hebrew, CJK, kana, hangul).
_NON_LATIN = re.compile("[\u0400-\u04ff\u0590-\u06ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass
class Normalised:
    """The folded text, the extra variants to match, and the tricks noticed on the way."""

    text: str
    variants: list[str] = field(default_factory=list)
    decoded: list[tuple[str, str]] = field(default_factory=list)  # (encoding, folded decoded text)
    tricks: list[str] = field(default_factory=list)
    squashed: str | None = None  # letters only, when letter-spacing tricks were seen
    native: str | None = None  # casefolded but not transliterated, when Cyrillic / CJK / Arabic… letters are present


def fold(text: str) -> str:
    """NFKC, look-alikes to Latin, casefold, accents removed, whitespace collapsed."""
    if text.isascii():
        return _collapse_spaces(text.lower().replace("`", "'"))
    text = unicodedata.normalize("NFKC", text)
    if _LOOKALIKE.search(text):
        text = _replace_all(text, _CONFUSABLES)
    text = text.casefold()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFD", text)).replace("’", "'")
    return _collapse_spaces(text.replace("`", "'"))


def letters(text: str) -> str:
    """Only the letters a-z of `text`, in order: `re.sub("[^a-z]", "", text)` at C speed (the encoding
    drops every other script, the byte table the rest)."""
    return text.encode("ascii", "ignore").translate(None, _NOT_LOWER_ASCII).decode("ascii")


def _collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, none at the ends: `re.sub(r"\\s+", " ", text).strip()`, as
    `str.split` (the same whitespace as `\\s`) runs it at C speed instead of one substitution per space."""
    return " ".join(text.split())


def _printable_ratio(text: str) -> float:
    if not text:
        return 0.0
    good = sum(1 for ch in text if ch.isprintable() or ch in "\n\t\r")
    return good / len(text)


def _as_text(raw: bytes) -> str | None:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    letters = sum(ch.isalpha() for ch in decoded)
    if len(decoded) < 6 or _printable_ratio(decoded) < 0.95 or letters < len(decoded) * 0.5:
        return None
    return decoded


def _decode_base64(blob: str) -> str | None:
    padded = blob + "=" * (-len(blob) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if ("-" in blob or "_" in blob) else base64.b64decode(padded)
    except (binascii.Error, ValueError):
        return None
    return _as_text(raw)


def _decode_hex(blob: str) -> str | None:
    digits = re.sub(r"\\x|0x|[\s:,]", "", blob)
    if len(digits) % 2:
        return None
    try:
        return _as_text(bytes.fromhex(digits))
    except ValueError:
        return None


def _decode_blob(blob: str) -> tuple[str, str] | None:
    hex_digits = re.sub(r"\\x|0x|[\s:,]", "", blob)
    if len(hex_digits) >= 16 and all(ch in string.hexdigits for ch in hex_digits):
        decoded = _decode_hex(hex_digits)
        if decoded is not None:
            return ("hex", decoded)
    if "\\" in blob:
        return None
    decoded = _decode_base64(blob)
    return ("base64", decoded) if decoded is not None else None


def _decoded_blobs(raw: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    candidates = [m.group(0) for m in _BLOB.finditer(raw)][:_MAX_BLOBS]
    candidates += [m.group(0) for m in _SPACED_HEX.finditer(raw)][:_MAX_BLOBS]
    for blob in candidates:
        result = _decode_blob(blob)
        if result is not None and all(result[1] != d for _, d in found):
            found.append(result)
    # the literal each pattern needs is looked for first (`in` runs at C speed; the regex tries every position)
    codepoints = _CODEPOINTS.finditer(raw) if "U+" in raw or "\\u" in raw else iter(())
    for match in codepoints:
        points = re.findall(r"(?:U\+|\\u)([0-9A-Fa-f]{4,5})", match.group(0))
        found.append(("codepoints", "".join(chr(int(p, 16)) for p in points if int(p, 16) < 0x110000)))
    if "%" in raw and _URL_ESCAPE.search(raw):
        found.append(("url", unquote(raw)))
    if _HTML_ENTITY.search(raw):
        found.append(("html", html.unescape(raw)))
    return found


def _tag_text(raw: str) -> str:
    """Unicode tag characters (U+E0020…E007E) mirror ASCII and render as nothing: hidden text."""
    hidden = "".join(_TAG_CHARS.findall(raw))
    return "".join(chr(ord(ch) - 0xE0000) for ch in hidden if 0x20 <= ord(ch) - 0xE0000 < 0x7F)


def _despace(text: str) -> str:
    return _SPACED_RUN.sub(lambda m: _SEPARATOR.sub("", m.group(0)), text)


def _mixed_script(raw: str) -> bool:
    """A word mixing Latin with Cyrillic/Greek letters is a look-alike disguise, not a language."""
    for word in raw.split():
        if word.isascii():  # ASCII letters are all Latin
            continue
        scripts = {unicodedata.name(ch, "?").split(" ")[0] for ch in word if ch.isalpha()}
        if "LATIN" in scripts and scripts & {"CYRILLIC", "GREEK"}:
            return True
    return False


def normalise(raw: str) -> Normalised:
    tricks: list[str] = []
    hidden = _tag_text(raw)
    if hidden:
        tricks.append("tag_smuggling")
        raw = _TAG_CHARS.sub("", raw) + " " + hidden
    bidi = _BIDI.search(raw) is not None
    if bidi:
        tricks.append("bidi_override")
    cleaned, invisible = _INVISIBLE.subn("", raw)
    if invisible >= 2:
        tricks.append("invisible_chars" if invisible < 5 else "many_invisible_chars")
    cleaned, controls = _CONTROL.subn(" ", cleaned)
    if controls:
        tricks.append("control_chars")
    if not cleaned.isascii() and _GREEK_CYRILLIC.search(cleaned) and _mixed_script(cleaned):
        tricks.append("mixed_script")
    result = Normalised(text=fold(cleaned), tricks=tricks)
    if not cleaned.isascii() and _NON_LATIN.search(cleaned):  # look-alike mapping garbles real Russian, Chinese…
        result.native = _collapse_spaces(cleaned.casefold())
    if bidi:  # right-to-left override: what is displayed is the reverse of what is stored
        result.variants.append(result.text[::-1])
    _add_variants(result)
    for encoding, decoded in _decoded_blobs(cleaned):
        result.decoded.append((encoding, fold(decoded)))
    return result


def _replace_all(text: str, table: dict[str, str]) -> str:
    """`text.translate(str.maketrans(table))` for a table whose replacements hold none of its characters:
    one `str.replace` per character present is far faster than `str.translate` on a long non-ASCII text."""
    for char in table.keys() & set(text):
        text = text.replace(char, table[char])
    return text


def _add_variants(result: Normalised) -> None:
    text = result.text
    leet: str | None = None
    if _LEET_HINT.search(text):
        leet = _replace_all(text, _LEET)
        if leet != text:
            result.variants.append(leet)
            result.tricks.append("leetspeak")
    if ("rot" in text or "sar" in text) and _ROT13_HINT.search(text):
        result.variants.append(codecs.encode(text, "rot13"))
        result.tricks.append("rot13")
    if any(hint in text for hint in _REVERSED_HINTS):
        result.variants.append(text[::-1])
        result.tricks.append("reversed_text")
    if len(_PICTO_IN_WORD.findall(text)) >= 2:
        result.variants.append(_PICTO_IN_WORD.sub("", text))
        result.tricks.append("pictograph_splitting")
    if text.count("-") >= 3 and len({w for w in _HYPHENATED.findall(text) if _HYPHEN_IN_WORD.search(w)}) >= 3:
        result.variants.append(_HYPHEN_IN_WORD.sub("", text))
        result.tricks.append("hyphen_splitting")
    if _SPACED_RUN.search(text):
        despaced = _despace(text)
        result.variants.append(despaced)
        if _LATIN.search(despaced):
            result.tricks.append("letter_spacing")
            result.squashed = letters(leet if leet is not None else _replace_all(text, _LEET))


def code_points(text: str) -> npt.NDArray[np.uint32]:
    """The text's code points as an array, for the numpy passes of screening (the rule scan, the
    model's n-gram hashes, the variants' changed spans). A lone surrogate (JSON allows "\\ud800")
    is a code point like any other, never an encoding error."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)

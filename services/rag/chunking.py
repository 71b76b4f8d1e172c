"""Structure-aware chunking bounded by model tokens, with overlap.

The text is cut into blocks (headings, paragraphs, list items); blocks are packed into chunks of at
most `max_tokens` tokens; each chunk starts with the trail of headings above it (so a passage about
« Délais » under « Livraison » still says what it is about) and repeats the tail of the previous chunk
of the same section up to `overlap` tokens. A block longer than a chunk is split at sentence ends,
then at token boundaries.

A FAQ written without headings — a question on its own line (« Livrez-vous en Belgique ? »,
« **Puis-je payer en trois fois ?** », « Q : … ») followed by its answer — is cut by question/answer
pair: the question opens a section of its own, under the headings above it, so each answer is a chunk
that starts with its question (one chunk per pair instead of answers packed together, where the
question a visitor asks matched the chunk of another pair as well as its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# names the chunking rules; part of a document's content hash, so a new version re-chunks a document
# the next time it is ingested (2: FAQ question/answer pairs)
CHUNKER = "chunker-2"

CountTokens = Callable[[str], int]
TokenOffsets = Callable[[str], list[tuple[int, int]]]

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
# a question line of a FAQ: optional « Q : » / « Question : », optional bold, ends with « ? »
_QUESTION = re.compile(r"^(?P<prefix>(?:q|question)\s*[:.)-]\s*)?(?P<bold>\*\*|__)?(?P<q>[^*_].*?\?)\s*(?:\*\*|__)?$",
                       re.IGNORECASE)
_QUESTION_MAX_WORDS = 25
QUESTION_LEVEL = 7  # below every markdown heading: the next heading of any level closes the pair


@dataclass(frozen=True)
class Block:
    text: str
    headings: tuple[str, ...]


@dataclass(frozen=True)
class Tokenizer:
    count: CountTokens
    offsets: TokenOffsets


def split_blocks(text: str, markdown: bool = True) -> list[Block]:
    blocks: list[Block] = []
    trail: list[tuple[int, str]] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(" ".join(paragraph).strip(), tuple(h for _, h in trail)))
            paragraph.clear()

    lines = [raw.strip() for raw in text.replace("\r\n", "\n").split("\n")]
    for i, line in enumerate(lines):
        heading = _HEADING.match(line) if markdown else None
        question = None if heading else _question(line, lines[i + 1:], bool(paragraph))
        if heading:
            flush()
            level = len(heading.group(1))
            trail[:] = [(lvl, h) for lvl, h in trail if lvl < level] + [(level, heading.group(2))]
        elif question:
            flush()
            trail[:] = [(lvl, h) for lvl, h in trail if lvl < QUESTION_LEVEL] + [(QUESTION_LEVEL, question)]
        elif not line:
            flush()
        elif _LIST_ITEM.match(line):
            flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
    flush()
    return [b for b in blocks if b.text]


def _question(line: str, rest: list[str], in_paragraph: bool) -> str | None:
    """The question when `line` is a FAQ question followed by an answer (the next non-empty line is
    neither a heading nor another question). A plain line ending with « ? » counts only when it
    starts a paragraph (« Vous vous êtes trompé d'adresse ? » inside an answer stays in it); one
    marked « Q : » or in bold counts anywhere."""
    match = _QUESTION.match(line)
    if not match or len(line.split()) > _QUESTION_MAX_WORDS or _LIST_ITEM.match(line):
        return None
    if in_paragraph and not (match.group("prefix") or match.group("bold")):
        return None
    following = next((r for r in rest if r), None)
    if following is None or following.startswith("#") or _QUESTION.match(following):
        return None
    return match.group("q").strip()


def chunk_text(text: str, tokenizer: Tokenizer, max_tokens: int, overlap: int,
               markdown: bool = True) -> list[str]:
    chunks: list[str] = []
    all_blocks = split_blocks(text, markdown) or split_blocks(text, markdown=False)  # e.g. headings only
    for section, blocks in _sections(all_blocks):
        prefix = "\n".join(section) + "\n" if section else ""
        budget = max(16, max_tokens - tokenizer.count(prefix))
        pieces = [p for b in blocks for p in _fit(b.text, tokenizer, budget)]
        chunks.extend(prefix + body for body in _pack(pieces, tokenizer, budget, overlap))
    return chunks


def _sections(blocks: list[Block]) -> list[tuple[tuple[str, ...], list[Block]]]:
    sections: list[tuple[tuple[str, ...], list[Block]]] = []
    for block in blocks:
        if sections and sections[-1][0] == block.headings:
            sections[-1][1].append(block)
        else:
            sections.append((block.headings, [block]))
    return sections


def _fit(text: str, tokenizer: Tokenizer, budget: int) -> list[str]:
    """The block itself if it fits, else its sentences, else token windows."""
    if tokenizer.count(text) <= budget:
        return [text]
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if tokenizer.count(sentence) <= budget:
            out.append(sentence)
        else:
            out.extend(_token_windows(sentence, tokenizer, budget))
    return out


def _token_windows(text: str, tokenizer: Tokenizer, budget: int) -> list[str]:
    offsets = tokenizer.offsets(text)
    return [text[offsets[i][0] : offsets[min(i + budget, len(offsets)) - 1][1]]
            for i in range(0, len(offsets), budget)]


def _pack(pieces: list[str], tokenizer: Tokenizer, budget: int, overlap: int) -> list[str]:
    chunks: list[str] = []
    current: list[tuple[str, int]] = []
    used = 0
    for piece in pieces:
        size = tokenizer.count(piece) + 1
        if current and used + size > budget:
            chunks.append("\n".join(text for text, _ in current))
            current = _tail(current, overlap, budget - size)
            used = sum(n for _, n in current)
        current.append((piece, size))
        used += size
    if current:
        chunks.append("\n".join(text for text, _ in current))
    return chunks


def _tail(pieces: list[tuple[str, int]], overlap: int, room: int) -> list[tuple[str, int]]:
    """The last whole pieces of the previous chunk that fit in the overlap (and in the room left)."""
    kept: list[tuple[str, int]] = []
    total = 0
    for text, size in reversed(pieces):
        if total + size > min(overlap, room):
            break
        kept.insert(0, (text, size))
        total += size
    return kept

"""Structure-aware chunking bounded by model tokens, with overlap.

The text is cut into blocks (headings, paragraphs, list items); blocks are packed into chunks of at
most `max_tokens` tokens; each chunk starts with the trail of headings above it (so a passage about
« Délais » under « Livraison » still says what it is about) and repeats the tail of the previous chunk
of the same section up to `overlap` tokens. A block longer than a chunk is split at sentence ends,
then at token boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

CountTokens = Callable[[str], int]
TokenOffsets = Callable[[str], list[tuple[int, int]]]

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_LIST_ITEM = re.compile(r"^\s*([-*+•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


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

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        heading = _HEADING.match(line) if markdown else None
        if heading:
            flush()
            level = len(heading.group(1))
            trail[:] = [(lvl, h) for lvl, h in trail if lvl < level] + [(level, heading.group(2))]
        elif not line:
            flush()
        elif _LIST_ITEM.match(line):
            flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
    flush()
    return [b for b in blocks if b.text]


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

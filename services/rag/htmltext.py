"""HTML to Markdown-like text that keeps the structure the chunker needs (headings, paragraphs, lists).

The page's main content is found by trafilatura (a maintained extractor: it scores blocks by text
density and link density, so menus, footers, cookie banners and « you may also like » blocks built
from plain `div`s are left out, which a tag skip-list cannot do). Pages it finds no content in
(very short pages, fragments) go through the small parser below, which keeps everything but
scripts, styles and navigation tags.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "footer", "head"}
_BLOCKS = {"p", "div", "section", "article", "br", "tr", "table", "blockquote", "pre", "dd", "dt",
           "ul", "ol", "main", "header"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: str | None = None
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag in _HEADINGS:
            self.parts.append("\n\n" + "#" * _HEADINGS[tag] + " ")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in _HEADINGS or tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif self._skip_depth == 0:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> tuple[str | None, str]:
    """(title, text) of an HTML page's main content; headings become `#` lines, list items `- `."""
    import trafilatura  # imported on first use: it loads lxml and its models (~0.3 s)

    text = trafilatura.extract(html, output_format="markdown", include_comments=False, include_tables=True,
                               include_links=False, include_images=False, favor_recall=True)
    # on a very short page trafilatura falls back to a flat text without headings: the small
    # parser keeps the structure there
    flat = text is not None and not re.search(r"^#{1,6} ", text, re.M) and re.search(r"<h[1-6][\s>]", html, re.I)
    if text and text.strip() and not flat:
        metadata = trafilatura.extract_metadata(html)
        title = (metadata.title if metadata is not None else None) or _fallback(html)[0]
        return title, re.sub(r"\n{3,}", "\n\n", text).strip()
    return _fallback(html)


def _fallback(html: str) -> tuple[str | None, str]:
    parser = _Extractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return (parser.title or None), text

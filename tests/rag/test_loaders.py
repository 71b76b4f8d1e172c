"""Reading files, folders, JSONL records and URLs; bad sources are named and skipped."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fpdf import FPDF

from services.rag.fetch import fetch_url
from services.rag.htmltext import html_to_text
from services.rag.loaders import Defaults, LoadError, expand_paths, load_file, parse_jsonl

D = Defaults(category="faq", language="fr")
PAGE = b"""<html><head><title>Livraison</title><style>p{color:red}</style></head><body>
<nav>Menu</nav><h1>Livraison</h1><p>Offerte d&egrave;s 80&nbsp;&euro;.</p>
<h2>D\xc3\xa9lais</h2><ul><li>Colissimo : 2 &agrave; 4 jours</li><li>Chronopost : 24 h</li></ul>
<script>alert(1)</script></body></html>"""


def test_html_keeps_structure_and_drops_scripts() -> None:
    title, text = html_to_text(PAGE.decode())
    assert title == "Livraison"
    assert text.splitlines()[0] == "# Livraison"
    assert "## Délais" in text and "- Colissimo : 2 à 4 jours" in text and "Offerte dès 80 €." in text
    assert "alert" not in text and "color" not in text and "Menu" not in text


def test_each_file_kind(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Titre\n\nTexte.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Du texte brut.", encoding="utf-8")
    (tmp_path / "c.html").write_bytes(PAGE)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Garantie de cinq ans sur les luminaires.")
    pdf.output(str(tmp_path / "d.pdf"))
    (tmp_path / "e.jsonl").write_text(
        '{"id": "faq-1", "text": "Retours sous 30 jours.", "source": "faq.csv", "metadata": {"x": 1}}\n'
        '{"text": "Sans id.", "language": "en", "category": "misc"}\n', encoding="utf-8")
    (tmp_path / ".hidden.md").write_text("caché")
    (tmp_path / "ignored.bin").write_bytes(b"\x00\x01")
    files = list(expand_paths([tmp_path]))
    assert [f.name for f in files] == ["a.md", "b.txt", "c.html", "d.pdf", "e.jsonl"]
    docs = [d for f in files for d in load_file(f, D, 1_000_000)]
    assert [d.format for d in docs] == ["markdown", "text", "markdown", "text", "markdown", "markdown"]
    assert "Garantie de cinq ans" in docs[3].text
    faq, loose = docs[4], docs[5]
    assert (faq.doc_key, faq.source, faq.metadata) == ("faq-1", "faq.csv", {"x": 1, "doc_id": "faq-1"})
    assert faq.category == "faq" and faq.language == "fr"
    assert loose.doc_key.endswith("e.jsonl:2") and loose.language == "en" and loose.category == "misc"


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"), (b"   \n", "empty"), (b"\x00\x01\x02binary", "binary"),
    (b"\xff\xfe\xfa caf\xe9", "not UTF-8"), (b"x" * 5000, "too large"),
])
def test_bad_files_are_named_with_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason) as err:
        load_file(path, D, max_bytes=4096)
    assert err.value.source == str(path)


def test_unreadable_and_broken_pdf(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="unreadable"):
        load_file(tmp_path / "missing.md", D, 4096)
    (tmp_path / "x.pdf").write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(LoadError, match="PDF"):
        load_file(tmp_path / "x.pdf", D, 4096)


def test_malformed_jsonl_record_names_its_line() -> None:
    good = '{"id": 1, "text": "ok"}'
    with pytest.raises(LoadError, match=r"f\.jsonl:2: invalid JSON"):
        list(parse_jsonl(good + "\n{oops\n", "f.jsonl", D))
    with pytest.raises(LoadError, match=r"f\.jsonl:1: a record needs"):
        list(parse_jsonl('{"id": 1, "text": ""}', "f.jsonl", D))


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {
            "/page": (200, "text/html; charset=utf-8", PAGE),
            "/faq.md": (200, "application/octet-stream", b"# FAQ\n\nBonjour."),
            "/records": (200, "application/x-ndjson", b'{"id": "r1", "text": "Un enregistrement."}\n'),
            "/big": (200, "text/plain", b"x" * 50_000),
        }
        if self.path == "/slow":
            time.sleep(1.5)
        status, ctype, body = routes.get(self.path, (404, "text/plain", b"nope"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if self.path != "/big":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up on purpose
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


async def test_urls_are_fetched_with_limits(site: str) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as client:
        [page] = await fetch_url(client, f"{site}/page", D, 10_000)
        assert page.source == f"{site}/page" and page.title == "Livraison" and "## Délais" in page.text
        [md] = await fetch_url(client, f"{site}/faq.md", D, 10_000)
        assert md.format == "markdown" and md.text.startswith("# FAQ")
        [record] = await fetch_url(client, f"{site}/records", D, 10_000)
        assert record.metadata == {"doc_id": "r1"}
        with pytest.raises(LoadError, match="too large"):
            await fetch_url(client, f"{site}/big", D, 10_000)
        with pytest.raises(LoadError, match="HTTP 404"):
            await fetch_url(client, f"{site}/missing", D, 10_000)
        with pytest.raises(LoadError, match="timed out"):
            await fetch_url(client, f"{site}/slow", D, 10_000)
        with pytest.raises(LoadError, match="fetch failed"):
            await fetch_url(client, "http://127.0.0.1:9/", D, 10_000)


HTML_FIXTURES = Path(__file__).parent / "data" / "html"


@pytest.mark.parametrize(("page", "kept", "dropped"), [
    ("livraison-theme.html",
     ["# Livraison et retours", "## Délais de livraison", "deux à trois jours ouvrés", "5,90 €",
      "- Les abat-jour personnalisés ne sont pas repris."],
     ["cookies", "Tout accepter", "Lampes à poser", "Panier", "Accueil /", "lettre d'information",
      "Conditions générales", "Instagram", "Tous droits réservés", "Paiement en 3 fois"]),
    ("produit-orsay.html",
     ["# Suspension Orsay", "verre soufflé bouche de 40 cm", "### Entretien", "eau tiède savonneuse"],
     ["cookies", "Nouveautés", "Rechercher un produit", "Vous aimerez aussi", "Lampe Camille",
      "Service client", "Retours sous 30 jours"]),
])
def test_html_main_content_leaves_menus_footers_and_banners_out(page: str, kept: list[str],
                                                                 dropped: list[str]) -> None:
    title, text = html_to_text((HTML_FIXTURES / page).read_text(encoding="utf-8"))
    assert title in ("Livraison et retours", "Suspension Orsay")
    for piece in kept:
        assert piece in text, piece
    for piece in dropped:
        assert piece not in text, piece


def test_a_fragment_without_main_content_still_gives_its_text() -> None:
    title, text = html_to_text("<div>Bonjour</div>")
    assert text == "Bonjour" and title is None

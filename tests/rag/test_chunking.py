"""Structure-aware chunking bounded by model tokens."""

from __future__ import annotations

import itertools

from services.rag.chunking import Tokenizer, chunk_text, split_blocks
from services.rag.embedder import Embedder

DOC = """# Livraison

## Délais

Les commandes passées avant 14 h partent le jour même.

- Colissimo : 2 à 4 jours
- Chronopost : 24 h

## Frais

Offerts dès 80 €.
"""


def _tok(embedder: Embedder) -> Tokenizer:
    return Tokenizer(embedder.token_count, embedder.tokenize_offsets)


def test_blocks_keep_headings_and_list_items() -> None:
    blocks = split_blocks(DOC)
    assert [b.text for b in blocks] == [
        "Les commandes passées avant 14 h partent le jour même.",
        "- Colissimo : 2 à 4 jours", "- Chronopost : 24 h", "Offerts dès 80 €.",
    ]
    assert blocks[0].headings == ("Livraison", "Délais")
    assert blocks[-1].headings == ("Livraison", "Frais")


def test_sections_become_chunks_prefixed_by_their_headings(embedder: Embedder) -> None:
    chunks = chunk_text(DOC, _tok(embedder), max_tokens=200, overlap=20)
    assert len(chunks) == 2
    assert chunks[0].startswith("Livraison\nDélais\n") and "Chronopost" in chunks[0]
    assert chunks[1] == "Livraison\nFrais\nOfferts dès 80 €."


def test_long_text_is_bounded_by_tokens_with_overlap(embedder: Embedder) -> None:
    sentences = [f"La lampe numéro {i} a un abat-jour en lin et un pied en chêne." for i in range(60)]
    text = "# Catalogue\n\n" + " ".join(sentences)
    chunks = chunk_text(text, _tok(embedder), max_tokens=64, overlap=30)
    assert len(chunks) > 5
    assert all(embedder.token_count(c) <= 64 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        last_sentence = before.splitlines()[-1]
        assert last_sentence in after  # the overlap repeats the previous chunk's tail
    covered = " ".join(chunks)
    assert all(s in covered for s in sentences)


def test_a_single_huge_word_run_is_cut_at_token_windows(embedder: Embedder) -> None:
    text = "abc " * 3000
    chunks = chunk_text(text, _tok(embedder), max_tokens=50, overlap=0, markdown=False)
    assert len(chunks) > 1 and all(embedder.token_count(c) <= 50 for c in chunks)
    assert sum(c.split().count("abc") for c in chunks) == 3000


def test_headings_only_text_still_gives_a_chunk(embedder: Embedder) -> None:
    assert chunk_text("# Horaires\n## Du mardi au samedi", _tok(embedder), 200, 20) == [
        "# Horaires ## Du mardi au samedi"]


FAQ = """# Questions fréquentes
Livrez-vous en Belgique ?
Oui, nous livrons la Belgique en 4 à 7 jours ouvrés.

**Puis-je payer en trois fois ?**
Oui, dès 150 € d'achat.
Q : Comment suivre mon colis ?
Avec le numéro de suivi reçu par courriel.
Vous vous êtes trompé d'adresse ?
Écrivez-nous au plus vite.

## Retours
Des questions ?
"""


def test_a_faq_is_cut_by_question_and_answer(embedder: Embedder) -> None:
    blocks = split_blocks(FAQ)
    assert [b.headings for b in blocks[:3]] == [
        ("Questions fréquentes", "Livrez-vous en Belgique ?"),
        ("Questions fréquentes", "Puis-je payer en trois fois ?"),  # bold marks, « Q : » go
        ("Questions fréquentes", "Comment suivre mon colis ?")]
    # a plain question inside an answer stays in it; a question with no answer after it stays text;
    # a heading closes the pair
    assert "Vous vous êtes trompé d'adresse ?" in blocks[2].text
    assert blocks[3] == type(blocks[3])("Des questions ?", ("Questions fréquentes", "Retours"))
    chunks = chunk_text(FAQ, _tok(embedder), max_tokens=200, overlap=20)
    assert len(chunks) == 4
    assert chunks[0] == ("Questions fréquentes\nLivrez-vous en Belgique ?\n"
                         "Oui, nous livrons la Belgique en 4 à 7 jours ouvrés.")
    # plain text (a page's text, a .txt file): the pairs are found too
    plain = "Livrez-vous en Belgique ?\nOui, en 4 à 7 jours.\n\nPuis-je payer en trois fois ?\nOui, dès 150 €."
    assert chunk_text(plain, _tok(embedder), max_tokens=200, overlap=20, markdown=False) == [
        "Livrez-vous en Belgique ?\nOui, en 4 à 7 jours.", "Puis-je payer en trois fois ?\nOui, dès 150 €."]

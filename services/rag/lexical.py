"""The lexical (BM25) leg: postings written at ingestion, ranked in SQL with Postgres-held statistics.

Terms come from `libs.lexical` (fold, elide, stop, stem). A chunk is indexed with its document's title
in front (unless the chunk already starts with it): a passage under « Retours » matches « retour »
even when its text never says it. Document frequencies, the chunk count and the average length are
maintained by triggers (migration 056), so every replica ranks with the same numbers.

score(chunk) = Σ over query terms t of idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)),
idf(t) = ln(1 + (N − df + ½) / (df + ½))  (the BM25 of Lucene / Robertson–Spärck Jones).
coverage(chunk) = Σ idf(t) of the query terms the chunk holds / Σ idf(t) of all the query's terms
(weights included): how much of the question the chunk speaks of, whatever how often — BM25's term
frequency saturation still lets a chunk repeating one rare word outrank one holding every word.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from libs.common.db import Conn
from libs.lexical import LANGUAGES, analyze, fold, stop_word_votes, tokens
from libs.lexical.glossary import to_french
from libs.lexical.synonyms import expand

# names the analysis the postings were made with: changing libs.lexical's output means a new name,
# and the service re-indexes its chunks at start-up (see `reindex_if_stale`)
ANALYZER = "lexical-2"  # 2: request verbs dropped (libs/lexical/stopwords.py)
TERM_TABLES = {"app_knowledge_chunks": "app_knowledge_terms", "app_knowledge_chunks_v2": "app_knowledge_terms_v2"}
TERM_COLUMNS = ("term", "chunk_id", "tf", "dl")
MAX_QUERY_TERMS = 32

Posting = tuple[str, uuid.UUID, float, int]


@dataclass(frozen=True)
class Bm25:
    k1: float = 1.2
    b: float = 0.75


def index_text(content: str, title: str | None) -> str:
    """What a chunk is indexed (and embedded) as: the title in front when the chunk lacks it."""
    if not title or content.lstrip().lower().startswith(title.strip().lower()):
        return content
    return f"{title.strip()}\n{content}"


def postings(chunk_id: uuid.UUID, text: str, language: str | None) -> list[Posting]:
    counts = Counter(analyze(text, language))
    length = sum(counts.values())
    return [(term, chunk_id, float(n), length) for term, n in counts.items()]


def query_terms(query: str, language: str | None, synonyms: bool = True) -> list[tuple[str, float]]:
    """The query's distinct terms with their weights: both analyses when the language is not given,
    French shop synonyms at a lower weight (libs.lexical.synonyms), a phrase's group for the whole
    phrase only."""
    fr, en = stop_word_votes(fold(t) for t in tokens(query))
    # without a language: French alone when its stop words say French (the English stems of a French
    # question only add accidental matches), both otherwise (an English question over French pages
    # still needs the French terms of its names)
    langs = [language] if language in LANGUAGES else (["fr"] if fr > en else list(LANGUAGES))
    texts = [(query, lang) for lang in langs]
    if language == "en" or (language is None and en > fr):
        # the French words of the shop's English vocabulary first (libs.lexical.glossary): an English
        # question over French pages; the question's own terms follow (names match as they are)
        texts.insert(0, (to_french(query), "fr"))
    terms = list(dict.fromkeys(t for text, lang in texts for t in analyze(text, lang)))[:MAX_QUERY_TERMS]
    if not synonyms or "fr" not in langs:
        return [(t, 1.0) for t in terms]
    return expand(terms, "fr", whole_phrases=True)[: 2 * MAX_QUERY_TERMS]


_STATS = """
n AS (
  SELECT greatest(chunks, 1)::float8 AS n, greatest(total_length::float8 / greatest(chunks, 1), 1) AS avgdl
  FROM app_knowledge_lexical_stats WHERE chunk_table = '{table}'
), q AS (
  SELECT s.term, w.weight * ln(1 + (n.n - s.df + 0.5) / (s.df + 0.5)) AS idf
  FROM unnest($1::text[], $9::float8[]) AS w(term, weight)
  JOIN app_knowledge_term_stats s ON s.chunk_table = '{table}' AND s.term = w.term
  CROSS JOIN n
)"""
# $1 terms ($9 their weights), $2 postings read per term (best impact first), $3 k1, $4 b, $5 limit
SEARCH = "WITH" + _STATS + """
SELECT p.chunk_id AS id,
       sum(q.idf * p.tf * (k.k1 + 1) / (p.tf + k.k1 * (1 - k.b + k.b * p.dl / n.avgdl)))::float8 AS score,
       (sum(q.idf) / max(tq.total))::float8 AS coverage
FROM q CROSS JOIN n CROSS JOIN (SELECT $3::float8 AS k1, $4::float8 AS b) k
CROSS JOIN (SELECT greatest(sum(idf), 1e-9) AS total FROM q) tq CROSS JOIN LATERAL (
  SELECT t.chunk_id, t.tf, t.dl FROM {terms} t WHERE t.term = q.term ORDER BY t.impact DESC LIMIT $2
) p
GROUP BY p.chunk_id ORDER BY score DESC, p.chunk_id LIMIT $5
"""
# the same with the category ($6) / language ($7) / source ($8) filters, checked on the chunk while a
# term's postings are read in impact order (so a filter does not starve the leg)
SEARCH_FILTERED = "WITH" + _STATS + """
SELECT p.chunk_id AS id,
       sum(q.idf * p.tf * (k.k1 + 1) / (p.tf + k.k1 * (1 - k.b + k.b * p.dl / n.avgdl)))::float8 AS score,
       (sum(q.idf) / max(tq.total))::float8 AS coverage
FROM q CROSS JOIN n CROSS JOIN (SELECT $3::float8 AS k1, $4::float8 AS b) k
CROSS JOIN (SELECT greatest(sum(idf), 1e-9) AS total FROM q) tq CROSS JOIN LATERAL (
  SELECT t.chunk_id, t.tf, t.dl FROM {terms} t JOIN {table} c ON c.id = t.chunk_id
  WHERE t.term = q.term AND ($6::text IS NULL OR c.category = $6) AND ($7::text IS NULL OR c.language = $7)
    AND ($8::text IS NULL OR c.source = $8)
  ORDER BY t.impact DESC LIMIT $2
) p
GROUP BY p.chunk_id ORDER BY score DESC, p.chunk_id LIMIT $5
"""


async def search(conn: Conn, table: str, terms: Sequence[tuple[str, float]], limit: int, per_term: int,
                 bm25: Bm25, category: str | None, language: str | None, source: str | None
                 ) -> list[asyncpg.Record]:
    if not terms or limit <= 0:
        return []
    fmt = {"table": table, "terms": TERM_TABLES[table]}
    names, weights = [t for t, _ in terms], [w for _, w in terms]
    if category is None and language is None and source is None:
        sql = SEARCH.format(**fmt).replace("$9", "$6")
        return list(await conn.fetch(sql, names, per_term, bm25.k1, bm25.b, limit, weights))
    return list(await conn.fetch(SEARCH_FILTERED.format(**fmt), names, per_term, bm25.k1, bm25.b, limit,
                                 category, language, source, weights))


async def write_postings(conn: Conn, table: str, rows: Iterable[Posting]) -> None:
    records = list(rows)
    if records:
        await conn.copy_records_to_table(TERM_TABLES[table], records=records, columns=list(TERM_COLUMNS))


async def reindex_if_stale(pool: asyncpg.Pool, table: str) -> int:
    """Index the chunks that have no postings yet (chunks written before migration 056), or every
    chunk when the postings were made by another analyzer. One transaction under the statistics'
    advisory lock, so replicas starting together do it once. Returns the number of chunks indexed."""
    terms = TERM_TABLES[table]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('app_knowledge_lexical:' || $1::text))", table)
        analyzer = await conn.fetchval(
            "SELECT analyzer FROM app_knowledge_lexical_stats WHERE chunk_table = $1", table)
        if analyzer is not None and analyzer != ANALYZER:
            await conn.execute(f"TRUNCATE {terms}")
        rows = await conn.fetch(f"""
            SELECT c.id, c.content, c.language, d.title FROM {table} c
            LEFT JOIN app_knowledge_documents d ON d.id = c.document_id
            WHERE NOT EXISTS (SELECT 1 FROM {terms} t WHERE t.chunk_id = c.id)""")
        await write_postings(conn, table, (p for r in rows for p in postings(
            r["id"], index_text(r["content"], r["title"]), r["language"])))
        if analyzer != ANALYZER:
            await conn.execute("UPDATE app_knowledge_lexical_stats SET analyzer = $2 WHERE chunk_table = $1",
                               table, ANALYZER)
    return len(rows)

-- Migration 043 — the chat history is stored out of line without compression.
--
-- app_chat_sessions.messages holds a session's whole history (up to maxTurns exchanges, tens of
-- kilobytes) and every turn appends one exchange to it. PostgreSQL cannot update part of a TOAST
-- value: each append reads the old value back and writes a new one. With the default storage
-- (EXTENDED) that is a pglz decompression and compression of the whole history per turn, and a
-- second decompression when the turn reads its window of it: about a seventh of the database's CPU
-- in a chat turn at 50 concurrent sessions. pglz is slow (tens of MB/s); the embedded server has no
-- lz4. EXTERNAL keeps the value out of line, uncompressed: more bytes on disk and in WAL per turn
-- (JSON compresses about 3×), much less CPU. Existing rows convert as they are next written.

ALTER TABLE app_chat_sessions ALTER COLUMN messages SET STORAGE EXTERNAL;

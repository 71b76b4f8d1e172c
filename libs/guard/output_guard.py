"""Output guard: may this assistant reply be shown to the visitor?

Blocked (and replaced by a safe answer) when the reply contains the canary token planted in the
system prompt, reproduces a large part of the system prompt, carries a secret (API keys, DSNs,
private keys, configured company secrets) or another customer's personal data (e-mail, phone,
IBAN, card number) that is not on the allowed list (the visitor's own, the shop's public contacts).

The system prompt never travels on the broker: chat sends `fingerprint(prompt)`, hashed word shingles.
Shingles are taken paragraph by paragraph (blank-line separated) and cached per paragraph: a system
prompt is mostly the same instructions, facts and knowledge extracts turn after turn, so a turn only
folds the paragraphs that changed (a shingle across a paragraph break is not counted).
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from libs.common.events.security import Severity, Verdict
from libs.guard.normalise import fold

SHINGLE_WORDS = 8
_WORD = re.compile(r"\w+")
_SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern)) for name, pattern in (
        ("openai_key", r"\bsk-(?:proj-|live-|test-)?[A-Za-z0-9_\-]{20,}"),
        ("stripe_key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
        ("webhook_secret", r"\bwhsec_[A-Za-z0-9]{16,}"),
        ("aws_key", r"\bAKIA[0-9A-Z]{16}\b"),
        ("github_token", r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
        ("google_key", r"\bAIza[0-9A-Za-z_\-]{35}"),
        ("slack_token", r"\bxox[baprs]-[A-Za-z0-9\-]{10,}"),
        ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
        ("private_key", r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
        ("dsn_with_password", r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|"
                              r"mssql|sqlserver)://[^\s:/@]+:[^\s@/]+@[^\s/]+"),
        ("password_assignment", r"(?i)\b(?:password|passwd|pwd|mot de passe|secret|api[_-]?key|token)\s*[:=]\s*"
                                r"['\"]?[^\s'\"]{8,}"),
    )
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.\-]?)?(?:\(?\d{1,4}\)?[\s.\-]?){2,5}\d{2,4}(?!\w)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"\b(?:\d[ \-]?){13,19}\b")


@dataclass
class OutputCheck:
    verdict: Verdict
    severity: Severity
    signals: list[str] = field(default_factory=list)


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _shingles(words: list[str]) -> set[str]:
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _hash(shingle: str) -> str:
    return hashlib.blake2b(shingle.encode(), digest_size=8).hexdigest()


@functools.lru_cache(maxsize=4096)
def _paragraph_shingles(paragraph: str) -> frozenset[str]:
    words = _words(paragraph)
    return frozenset(_shingles(words)) if len(words) >= SHINGLE_WORDS else frozenset()


def prompt_shingles(system_prompt: str) -> frozenset[str]:
    """8-word shingles of the system prompt, paragraph by paragraph (each paragraph cached)."""
    paragraphs = [p for p in system_prompt.split("\n\n") if p.strip()]
    shingles = frozenset().union(*map(_paragraph_shingles, paragraphs))
    # a prompt of short paragraphs only: the whole text as one shingle, as _shingles does
    return shingles or frozenset(_shingles(_words(system_prompt)))


def fingerprint(system_prompt: str) -> list[str]:
    """Hashed 8-word shingles of the system prompt (send these, never the prompt itself)."""
    return sorted({_hash(s) for s in prompt_shingles(system_prompt)})


def prompt_overlap(reply: str, prompt_fingerprint: Collection[str]) -> float:
    """Share of the system prompt's shingles found in the reply (0..1), from the hashed fingerprint."""
    if not prompt_fingerprint:
        return 0.0
    known = prompt_fingerprint if isinstance(prompt_fingerprint, (set, frozenset)) else set(prompt_fingerprint)
    found = {_hash(s) for s in _shingles(_words(reply))} & known
    return len(found) / len(known)


def shingle_overlap(reply: str, shingles: frozenset[str]) -> float:
    """The same share from the prompt's own shingles (in process: nothing to hash)."""
    if not shingles:
        return 0.0
    return len(_shingles(_words(reply)) & shingles) / len(shingles)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def personal_data(reply: str, allowed: list[str]) -> list[str]:
    """Kinds of personal data in the reply that are not in `allowed` (compared normalised)."""
    allowed_emails = {a.strip().casefold() for a in allowed if "@" in a}
    allowed_numbers = {_digits(a)[-9:] for a in allowed if len(_digits(a)) >= 6}
    found: list[str] = []
    if any(m.group(0).casefold() not in allowed_emails for m in _EMAIL.finditer(reply)):
        found.append("pii_email")
    for match in _PHONE.finditer(reply):
        digits = _digits(match.group(0))
        if 9 <= len(digits) <= 15 and digits[-9:] not in allowed_numbers and not _luhn_card(digits):
            found.append("pii_phone")
            break
    if any(_digits(m.group(0))[-9:] not in allowed_numbers for m in _IBAN.finditer(reply)):
        found.append("pii_iban")
    if any(_luhn_card(_digits(m.group(0))) and _digits(m.group(0))[-9:] not in allowed_numbers
           for m in _CARD.finditer(reply)):
        found.append("pii_card")
    return found


def _luhn_card(digits: str) -> bool:
    return 13 <= len(digits) <= 19 and _luhn(digits)


def secrets_in(reply: str, configured: list[str]) -> list[str]:
    found = [name for name, pattern in _SECRET_PATTERNS if pattern.search(reply)]
    if any(len(secret) >= 6 and secret in reply for secret in configured):
        found.append("configured_secret")
    return found


def check_output(
    reply: str,
    *,
    canary: str | None = None,
    prompt_fingerprint: Collection[str] | None = None,
    prompt_shingles: frozenset[str] | None = None,
    allowed_values: list[str] | None = None,
    secrets: list[str] | None = None,
    overlap_block: float = 0.2,
) -> OutputCheck:
    signals: list[str] = []
    if canary and (canary in reply or canary.casefold() in fold(reply).replace(" ", "")):
        signals.append("canary_leak")
    overlap = max(prompt_overlap(reply, prompt_fingerprint or ()),
                  shingle_overlap(reply, prompt_shingles or frozenset()))
    if overlap >= overlap_block:
        signals.append(f"system_prompt_echo:{overlap:.2f}")
    signals += secrets_in(reply, secrets or [])
    signals += personal_data(reply, allowed_values or [])
    if not signals:
        return OutputCheck("allow", "low")
    critical = any(s == "canary_leak" or s.startswith("system_prompt_echo") for s in signals)
    return OutputCheck("block", "critical" if critical else "high", signals)


@dataclass(frozen=True)
class OutputGuard:
    """The output check with the shared settings' secrets and overlap threshold, for a service that
    checks replies in process (chat) before asking `security.guard_output` about the rare one it blocks."""

    secrets: tuple[str, ...] = ()
    overlap_block: float = 0.2

    def check(self, reply: str, *, canary: str | None, system_prompt: str, allowed: list[str]) -> OutputCheck:
        return check_output(reply, canary=canary, prompt_shingles=prompt_shingles(system_prompt),
                            allowed_values=allowed, secrets=list(self.secrets), overlap_block=self.overlap_block)

    def allows(self, reply: str, canary: str | None, system_prompt: str, allowed: list[str]) -> bool:
        return self.check(reply, canary=canary, system_prompt=system_prompt, allowed=allowed).verdict == "allow"

    @staticmethod
    def fingerprint(system_prompt: str) -> list[str]:
        return fingerprint(system_prompt)

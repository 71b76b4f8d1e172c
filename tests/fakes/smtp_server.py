"""A real local SMTP server (aiosmtpd) that records what it accepts, for tests and benchmarks.

It answers DATA like Postfix (`250 2.0.0 Ok: queued as <id>`), can require AUTH, offer STARTTLS
or speak implicit TLS with a self-signed certificate (`ca_file` to trust it), and can be scripted
to refuse the next messages (`fail_next(451, ...)`) or to hold DATA before answering (`hold_s`).

    with FakeSmtpServer(tls="starttls", username="u", password="p") as smtp:
        settings = smtp.settings()          # MailSettings pointing at it
        ...
        assert smtp.messages[0]["Subject"] == "Bonjour"
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import socket
import ssl
import tempfile
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from libs.mail import MailSettings

# implicit TLS is TLS, but aiosmtpd only counts STARTTLS as such when it warns about AUTH
warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, and its key, written to `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class _Refusal:
    code: int
    text: str


@dataclass
class _Handler:
    owner: FakeSmtpServer
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(0x4F2C81))

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        import asyncio

        fake = self.owner
        with fake.lock:
            fake.data_started += 1
            refusal = fake.refusals.popleft() if fake.refusals else None
        if fake.hold_s:
            await asyncio.sleep(fake.hold_s)
        if refusal is not None:
            return f"{refusal.code} {refusal.text}"
        queue_id = f"{next(self.ids):X}"
        raw = envelope.original_content or envelope.content or b""
        assert isinstance(raw, bytes)
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        with fake.lock:
            fake.messages.append(msg)
            fake.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos), queue_id))
            fake.accepted_at.append(time.monotonic())
        return f"250 2.0.0 Ok: queued as {queue_id}"


class FakeSmtpServer:
    def __init__(self, *, tls: Literal["none", "starttls", "tls"] = "none", username: str | None = None,
                 password: str | None = None, sender: str = "boutique@example.test") -> None:
        self.tls = tls
        self.username, self.password, self.sender = username, password, sender
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str], str]] = []
        self.accepted_at: list[float] = []
        self.refusals: deque[_Refusal] = deque()
        self.hold_s = 0.0
        self.data_started = 0
        self.lock = threading.Lock()
        self.port = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_file: Path | None = None
        self._controller: Controller | None = None

    def fail_next(self, code: int, text: str = "4.3.0 Try again later", times: int = 1) -> None:
        """Answer the next `times` DATA commands with `code text` instead of accepting."""
        with self.lock:
            self.refusals.extend(_Refusal(code, text) for _ in range(times))

    def settings(self, **overrides: Any) -> MailSettings:
        values: dict[str, Any] = {"host": "127.0.0.1", "port": self.port, "from_": self.sender,
                                  "tls": self.tls, "timeout_s": 5.0,
                                  "ca_file": str(self.ca_file) if self.ca_file else None}
        if self.username:
            values |= {"username": self.username, "password": self.password}
        return MailSettings(**(values | overrides))

    def _authenticate(self, server: Any, session: Session, envelope: Envelope, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.username
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)

    def __enter__(self) -> Self:
        kwargs: dict[str, Any] = {}
        if self.tls != "none":
            self._tmp = tempfile.TemporaryDirectory(prefix="fake-smtp-")
            cert, key = self_signed_cert(Path(self._tmp.name))
            self.ca_file = cert
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            if self.tls == "starttls":
                kwargs |= {"tls_context": context, "require_starttls": True}
            else:
                kwargs |= {"ssl_context": context}
        if self.username:
            kwargs |= {"authenticator": self._authenticate, "auth_required": True,
                       "auth_require_tls": self.tls == "starttls"}
        self.port = _free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

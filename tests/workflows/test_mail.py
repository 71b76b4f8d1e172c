"""libs/mail against a real local SMTP server (aiosmtpd): plain, STARTTLS, implicit TLS, refusals."""

from __future__ import annotations

import pytest
import structlog

from libs.mail import MailError, MailNotConfigured, MailSettings, parse_queue_id, send_mail
from tests.fakes.smtp_server import FakeSmtpServer

# implicit TLS is TLS, but aiosmtpd counts only STARTTLS when it warns about AUTH without TLS
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


async def test_without_smtp_host_mail_is_not_configured_and_says_why() -> None:
    with pytest.raises(MailNotConfigured) as err:
        await send_mail(MailSettings(host=None, from_="a@b.fr"), "c@d.fr", "s", "b")
    assert "SMTP_HOST" in err.value.reason
    with pytest.raises(MailNotConfigured) as err:
        await send_mail(MailSettings(host="127.0.0.1", from_=None), "c@d.fr", "s", "b")
    assert "SMTP_FROM" in err.value.reason


async def test_plain_send_returns_the_servers_queue_id_and_our_message_id() -> None:
    with FakeSmtpServer() as smtp:
        sent = await send_mail(smtp.settings(), ["client@exemple.fr"], "Votre devis é", "Bonjour",
                               html="<p>Bonjour</p>", message_id="<fixed-1@boutique.test>")
    assert sent.message_id == "<fixed-1@boutique.test>"
    assert sent.queue_id == smtp.envelopes[0][2]
    assert sent.recipients == ("client@exemple.fr",)
    msg = smtp.messages[0]
    assert msg["Message-ID"] == "<fixed-1@boutique.test>"
    assert msg["Subject"] == "Votre devis é"
    assert msg["From"] == "boutique@example.test"
    assert {part.get_content_type() for part in msg.iter_parts()} == {"text/plain", "text/html"}


@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_tls_modes_with_authentication(tls: str) -> None:
    with FakeSmtpServer(tls=tls, username="shop", password="s3cret-pw") as smtp:  # type: ignore[arg-type]
        sent = await send_mail(smtp.settings(), "owner@boutique.fr", "Alerte", "Texte")
    assert sent.queue_id == smtp.envelopes[0][2]


async def test_a_wrong_password_is_a_permanent_error_that_does_not_leak_it() -> None:
    with (FakeSmtpServer(tls="starttls", username="shop", password="right") as smtp,
          structlog.testing.capture_logs() as logs, pytest.raises(MailError) as err):
        await send_mail(smtp.settings(password="wrong-pw-123"), "o@b.fr", "s", "b")
    assert err.value.transient is False and err.value.code == 535
    assert "wrong-pw-123" not in str(err.value) and "wrong-pw-123" not in repr(logs)
    assert "wrong-pw-123" not in repr(smtp.settings(password="wrong-pw-123"))
    assert smtp.messages == []


async def test_starttls_is_required_when_configured() -> None:
    with FakeSmtpServer(tls="none") as smtp, pytest.raises(MailError) as err:
        await send_mail(smtp.settings(tls="starttls"), "o@b.fr", "s", "b")
    assert "STARTTLS" in str(err.value)
    assert smtp.messages == []


async def test_untrusted_certificate_is_refused() -> None:
    with FakeSmtpServer(tls="tls") as smtp, pytest.raises(MailError) as err:
        await send_mail(smtp.settings(ca_file=None), "o@b.fr", "s", "b")
    assert err.value.transient is True
    assert smtp.messages == []


@pytest.mark.parametrize(("code", "transient"), [(451, True), (554, False)])
async def test_refusals_say_whether_a_retry_may_succeed(code: int, transient: bool) -> None:
    with FakeSmtpServer() as smtp:
        smtp.fail_next(code, "refused for the test")
        with pytest.raises(MailError) as err:
            await send_mail(smtp.settings(), "o@b.fr", "s", "b")
        assert err.value.transient is transient and err.value.code == code
        sent = await send_mail(smtp.settings(), "o@b.fr", "s", "b")
    assert len(smtp.messages) == 1 and sent.queue_id == smtp.envelopes[0][2]


def test_queue_ids_from_common_servers_replies() -> None:
    assert parse_queue_id("2.0.0 Ok: queued as 4F2C81A3B") == "4F2C81A3B"
    assert parse_queue_id("OK id=1rAbCd-000Xyz-7Q") == "1rAbCd-000Xyz-7Q"
    assert parse_queue_id("2.0.0 OK  1701234 - gsmtp") == "2.0.0 OK  1701234 - gsmtp"


def test_credentials_go_together() -> None:
    with pytest.raises(ValueError, match="SMTP_USERNAME"):
        MailSettings(host="h", from_="a@b.fr", username="u")

"""COMPTOIR_PUBLIC_URL and COMPTOIR_TIMEZONE: read the same way by every service (libs.common.settings)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from comptoir.up import UpOptions, with_public_url
from libs.common.settings import DEFAULT_PUBLIC_URL, Settings


def test_public_url_is_normalised_and_links_are_built_from_it() -> None:
    settings = Settings(COMPTOIR_PUBLIC_URL="https://assistant.example.com/shop/")
    assert settings.public_url == "https://assistant.example.com/shop"
    assert settings.public_link("/v1/files/quotes/a.pdf") == "https://assistant.example.com/shop/v1/files/quotes/a.pdf"
    assert Settings(COMPTOIR_PUBLIC_URL="").public_base_url() == DEFAULT_PUBLIC_URL


@pytest.mark.parametrize("bad", ["assistant.example.com", "ftp://x.example", "https://", "https://x.example/?a=1",
                                 "https:///path", "javascript://x"])
def test_a_public_url_that_is_not_http_is_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ValidationError, match="COMPTOIR_PUBLIC_URL must be an http"):
        Settings(COMPTOIR_PUBLIC_URL=bad)


def test_timezone_defaults_to_paris_and_is_validated() -> None:
    assert Settings().timezone == "Europe/Paris"
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC).astimezone(Settings().zone())
    assert str(winter.utcoffset()) == "1:00:00"
    assert Settings(COMPTOIR_TIMEZONE="America/Montreal").zone().key == "America/Montreal"
    for bad in ("Europe/Pariss", "", "../etc/passwd"):
        with pytest.raises(ValidationError, match="COMPTOIR_TIMEZONE is not a known time zone"):
            Settings(COMPTOIR_TIMEZONE=bad)


def test_up_links_to_its_own_address_unless_told_otherwise() -> None:
    assert with_public_url(Settings(), UpOptions(host="0.0.0.0", port=8123)).public_url == "http://127.0.0.1:8123"
    told = Settings(COMPTOIR_PUBLIC_URL="https://shop.example")
    assert with_public_url(told, UpOptions(port=8123)).public_url == "https://shop.example"

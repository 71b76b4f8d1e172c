"""Session ids and tokens: unguessable ids, tokens bound to one session and one secret."""

from __future__ import annotations

from services.gateway.sessions import (
    is_session_id,
    new_session_id,
    sign_session,
    token_from_headers,
    verify_session,
)


def test_session_ids_are_random_and_well_formed() -> None:
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_session_id(i) for i in ids)
    assert all(len(i) >= 25 for i in ids)  # "cs_" + 128 bits in base64url


def test_a_token_opens_only_its_own_session() -> None:
    a, b = new_session_id(), new_session_id()
    token = sign_session("secret-1", a)
    assert verify_session("secret-1", a, token)
    assert not verify_session("secret-1", b, token)
    assert not verify_session("secret-2", a, token)
    assert not verify_session("secret-1", a, None)
    assert not verify_session("secret-1", a, token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_malformed_ids_are_refused() -> None:
    assert not is_session_id("")
    assert not is_session_id("cs_short")
    assert not is_session_id("cs_" + "a" * 22 + "/../x")
    assert not is_session_id("xx_" + "a" * 22)


def test_token_is_read_from_either_header() -> None:
    assert token_from_headers("Bearer abc", None) == "abc"
    assert token_from_headers("bearer  abc ", None) == "abc"
    assert token_from_headers(None, "xyz") == "xyz"
    assert token_from_headers("Basic abc", None) is None
    assert token_from_headers("Bearer ", None) is None
    assert token_from_headers(None, None) is None


def test_visitor_credentials_are_signed() -> None:
    from services.gateway.sessions import session_visitor, visitor_from

    visitor_id, credential = session_visitor("secret-1", "cs_" + "s" * 22)
    assert visitor_from("secret-1", credential) == visitor_id
    assert visitor_from("secret-2", credential) is None
    assert visitor_from("secret-1", visitor_id) is None
    assert visitor_from("secret-1", "vs_" + "a" * 22 + "." + credential.split(".")[1]) is None
    assert visitor_from("secret-1", None) is None

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode.backends.codex.accounts import jwt
from tests.fakes.oauth import make_jwt

AUTH = "https://api.openai.com/auth"
PROFILE = "https://api.openai.com/profile"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), json_values))
def test_claims_round_trip(payload: dict[str, object]) -> None:
    assert jwt.claims(make_jwt(payload)) == payload


@given(st.text())
def test_claims_never_raises_on_garbage(token: str) -> None:
    assert isinstance(jwt.claims(token), dict)


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "no-dots",
        "a.b.c",
        "a.!!!.c",
        "a." + base64.urlsafe_b64encode(b"[1, 2]").decode() + ".c",  # not an object
        "a." + base64.urlsafe_b64encode(b"\xff\xfe").decode() + ".c",  # not UTF-8
    ],
)
def test_claims_of_garbage_are_empty(token: str | None) -> None:
    assert jwt.claims(token) == {}


def test_claims_accept_unpadded_base64url() -> None:
    token = make_jwt({"sub": "?>?>"})  # encodes to characters that differ in base64url
    assert "=" not in token
    assert jwt.claims(token) == {"sub": "?>?>"}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"exp": 1767225600}, 1767225600.0),
        ({"exp": 1767225600.5}, 1767225600.5),
        ({"exp": "1767225600"}, None),
        ({"exp": True}, None),
        ({}, None),
    ],
)
def test_expiry(payload: dict[str, object], expected: float | None) -> None:
    assert jwt.expiry(make_jwt(payload)) == expected


@pytest.mark.parametrize(
    ("id_claims", "access_claims", "expected"),
    [
        ({AUTH: {"chatgpt_account_id": "from-auth"}, "chatgpt_account_id": "top"}, {}, "from-auth"),
        ({"chatgpt_account_id": "top", "organizations": [{"id": "org"}]}, {}, "top"),
        ({"organizations": [{"id": "org-1"}, {"id": "org-2"}]}, {}, "org-1"),
        ({}, {AUTH: {"chatgpt_account_id": "from-access"}}, "from-access"),
        ({"organizations": [{"id": "id-org"}]}, {AUTH: {"chatgpt_account_id": "acc"}}, "id-org"),
        ({AUTH: "not an object", "organizations": []}, {}, None),
        ({AUTH: {"chatgpt_account_id": ""}}, {}, None),
    ],
)
def test_chatgpt_account_id_precedence(
    id_claims: dict[str, object], access_claims: dict[str, object], expected: str | None
) -> None:
    assert jwt.chatgpt_account_id(make_jwt(id_claims), make_jwt(access_claims)) == expected


def test_identity_from_missing_tokens() -> None:
    assert jwt.chatgpt_account_id(None, None) is None
    assert jwt.email(None, "garbage") is None
    assert jwt.plan(None, None) is None


@pytest.mark.parametrize(
    ("id_claims", "access_claims", "expected"),
    [
        ({"email": "id@x.com"}, {"email": "access@x.com"}, "id@x.com"),
        ({PROFILE: {"email": "profile@x.com"}}, {}, "profile@x.com"),
        ({}, {PROFILE: {"email": "access@x.com"}}, "access@x.com"),
        ({"email": 5}, {}, None),
    ],
)
def test_email(
    id_claims: dict[str, object], access_claims: dict[str, object], expected: str | None
) -> None:
    assert jwt.email(make_jwt(id_claims), make_jwt(access_claims)) == expected


@pytest.mark.parametrize(
    ("id_claims", "access_claims", "expected"),
    [
        ({AUTH: {"chatgpt_plan_type": "pro"}}, {AUTH: {"chatgpt_plan_type": "plus"}}, "pro"),
        ({}, {AUTH: {"chatgpt_plan_type": "plus"}}, "plus"),
        ({"chatgpt_plan_type": "top-level-is-not-read"}, {}, None),
    ],
)
def test_plan(
    id_claims: dict[str, object], access_claims: dict[str, object], expected: str | None
) -> None:
    assert jwt.plan(make_jwt(id_claims), make_jwt(access_claims)) == expected

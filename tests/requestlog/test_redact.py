from __future__ import annotations

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from codex2claudecode.requestlog.redact import (
    REDACTED,
    redact_body,
    redact_headers,
    redact_text,
)

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
SK = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('{"access_token":"tok-123456"}', "tok-123456"),
        ('{"refresh_token": "rt_abcdef"}', "rt_abcdef"),
        ('{"id_token":"x-id-token"}', "x-id-token"),
        ('{"api_key":"plain-key-1"}', "plain-key-1"),
        ('{"password":"hunter2"}', "hunter2"),
        ('{"client_secret":"cs-42"}', "cs-42"),
        ('{"accessToken":"aoaSomething"}', "aoaSomething"),
        ('{"refreshToken":"aorElse"}', "aorElse"),
        ('{"clientSecret":"csX"}', "csX"),
        ('{"profileArn":"arn:aws:codewhisperer:x"}', "arn:aws:codewhisperer:x"),
        ('{"ACCESS":"upper-case-key"}', "upper-case-key"),
        ('{"refresh_token":"with \\"escaped\\" quote"}', "escaped"),
        ('{"text":"{\\"refresh_token\\":\\"nested-secret\\"}"}', "nested-secret"),
        ('{"refresh_token":"cut-by-the-cap', "cut-by-the-cap"),
        ("grant_type=refresh_token&refresh_token=form-secret&x=1", "form-secret"),
        ("/v1/messages?api_key=query-secret", "query-secret"),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("authorization: bearer lower-case-token", "lower-case-token"),
        ("the swearer xyzBearer hidden-after-a-word", "hidden-after-a-word"),
        (f"the token is {JWT} ok", JWT),
        (f"cut JWT {JWT[:20]}", JWT[:20]),
        (f"key {SK} in prose", SK),
        ("aws AKIAABCDEFGHIJKLMNOP here", "AKIAABCDEFGHIJKLMNOP"),
    ],
)
def test_secrets_are_replaced(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "text",
    [
        '{"max_tokens":1024,"input_tokens":5,"stop_reason":"end_turn"}',
        '{"model":"gpt-5.4","prompt_cache_key":"session-1","token_type":"Bearer"}',
        '{"type":"text","text":"tokens are counted per request"}',
        "/v1/messages/count_tokens",
        "req_0123456789abcdef01234567",
        "the bearer of bad news; Bearer tokens are short-lived",
        "sha256 446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact_text(text) == text


def test_redacted_json_stays_json() -> None:
    body = orjson.dumps({"refresh_token": "rt-1", "nested": {"access_token": "at-1"}, "n": 3})
    assert orjson.loads(redact_body(body)) == {
        "refresh_token": REDACTED,
        "nested": {"access_token": REDACTED},
        "n": 3,
    }


def test_headers_by_name_and_by_shape() -> None:
    headers = [
        (b"Authorization", b"Bearer local-password"),
        (b"x-api-key", b"local-password"),
        (b"Cookie", b"session=abc"),
        (b"proxy-authorization", b"Basic dXNlcjpwYXNz"),
        (b"x-amz-security-token", b"aws-token"),
        (b"chatgpt-account-id", b"acct-1"),
        (b"x-debug", b"sent Bearer leaked-token by mistake"),
    ]
    assert redact_headers(headers) == [
        ("authorization", REDACTED),
        ("x-api-key", REDACTED),
        ("cookie", REDACTED),
        ("proxy-authorization", REDACTED),
        ("x-amz-security-token", REDACTED),
        ("chatgpt-account-id", "acct-1"),
        ("x-debug", f"sent Bearer {REDACTED} by mistake"),
    ]


def test_undecodable_bytes_do_not_fail() -> None:
    assert redact_body(b'\xff{"password":"p\xfe"}') == '\ufffd{"password":"[redacted]"}'


_SECRET = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=40)
_FIELD = st.sampled_from(["access_token", "refresh_token", "api_key", "idToken", "password"])


@given(
    before=st.dictionaries(st.sampled_from(["a", "text", "model"]), st.text(max_size=30)),
    field=_FIELD,
    secret=_SECRET,
)
def test_a_credential_field_never_survives_anywhere_in_json(
    before: dict[str, str], field: str, secret: str
) -> None:
    assume(secret not in orjson.dumps(before).decode())
    body = orjson.dumps(
        {**before, "inner": {field: secret}, "escaped": orjson.dumps({field: secret}).decode()}
    )
    assert secret not in redact_body(body)


@given(text=st.text(max_size=200))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


@given(field=_FIELD, secret=_SECRET, noise=st.lists(st.text(max_size=12), max_size=30))
def test_a_credential_field_cut_by_the_cap_does_not_survive(
    field: str, secret: str, noise: list[str]
) -> None:
    # A body made like a stream's: many ordinary fields, one credential among them.
    body = orjson.dumps({"events": [{"type": "text", "text": n} for n in noise], field: secret})
    value_at = body.rindex(orjson.dumps(secret))
    assume(secret[:8] not in body[:value_at].decode())
    for cut in range(value_at + 9, len(body) + 1):
        assert secret[:8] not in redact_body(body[:cut])

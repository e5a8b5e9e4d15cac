from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codex2claudecode.backends.kiro.accounts.credentials import (
    InvalidEntry,
    entry_aliases,
    entry_credentials,
    entry_key,
    format_expiry,
    parse_expiry,
)


def entry(**fields: Any) -> dict[str, Any]:
    base = {
        "accessToken": "aoa",
        "refreshToken": "aor",
        "expiresAt": "2025-06-01T12:00:00.000Z",
        "region": "us-east-1",
    }
    return {**base, **fields}


@pytest.mark.parametrize(
    ("fields", "registration", "kind"),
    [
        ({"authMethod": "social", "provider": "Google"}, None, "social"),
        ({}, None, "social"),
        ({"clientId": "c", "clientSecret": "s"}, None, "idc"),
        ({"clientId": "c", "clientSecret": "s", "provider": "BuilderId"}, None, "builder_id"),
        ({"clientIdHash": "h", "authMethod": "IdC"}, {"clientId": "c", "clientSecret": "s"}, "idc"),
        ({"clientIdHash": "h"}, None, "social"),  # no registration: desktop auth (spec §2.4)
        ({"authMethod": "IdC"}, None, "idc"),
        ({"authMethod": "external_idp", "clientId": "app"}, None, "external_idp"),
    ],
)
def test_login_kind(fields: dict[str, Any], registration: Any, kind: str) -> None:
    assert entry_credentials(entry(**fields), 0, registration=registration).kind == kind


def test_a_partial_inline_pair_gives_way_to_the_registration() -> None:
    creds = entry_credentials(
        entry(clientId="only-id", clientIdHash="h"),
        0,
        registration={"clientId": "reg-id", "clientSecret": "reg-secret"},
    )
    assert (creds.client_id, creds.client_secret) == ("reg-id", "reg-secret")


def test_profile_arn_from_profile_json_is_for_idc_and_external_idp_only() -> None:
    arn = "arn:aws:codewhisperer:us-west-2:1:profile/X"
    social = entry_credentials(entry(), 0, profile_arn=arn)
    idc = entry_credentials(entry(clientId="c", clientSecret="s"), 0, profile_arn=arn)
    own = entry_credentials(
        entry(clientId="c", clientSecret="s", profileArn="arn:own"), 0, profile_arn=arn
    )
    assert social.profile_arn is None
    assert (idc.profile_arn, idc.arn_region) == (arn, "us-west-2")
    assert own.profile_arn == "arn:own"


def test_external_idp_fields() -> None:
    creds = entry_credentials(
        entry(
            authMethod="external_idp", clientId="app", tokenEndpoint="https://login/t", scopes="a b"
        ),
        0,
    )
    assert (creds.client_id, creds.token_endpoint, creds.scopes) == (
        "app",
        "https://login/t",
        ("a", "b"),
    )
    assert creds.client_secret is None and creds.is_external_idp


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"accessToken": None}, "missing string field accessToken"),
        ({"refreshToken": "  "}, "missing string field refreshToken"),
        ({"region": None}, "missing string field region"),
        ({"region": "attacker.example/#"}, "invalid AWS region"),
    ],
)
def test_unusable_entries(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidEntry, match=message):
        entry_credentials(entry(**fields), 0)


def test_key_and_aliases() -> None:
    assert entry_key(entry(label="work", email="a@b"), 0) == "a@b"
    assert entry_key(entry(profileArn="arn:x", label="work"), 0) == "arn:x"
    assert entry_key(entry(), 2) == "us-east-1:account-3"
    assert entry_aliases(entry(label="work", clientIdHash="h"), 1) == {
        "work",
        "h",
        "us-east-1:account-2",
    }


@pytest.mark.parametrize("value", ["not-a-date", None, True, [], ""])
def test_unreadable_expiry_counts_as_expired(value: object) -> None:
    assert parse_expiry(value) == 0.0


def test_expiry_formats() -> None:
    assert format_expiry(0) == "1970-01-01T00:00:00.000Z"
    assert parse_expiry("2025-01-01T00:00:00.000Z") == 1735689600.0
    assert parse_expiry(1735689600000) == 1735689600.0


@given(st.integers(min_value=0, max_value=4_000_000_000_000))
def test_expiry_round_trips_at_millisecond_precision(millis: int) -> None:
    assert parse_expiry(format_expiry(millis / 1000)) == pytest.approx(millis / 1000, abs=1e-6)

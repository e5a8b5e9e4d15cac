"""Short names of Kiro accounts: what the entry offers first, else made from its login."""

from __future__ import annotations

from typing import Any

import pytest

from codex2claudecode.backends.kiro.accounts.names import entry_name, entry_names

ARN = "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK"


def entry(**fields: Any) -> dict[str, Any]:
    return {"accessToken": "a", "refreshToken": "r", "expiresAt": "x", **fields}


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"label": "work", "email": "me@example.com", "profileArn": ARN}, "work"),
        ({"email": "me@example.com", "profileArn": ARN}, "me@example.com"),
        (
            {"profileArn": ARN, "region": "us-east-1", "provider": "Google"},
            "kiro-google-us-east-1-rvqmuk",
        ),
        ({"profileArn": ARN, "authMethod": "social"}, "kiro-social-us-east-1-rvqmuk"),
        (
            {
                "clientIdHash": "e87895ae36d9539303a0bcd27feb465a60aeb433",
                "authMethod": "IdC",
                "provider": "Enterprise",
                "region": "eu-west-1",
            },
            "kiro-enterprise-eu-west-1-aeb433",
        ),
        (
            {"authMethod": "external_idp", "accountId": "ACC-1", "region": "us-west-2"},
            "kiro-external-idp-us-west-2-acc1",
        ),
        ({"region": "us-east-1"}, "us-east-1:account-1"),
    ],
)
def test_the_name_of_one_entry(fields: dict[str, Any], name: str) -> None:
    assert entry_name(entry(**fields), 0) == name


def test_names_shared_in_one_file_are_told_apart_in_file_order() -> None:
    shared = entry(profileArn=ARN, region="us-east-1", provider="Github")
    names = entry_names([shared, entry(label="x"), dict(shared), dict(shared)])
    base = "kiro-github-us-east-1-rvqmuk"
    assert names == [base, "x", f"{base}-2", f"{base}-3"]

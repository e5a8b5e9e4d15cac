"""The commands a user types, under a hostile upstream (issue 10, at the terminal).

Each test runs `python -m codex2claudecode ...` in a subprocess against the fakes, with one
fault scripted, and checks the exit code, the words on the terminal (no traceback, no secret),
that the command ended (a hang fails by `cli_upstream.BOUND`), and the account files after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.cli_upstream import (
    HTML,
    JSON,
    SECRET,
    Fault,
    Proxy407,
    Ran,
    Upstreams,
    dead_proxy,
    upstreams,
    usage_body,
)

RELOGIN = "codex2claudecode login`"


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Upstreams]:
    with upstreams(tmp_path) as served:
        served.wham.fault = Fault(200, usage_body(), JSON)
        yield served


def clean(ran: Ran) -> None:
    """Nothing a user should never see: a traceback, the proxy's password."""
    assert "Traceback" not in ran.text, ran.text
    assert SECRET not in ran.text


def codex_entry(up: Upstreams) -> dict[str, object]:
    saved = json.loads(up.codex_file.read_text())
    entry: dict[str, object] = saved[0] if isinstance(saved, list) else saved
    return entry


def codex_login_live(up: Upstreams) -> bool:
    """The account file holds a refresh token the token server still honours."""
    return up.oauth.is_live(str(codex_entry(up)["refresh"]))


def limits_line(ran: Ran) -> str:
    [line] = [x for x in ran.out.splitlines() if "cannot read the limits" in x]
    return line


# ---------------------------------------------------------------------- limits: bad answers


@pytest.mark.parametrize(
    ("body", "headers", "what"),
    [
        (b"<html><body>Just a moment...</body></html>", HTML, "not JSON"),
        (usage_body()[:25], JSON, "not JSON"),
        (b'["usage"]', JSON, "not a JSON object"),
    ],
    ids=["html", "truncated", "wrong-shape"],
)
def test_limits_names_the_endpoint_that_answered_garbage(
    up: Upstreams, body: bytes, headers: dict[str, str], what: str
) -> None:
    up.codex_account()
    before = up.codex_file.read_bytes()
    up.wham.fault = Fault(200, body, headers)

    ran = up.cli("limits")

    clean(ran)
    assert ran.code == 1
    line = limits_line(ran)
    assert "/wham/usage" in line and what in line, line
    assert "HTTP 200" not in line  # a success status explains nothing
    assert up.codex_file.read_bytes() == before


@pytest.mark.parametrize("status", [401, 403])
def test_limits_refused_for_ever_says_to_sign_in_again(up: Upstreams, status: int) -> None:
    up.codex_account()
    up.wham.fault = Fault(status, b'{"detail": "token expired"}', JSON)

    ran = up.cli("limits")

    clean(ran)
    assert ran.code == 1
    line = limits_line(ran)
    assert f"HTTP {status}" in line and RELOGIN in line, line
    assert up.oauth.grants <= 1
    assert codex_login_live(up)  # the refreshed login, if any, was kept


@pytest.mark.parametrize(
    ("status", "headers", "when"),
    [
        (429, {"retry-after": "30"}, "try again in 30s"),
        (429, {}, "try again later"),
        (503, {"retry-after": "120"}, "try again in 2m 00s"),
        (503, {}, "try again later"),
    ],
    ids=["429-retry-after", "429", "503-retry-after", "503"],
)
def test_limits_when_busy_says_so_and_when_to_retry(
    up: Upstreams, status: int, headers: dict[str, str], when: str
) -> None:
    up.codex_account()
    before = up.codex_file.read_bytes()
    up.wham.fault = Fault(status, b"<html>busy</html>", {**HTML, **headers})

    ran = up.cli("limits")

    clean(ran)
    assert ran.code == 1
    line = limits_line(ran)
    word = "rate-limiting" if status == 429 else "unavailable"
    assert f"HTTP {status}" in line and word in line and when in line, line
    if not headers:
        assert "try again in" not in line  # no invented wait
    assert up.codex_file.read_bytes() == before


def test_limits_with_a_stalled_backend_ends_and_says_who_did_not_answer(up: Upstreams) -> None:
    up.codex_account()
    up.wham.fault = Fault(stall=True)

    ran = up.cli("limits")

    clean(ran)
    assert ran.code == 1
    line = limits_line(ran)
    assert "the ChatGPT backend at 127.0.0.1" in line and "did not answer" in line, line
    assert "no connection" not in line  # it connected; the answer never came


# ---------------------------------------------------------------------- proxies


def test_limits_through_a_proxy_asking_407_says_so(up: Upstreams) -> None:
    up.codex_account()
    proxy = Proxy407()
    try:
        ran = up.cli(
            "limits", HTTPS_PROXY=proxy.url, CHATGPT_BASE_URL="https://chatgpt.invalid/api"
        )
    finally:
        proxy.close()

    clean(ran)
    assert ran.code == 1
    assert "407 Proxy Authentication Required" in limits_line(ran)


def test_limits_through_an_unreachable_proxy_says_so(up: Upstreams) -> None:
    up.codex_account()

    ran = up.cli("limits", HTTPS_PROXY=dead_proxy(), CHATGPT_BASE_URL="https://chatgpt.invalid/api")

    clean(ran)
    assert ran.code == 1
    assert "check that the proxy (HTTPS_PROXY) is running" in limits_line(ran)


def test_doctor_through_a_proxy_asking_407_names_the_proxy_problem(up: Upstreams) -> None:
    up.codex_account()
    proxy = Proxy407()
    try:
        ran = up.cli(
            "doctor", HTTPS_PROXY=proxy.url, CHATGPT_BASE_URL="https://chatgpt.invalid/api"
        )
    finally:
        proxy.close()

    clean(ran)
    assert ran.code == 1
    [upstream] = [x for x in ran.out.splitlines() if x.startswith("problem  upstream")]
    assert "407 Proxy Authentication Required" in upstream, upstream
    assert "is running and reachable" not in upstream  # it is: it wants a password


# ---------------------------------------------------------------------- token endpoint


def test_accounts_list_keeps_the_login_a_slow_refresh_returns(up: Upstreams) -> None:
    up.codex_account(expires_in=60)  # within the refresh margin: listing refreshes it
    up.oauth.grant_delay = 10.0  # longer than `accounts list` waits for the limits

    ran = up.cli("accounts", "list")

    clean(ran)
    assert ran.code == 0
    assert up.oauth.grants == 1
    assert codex_login_live(up)  # the rotated refresh token was saved, not dropped
    assert up.codex_file.stat().st_mode & 0o777 == 0o600


def test_doctor_keeps_the_login_a_slow_refresh_returns(up: Upstreams) -> None:
    up.codex_account(expires_in=60)
    up.oauth.grant_delay = 10.0  # longer than doctor's network checks wait

    ran = up.cli("doctor")

    clean(ran)
    assert up.oauth.grants == 1
    assert codex_login_live(up)


def test_doctor_says_which_check_got_no_answer(up: Upstreams) -> None:
    up.codex_account()
    up.wham.fault = Fault(stall=True)

    ran = up.cli("doctor")

    clean(ran)
    [accounts] = [x for x in ran.out.splitlines() if "accounts:" in x]
    assert accounts.startswith("warning"), accounts
    assert "did not answer within 8 s" in accounts, accounts


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault(400, b'{"error": "invalid_grant"}', JSON), RELOGIN),
        (Fault(200, b"<html>sign in</html>", HTML), "without an access token"),
        (Fault(500, b'{"error": "server_error"}', JSON), "HTTP 500"),
    ],
    ids=["refused", "garbage", "failed"],
)
def test_a_refresh_the_limits_need_fails_cleanly(up: Upstreams, fault: Fault, words: str) -> None:
    up.codex_account(expires_in=60)
    before = up.codex_file.read_bytes()
    up.token.fault = fault

    ran = up.cli("limits")

    clean(ran)
    assert ran.code == 1
    assert words in limits_line(ran)
    assert up.codex_file.read_bytes() == before
    assert codex_login_live(up)  # nothing was spent


# ---------------------------------------------------------------------- login


def test_device_login_through_a_proxy_asking_407_says_so(up: Upstreams) -> None:
    proxy = Proxy407()
    try:
        ran = up.cli(
            "login", "--device", HTTPS_PROXY=proxy.url, OPENAI_AUTH_URL="https://auth.invalid"
        )
    finally:
        proxy.close()

    clean(ran)
    assert ran.code == 1
    assert "407 Proxy Authentication Required" in ran.err, ran.err
    assert not up.codex_file.exists()


def test_device_login_through_an_unreachable_proxy_says_so(up: Upstreams) -> None:
    ran = up.cli(
        "login", "--device", HTTPS_PROXY=dead_proxy(), OPENAI_AUTH_URL="https://auth.invalid"
    )

    clean(ran)
    assert ran.code == 1
    assert "check that the proxy (HTTPS_PROXY) is running" in ran.err
    assert not up.codex_file.exists()


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (Fault(400, b'{"error": "invalid_grant", "error_description": "bad"}', JSON), "HTTP 400"),
        (Fault(200, b"<html>oops</html>", HTML), "without an access token"),
    ],
    ids=["error-json", "garbage"],
)
def test_device_login_with_a_failing_token_endpoint_stores_nothing(
    up: Upstreams, fault: Fault, words: str
) -> None:
    up.oauth.device_interval, up.oauth.device_polls_before_approval = "0", 0
    up.token.fault = fault

    ran = up.cli("login", "--device")

    clean(ran)
    assert ran.code == 1
    assert words in ran.err
    assert not up.codex_file.exists()


def test_login_into_a_state_directory_taking_no_files_asks_nothing(up: Upstreams) -> None:
    from tests.faults.upstream.test_kiro_faults import REFUSED, taking_no_files

    up.oauth.device_interval, up.oauth.device_polls_before_approval = "0", 0
    up.state.mkdir(mode=0o700)
    with taking_no_files(up.state):
        ran = up.cli("login", "--device")

    clean(ran)
    assert ran.code == 1
    assert str(up.state) in ran.err and REFUSED in ran.err, ran.err
    assert "codex2claudecode login" in ran.err  # what to run once it is fixed
    assert up.oauth.code_grants == 0  # no sign-in thrown away
    assert list(up.state.iterdir()) == []


# ---------------------------------------------------------------------- Kiro


def kiro_line(up: Upstreams, fault: Fault) -> str:
    up.kiro_account()
    before = up.kiro_ide.read_bytes()
    up.kiro.fault = fault
    ran = up.cli("limits", "--provider", "kiro")
    clean(ran)
    assert ran.code == 1
    if fault.status not in (401, 403):
        assert up.kiro_ide.read_bytes() == before
    return limits_line(ran)


@pytest.mark.parametrize("body", [b"<html>hi</html>", b"[1]"], ids=["html", "wrong-shape"])
def test_kiro_limits_names_the_endpoint_that_answered_garbage(up: Upstreams, body: bytes) -> None:
    line = kiro_line(up, Fault(200, body, JSON))
    assert "getUsageLimits" in line and "HTTP 200" not in line, line


def test_kiro_limits_refused_for_ever_gives_the_command_to_sign_in_again(
    up: Upstreams,
) -> None:
    line = kiro_line(up, Fault(403, b'{"message": "The bearer token is invalid."}', JSON))
    assert "codex2claudecode accounts import --provider kiro`" in line, line
    assert up.kiro_oauth.grants <= 1


def test_kiro_limits_when_throttled_says_when_to_retry(up: Upstreams) -> None:
    line = kiro_line(up, Fault(429, b'{"message": "Too many"}', {**JSON, "retry-after": "30"}))
    assert "throttling" in line and "30s" in line, line


def test_kiro_limits_through_a_proxy_asking_407_says_so(up: Upstreams) -> None:
    up.kiro_account()
    proxy = Proxy407()
    try:
        ran = up.cli(
            "limits", "--provider", "kiro", HTTPS_PROXY=proxy.url, KIRO_BASE_URL="https://q.invalid"
        )
    finally:
        proxy.close()
    clean(ran)
    assert ran.code == 1
    assert "407 Proxy Authentication Required" in limits_line(ran)


def test_commands_end_in_bounded_time_under_a_stall(up: Upstreams) -> None:
    """`accounts list` waits for the limits only so long, and says so."""
    up.codex_account()
    up.wham.fault = Fault(stall=True)
    ran = up.cli("accounts", "list")

    clean(ran)
    assert ran.code == 0
    assert "did not answer within 8 s" in ran.out

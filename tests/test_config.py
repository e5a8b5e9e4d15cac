"""The configuration contract (DESIGN §3): defaults, overrides, precedence, validation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codex2claudecode.config import Config, ConfigError, Proxies

HOME = Path("/home/tester")
SRC = Path(__file__).parents[1] / "src" / "codex2claudecode"


def load(**env: str) -> Config:
    return Config.load({"HOME": str(HOME), **env})


# ------------------------------------------------------------------------------ defaults

DEFAULTS: list[tuple[str, Callable[[Config], Any], Any]] = [
    ("port", lambda c: c.port, 8787),
    ("host", lambda c: c.host, "127.0.0.1"),
    ("password", lambda c: c.password, None),
    ("headless", lambda c: c.headless, False),
    ("provider", lambda c: c.provider, None),
    ("home", lambda c: c.home, HOME / ".codex2claudecode"),
    ("codex auth file", lambda c: c.codex_auth_path, HOME / ".codex2claudecode/auth-codex.json"),
    ("codex account", lambda c: c.codex_auth_account, None),
    ("kiro account", lambda c: c.kiro_auth_account, None),
    ("codex home", lambda c: c.codex_home, HOME / ".codex"),
    ("codex cli auth", lambda c: c.codex_cli_auth_path, HOME / ".codex/auth.json"),
    ("chatgpt", lambda c: c.chatgpt_base_url, "https://chatgpt.com/backend-api"),
    (
        "responses",
        lambda c: c.codex_responses_url,
        "https://chatgpt.com/backend-api/codex/responses",
    ),
    ("openai auth", lambda c: c.openai_auth_url, "https://auth.openai.com"),
    ("token url", lambda c: c.openai_token_url, "https://auth.openai.com/oauth/token"),
    ("kiro auth file", lambda c: c.kiro_auth_file, HOME / ".aws/sso/cache/kiro-auth-token.json"),
    ("kiro region", lambda c: c.kiro_api_region, "us-east-1"),
    ("kiro api", lambda c: c.kiro_api_url, "https://q.us-east-1.amazonaws.com"),
    ("kiro auth", lambda c: c.kiro_auth_base(), "https://prod.us-east-1.auth.desktop.kiro.dev"),
    ("kiro oidc", lambda c: c.kiro_oidc_base(), "https://oidc.us-east-1.amazonaws.com"),
    ("kiro payload", lambda c: c.kiro_payload_limit, 1_200_000),
    ("claude dir", lambda c: c.claude_config_dir, HOME / ".claude"),
    ("proxies", lambda c: c.proxies, Proxies()),
    ("log body", lambda c: c.log_body, True),
    ("loopback", lambda c: c.is_loopback, True),
]


@pytest.mark.parametrize(("name", "get", "expected"), DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_defaults(name: str, get: Callable[[Config], Any], expected: Any) -> None:
    assert get(load()) == expected


# ------------------------------------------------------------------------------ overrides

OVERRIDES: list[tuple[dict[str, str], Callable[[Config], Any], Any]] = [
    ({"PORT": "9000"}, lambda c: c.port, 9000),
    ({"PORT": "0"}, lambda c: c.port, 0),
    ({"PORT": " 65535 "}, lambda c: c.port, 65535),
    ({"HOST": "localhost"}, lambda c: c.host, "localhost"),
    ({"API_PASSWORD": "pw"}, lambda c: c.password, "pw"),
    ({"API_PASSWORD": ""}, lambda c: c.password, None),
    ({"CODEX_NO_UI": "1"}, lambda c: c.headless, True),
    ({"CODEX_NO_UI": "TRUE"}, lambda c: c.headless, True),
    ({"CODEX_NO_UI": "0"}, lambda c: c.headless, False),
    ({"UPSTREAM_PROVIDER": "kiro"}, lambda c: c.provider, "kiro"),
    ({"UPSTREAM_PROVIDER": " KIRO "}, lambda c: c.provider, "kiro"),
    ({"UPSTREAM_PROVIDER": "codex"}, lambda c: c.provider, "codex"),
    ({"UPSTREAM_PROVIDER": ""}, lambda c: c.provider, None),
    ({"CODEX2CLAUDECODE_HOME": "/state"}, lambda c: c.home, Path("/state")),
    (
        {"CODEX2CLAUDECODE_HOME": "/state"},
        lambda c: c.codex_auth_path,
        Path("/state/auth-codex.json"),
    ),
    ({"CODEX2CLAUDECODE_HOME": "~/st"}, lambda c: c.codex_auth_path, HOME / "st/auth-codex.json"),
    (
        {"CODEX2CLAUDECODE_HOME": "/state", "CODEX_AUTH_FILE": "/a/accounts.json"},
        lambda c: c.codex_auth_path,
        Path("/a/accounts.json"),
    ),
    ({"CODEX_AUTH_FILE": "~/a.json"}, lambda c: c.codex_auth_path, HOME / "a.json"),
    ({"CODEX_AUTH_ACCOUNT": "me@example.com"}, lambda c: c.codex_auth_account, "me@example.com"),
    ({"KIRO_AUTH_ACCOUNT": "work"}, lambda c: c.kiro_auth_account, "work"),
    ({"CODEX_HOME": "~"}, lambda c: c.codex_home, HOME),
    ({"CODEX_HOME": "~/cx"}, lambda c: c.codex_cli_auth_path, HOME / "cx/auth.json"),
    ({"CODEX_HOME": "/opt/codex"}, lambda c: c.codex_cli_auth_path, Path("/opt/codex/auth.json")),
    (
        {"CHATGPT_BASE_URL": "http://127.0.0.1:9/backend-api/"},
        lambda c: c.codex_responses_url,
        "http://127.0.0.1:9/backend-api/codex/responses",
    ),
    (
        {"OPENAI_AUTH_URL": " http://127.0.0.1:9 "},
        lambda c: c.openai_token_url,
        "http://127.0.0.1:9/oauth/token",
    ),
    ({"KIRO_AUTH_FILE": "~/k.json"}, lambda c: c.kiro_auth_file, HOME / "k.json"),
    (
        {"KIRO_API_REGION": "eu-central-1"},
        lambda c: c.kiro_api_url,
        "https://q.eu-central-1.amazonaws.com",
    ),
    (
        {"KIRO_API_REGION": "eu-central-1"},
        lambda c: c.kiro_auth_base(),
        "https://prod.eu-central-1.auth.desktop.kiro.dev",
    ),
    (
        {"KIRO_API_REGION": "eu-central-1"},
        lambda c: c.kiro_oidc_base(),
        "https://oidc.eu-central-1.amazonaws.com",
    ),
    ({}, lambda c: c.kiro_oidc_base("us-west-2"), "https://oidc.us-west-2.amazonaws.com"),
    (
        {},
        lambda c: c.kiro_auth_base("us-gov-west-1"),
        "https://prod.us-gov-west-1.auth.desktop.kiro.dev",
    ),
    (
        {"KIRO_API_REGION": "eu-central-1", "KIRO_BASE_URL": "http://127.0.0.1:5/"},
        lambda c: c.kiro_api_url,
        "http://127.0.0.1:5",
    ),
    (
        {"KIRO_AUTH_URL": "http://127.0.0.1:6"},
        lambda c: c.kiro_auth_base("ap-south-1"),
        "http://127.0.0.1:6",
    ),
    ({"KIRO_OIDC_URL": "http://127.0.0.1:7"}, lambda c: c.kiro_oidc_base(), "http://127.0.0.1:7"),
    ({"KIRO_PAYLOAD_SIZE_LIMIT_BYTES": "900000"}, lambda c: c.kiro_payload_limit, 900_000),
    ({"KIRO_MAX_PAYLOAD_SIZE_MB": "1.25"}, lambda c: c.kiro_payload_limit, 1_250_000),
    ({"KIRO_MAX_PAYLOAD_SIZE_MB": "2"}, lambda c: c.kiro_payload_limit, 2_000_000),
    (
        {"KIRO_PAYLOAD_SIZE_LIMIT_BYTES": "700000", "KIRO_MAX_PAYLOAD_SIZE_MB": "2"},
        lambda c: c.kiro_payload_limit,
        700_000,
    ),
    ({"CLAUDE_CONFIG_DIR": "~/.claude-work"}, lambda c: c.claude_config_dir, HOME / ".claude-work"),
    ({"LOG_BODY": "0"}, lambda c: c.log_body, False),
    ({"LOG_BODY": " Off "}, lambda c: c.log_body, False),
    ({"LOG_BODY": "false"}, lambda c: c.log_body, False),
    ({"LOG_BODY": "no"}, lambda c: c.log_body, False),
    ({"LOG_BODY": "1"}, lambda c: c.log_body, True),
    ({"LOG_BODY": ""}, lambda c: c.log_body, True),
    ({"STREAM_IDLE_TIMEOUT_MS": "1500"}, lambda c: c.stream_idle_timeout, 1.5),
    ({"CODEX2CLAUDECODE_PING_INTERVAL": "0"}, lambda c: c.ping_interval, 0.0),
    ({"CODEX_OPUS_MODEL": "gpt-5.5"}, lambda c: dict(c.model_overrides), {"opus": "gpt-5.5"}),
]


@pytest.mark.parametrize(("env", "get", "expected"), OVERRIDES, ids=lambda v: repr(v)[:60])
def test_overrides(env: dict[str, str], get: Callable[[Config], Any], expected: Any) -> None:
    assert get(load(**env)) == expected


def test_flags_win_over_env_and_env_over_defaults() -> None:
    env = {
        "HOME": str(HOME),
        "PORT": "1111",
        "HOST": "0.0.0.0",
        "API_PASSWORD": "from-env",
        "UPSTREAM_PROVIDER": "kiro",
    }
    from_env = Config.load(env)
    assert (from_env.port, from_env.host, from_env.password, from_env.provider) == (
        1111,
        "0.0.0.0",
        "from-env",
        "kiro",
    )
    flagged = Config.load(
        env, port=2222, host="::1", password="from-flag", provider="codex", headless=True
    )
    assert (flagged.port, flagged.host, flagged.password, flagged.provider, flagged.headless) == (
        2222,
        "::1",
        "from-flag",
        "codex",
        True,
    )


def test_an_empty_password_flag_turns_the_env_password_off() -> None:
    assert Config.load({"HOME": str(HOME), "API_PASSWORD": "pw"}, password="").password is None


def test_port_zero_flag_is_not_the_default() -> None:
    assert Config.load({"HOME": str(HOME), "PORT": "1234"}, port=0).port == 0


def test_the_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/elsewhere")
    monkeypatch.setenv("PORT", "4321")
    monkeypatch.delenv("CODEX2CLAUDECODE_HOME", raising=False)
    config = Config.load()
    assert config.port == 4321
    assert config.home == Path("/elsewhere/.codex2claudecode")


def test_userprofile_is_home_when_home_is_unset() -> None:
    config = Config.load({"USERPROFILE": "/users/win"})
    assert config.codex_home == Path("/users/win/.codex")


# ------------------------------------------------------------------------------ validation

INVALID: list[tuple[dict[str, str], str]] = [
    ({"PORT": "abc"}, "PORT"),
    ({"PORT": "-1"}, "PORT"),
    ({"PORT": "65536"}, "PORT"),
    ({"PORT": "80.5"}, "PORT"),
    ({"UPSTREAM_PROVIDER": "openai"}, "provider"),
    ({"CHATGPT_BASE_URL": "chatgpt.com/backend-api"}, "CHATGPT_BASE_URL"),
    ({"CHATGPT_BASE_URL": "ftp://chatgpt.com"}, "CHATGPT_BASE_URL"),
    ({"CHATGPT_BASE_URL": "http://"}, "CHATGPT_BASE_URL"),
    ({"OPENAI_AUTH_URL": "auth.openai.com"}, "OPENAI_AUTH_URL"),
    ({"KIRO_BASE_URL": "q.amazonaws.com"}, "KIRO_BASE_URL"),
    ({"KIRO_AUTH_URL": "/relative"}, "KIRO_AUTH_URL"),
    ({"KIRO_OIDC_URL": "oidc"}, "KIRO_OIDC_URL"),
    ({"KIRO_API_REGION": "evil.example.com/x"}, "KIRO_API_REGION"),
    ({"KIRO_API_REGION": "US-EAST-1"}, "KIRO_API_REGION"),
    ({"KIRO_PAYLOAD_SIZE_LIMIT_BYTES": "nope"}, "KIRO_PAYLOAD_SIZE_LIMIT_BYTES"),
    ({"KIRO_PAYLOAD_SIZE_LIMIT_BYTES": "0"}, "KIRO_PAYLOAD_SIZE_LIMIT_BYTES"),
    ({"KIRO_PAYLOAD_SIZE_LIMIT_BYTES": "-5"}, "KIRO_PAYLOAD_SIZE_LIMIT_BYTES"),
    ({"KIRO_MAX_PAYLOAD_SIZE_MB": "lots"}, "KIRO_MAX_PAYLOAD_SIZE_MB"),
    ({"KIRO_MAX_PAYLOAD_SIZE_MB": "0"}, "KIRO_MAX_PAYLOAD_SIZE_MB"),
    ({"KIRO_MAX_PAYLOAD_SIZE_MB": "-1"}, "KIRO_MAX_PAYLOAD_SIZE_MB"),
    ({"KIRO_MAX_PAYLOAD_SIZE_MB": "nan"}, "KIRO_MAX_PAYLOAD_SIZE_MB"),
    ({"KIRO_MAX_PAYLOAD_SIZE_MB": "inf"}, "KIRO_MAX_PAYLOAD_SIZE_MB"),
    ({"STREAM_IDLE_TIMEOUT_MS": "soon"}, "STREAM_IDLE_TIMEOUT_MS"),
    ({"HTTPS_PROXY": "socks5://127.0.0.1:1080"}, "HTTPS_PROXY"),
    ({"ALL_PROXY": "socks5h://127.0.0.1:1080"}, "ALL_PROXY"),
    ({"http_proxy": "http://"}, "HTTP_PROXY"),
]


@pytest.mark.parametrize(("env", "names"), INVALID, ids=lambda v: repr(v)[:60])
def test_invalid_values_are_config_errors_naming_the_setting(
    env: dict[str, str], names: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(names)):
        load(**env)


def test_an_invalid_port_flag_is_an_error() -> None:
    with pytest.raises(ConfigError):
        Config.load({"HOME": str(HOME)}, port=70000)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com"])
def test_a_non_loopback_host_needs_a_password(host: str) -> None:
    with pytest.raises(ConfigError, match="password"):
        load(HOST=host)
    assert load(HOST=host, API_PASSWORD="pw").host == host
    assert Config.load({"HOME": str(HOME)}, host=host, password="pw").password == "pw"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"])
def test_loopback_hosts_need_no_password(host: str) -> None:
    assert load(HOST=host).is_loopback


# ------------------------------------------------------------------------------ proxies

PROXY = "http://proxy.corp:3128"
SECURE_PROXY = "http://secure-proxy.corp:3129"

PROXY_CHOICE: list[tuple[dict[str, str], str, str | None]] = [
    ({}, "https://chatgpt.com/backend-api", None),
    ({"HTTPS_PROXY": SECURE_PROXY}, "https://chatgpt.com/x", SECURE_PROXY),
    ({"HTTPS_PROXY": SECURE_PROXY}, "http://chatgpt.com/x", None),
    ({"HTTP_PROXY": PROXY}, "http://chatgpt.com/x", PROXY),
    ({"HTTP_PROXY": PROXY}, "https://chatgpt.com/x", None),
    ({"HTTP_PROXY": PROXY, "HTTPS_PROXY": SECURE_PROXY}, "http://a.b/", PROXY),
    ({"HTTP_PROXY": PROXY, "HTTPS_PROXY": SECURE_PROXY}, "https://a.b/", SECURE_PROXY),
    ({"https_proxy": SECURE_PROXY}, "https://a.b/", SECURE_PROXY),
    ({"http_proxy": PROXY}, "http://a.b/", PROXY),
    ({"HTTPS_PROXY": SECURE_PROXY, "https_proxy": PROXY}, "https://a.b/", SECURE_PROXY),
    ({"ALL_PROXY": PROXY}, "https://a.b/", PROXY),
    ({"all_proxy": PROXY}, "http://a.b/", PROXY),
    ({"ALL_PROXY": PROXY, "HTTPS_PROXY": SECURE_PROXY}, "https://a.b/", SECURE_PROXY),
    ({"HTTP_PROXY": "proxy.corp:3128"}, "http://a.b/", PROXY),
    (
        {"HTTP_PROXY": "http://user:pa%40ss@proxy.corp:3128"},
        "http://a.b/",
        "http://user:pa%40ss@proxy.corp:3128",
    ),
    ({"HTTPS_PROXY": "https://proxy.corp:443"}, "https://a.b/", "https://proxy.corp:443"),
    ({"HTTP_PROXY": "  "}, "http://a.b/", None),
]


@pytest.mark.parametrize(("env", "url", "expected"), PROXY_CHOICE, ids=lambda v: repr(v)[:50])
def test_the_proxy_follows_the_scheme(env: dict[str, str], url: str, expected: str | None) -> None:
    assert load(**env).proxies.for_url(url) == expected


NO_PROXY: list[tuple[str, str, bool]] = [
    ("example.com", "https://example.com/x", True),
    ("example.com", "https://api.example.com/x", True),
    ("example.com", "https://badexample.com/x", False),
    ("example.com", "https://example.com.evil.net/x", False),
    (".example.com", "https://api.example.com/x", True),
    (".example.com", "https://example.com/x", True),
    ("*.example.com", "https://deep.api.example.com/x", True),
    ("*.example.com", "https://example.org/x", False),
    ("EXAMPLE.com", "https://Api.Example.COM/x", True),
    ("*", "https://anything.at.all/x", True),
    ("other.org, example.com", "https://example.com/x", True),
    (" other.org ,  example.com ", "https://example.com/x", True),
    ("other.org", "https://example.com/x", False),
    ("127.0.0.1", "http://127.0.0.1:8080/x", True),
    ("127.0.0.1", "http://127.0.0.2:8080/x", False),
    ("10.0.0.0/8", "http://10.20.30.40/x", True),
    ("10.0.0.0/8", "http://11.0.0.1/x", False),
    ("192.168.1.0/24", "http://192.168.1.77/x", True),
    ("::1", "http://[::1]:8080/x", True),
    ("[::1]", "http://[::1]:8080/x", True),
    ("[::1]:8080", "http://[::1]:8080/x", True),
    ("[::1]:9090", "http://[::1]:8080/x", False),
    ("fd00::/8", "http://[fd12:3456::1]/x", True),
    ("fd00::/8", "http://[fe80::1]/x", False),
    ("example.com:8443", "https://example.com:8443/x", True),
    ("example.com:8443", "https://example.com/x", False),
    ("example.com:443", "https://example.com/x", True),
    ("example.com:80", "http://example.com/x", True),
    ("example.com:80", "https://example.com/x", False),
    ("127.0.0.1:9000", "http://127.0.0.1:9000/x", True),
    ("127.0.0.1:9000", "http://127.0.0.1:9001/x", False),
    ("localhost", "http://localhost:1234/x", True),
]


@pytest.mark.parametrize(("no_proxy", "url", "bypassed"), NO_PROXY, ids=lambda v: str(v)[:40])
@pytest.mark.parametrize("variable", ["NO_PROXY", "no_proxy"])
def test_no_proxy(variable: str, no_proxy: str, url: str, bypassed: bool) -> None:
    config = load(HTTP_PROXY=PROXY, HTTPS_PROXY=SECURE_PROXY, **{variable: no_proxy})
    expected = None if bypassed else (SECURE_PROXY if url.startswith("https") else PROXY)
    assert config.proxies.for_url(url) == expected


# ------------------------------------------------------------------------------ the contract


def test_only_config_reads_the_environment() -> None:
    readers = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "config.py"
        and re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "sticky"),
        ("", "sticky"),
        ("sticky", "sticky"),
        ("Round-Robin", "round-robin"),
        ("round_robin", "round-robin"),
        (" manual ", "manual"),
    ],
)
def test_pool_strategy(value: str | None, expected: str) -> None:
    env = {} if value is None else {"CODEX_POOL_STRATEGY": value}
    assert Config.load({"HOME": "/h", **env}).pool_strategy == expected


def test_an_unknown_pool_strategy_is_refused() -> None:
    with pytest.raises(ConfigError, match="CODEX_POOL_STRATEGY"):
        Config.load({"HOME": "/h", "CODEX_POOL_STRATEGY": "random"})


def test_request_log_defaults() -> None:
    cfg = Config.load({"HOME": "/h", "CODEX2CLAUDECODE_HOME": "/state"})
    assert cfg.request_log_path == Path("/state/requests.db")
    assert (cfg.request_log_max_rows, cfg.request_log_max_days) == (10_000, 7.0)


def test_request_log_retention_from_env() -> None:
    cfg = Config.load({"HOME": "/h", "REQUEST_LOG_MAX_ROWS": "500", "REQUEST_LOG_MAX_DAYS": "0.5"})
    assert (cfg.request_log_max_rows, cfg.request_log_max_days) == (500, 0.5)


def test_access_and_limit_settings() -> None:
    cfg = Config.load(
        {
            "HOME": "/h",
            "ALLOWED_HOSTS": " Gateway.LAN, [fd00::1] ,",
            "ALLOWED_ORIGINS": "http://localhost:3000/, https://App.example",
            "MAX_REQUEST_BODY_BYTES": "1000",
            "MAX_CONNECTIONS": "50",
        }
    )
    assert cfg.allowed_hosts == ("gateway.lan", "[fd00::1]")
    assert cfg.allowed_origins == ("http://localhost:3000", "https://app.example")
    assert (cfg.max_request_body_bytes, cfg.max_connections) == (1000, 50)
    default = Config.load({"HOME": "/h"})
    assert default.allowed_hosts == default.allowed_origins == ()
    assert default.max_request_body_bytes == 32 * 1024 * 1024
    assert default.max_connections is None
    assert default.local_key_path == Path("/h/.codex2claudecode/local-api-key")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REQUEST_LOG_MAX_ROWS", "0"),
        ("REQUEST_LOG_MAX_ROWS", "1.5"),
        ("REQUEST_LOG_MAX_ROWS", "many"),
        ("REQUEST_LOG_MAX_DAYS", "-1"),
        ("REQUEST_LOG_MAX_DAYS", "inf"),
        ("REQUEST_LOG_MAX_DAYS", "nan"),
    ],
)
def test_bad_request_log_retention_is_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} must be a positive"):
        Config.load({"HOME": "/h", name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ALLOWED_HOSTS", "http://gateway.lan"),
        ("ALLOWED_HOSTS", "gateway.lan:8787"),
        ("ALLOWED_ORIGINS", "localhost:3000"),
        ("ALLOWED_ORIGINS", "http://a.example/path"),
        ("MAX_REQUEST_BODY_BYTES", "0"),
        ("MAX_REQUEST_BODY_BYTES", "32MB"),
        ("MAX_CONNECTIONS", "-1"),
    ],
)
def test_bad_access_and_limit_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Config.load({"HOME": "/h", name: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LOG_BODY", "maybe"),
        ("STREAM_IDLE_TIMEOUT_MS", "-5"),
        ("STREAM_MAX_DURATION_MS", "-1"),
        ("STREAM_FIRST_EVENT_TIMEOUT_MS", "nan"),
    ],
)
def test_switches_and_durations_refuse_what_they_cannot_mean(name: str, value: str) -> None:
    # Found by the second newcomer pass: these were silently on, or silently "off" (0).
    with pytest.raises(ConfigError, match=name):
        Config.load({"HOME": "/h", name: value})


def test_log_body_words() -> None:
    assert Config.load({"HOME": "/h", "LOG_BODY": "Off"}).log_body is False
    assert Config.load({"HOME": "/h", "LOG_BODY": "yes"}).log_body is True

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codex2claudecode.claude_settings import (
    DEFAULT_EXTRA_ENV,
    MODEL_KEYS,
    PLACEHOLDER_TOKEN,
    ClaudeEnvDraft,
    ClaudeSettings,
    Scope,
    SettingsFileError,
    default_models,
    gateway_base_url,
    mask_secret,
    parse_draft,
)
from codex2claudecode.commands.claude_env import tier_models
from codex2claudecode.config import Config

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and symlinks")

BASE_URL = "http://127.0.0.1:8787"
TOKEN = "s3cret-password"
DEFAULTS = {
    "ANTHROPIC_MODEL": "gpt-5.5",
    "ANTHROPIC_DEFAULT_OPUS_MODEL": "gpt-5.5",
    "ANTHROPIC_DEFAULT_SONNET_MODEL": "gpt-5.4",
    "ANTHROPIC_DEFAULT_HAIKU_MODEL": "gpt-5.4-mini",
}
MANAGED = {
    "ANTHROPIC_BASE_URL": BASE_URL,
    "ANTHROPIC_AUTH_TOKEN": TOKEN,
    **DEFAULTS,
    "CLAUDE_CODE_DISABLE_1M_CONTEXT": "1",
    "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "64",
}


def make_draft(**raw: object) -> ClaudeEnvDraft:
    return parse_draft(raw, DEFAULTS)


@pytest.fixture
def service(tmp_path: Path) -> ClaudeSettings:
    return ClaudeSettings(
        claude_config_dir=tmp_path / "claude", cwd=tmp_path / "repo", state_dir=tmp_path / "state"
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def settings_text(doc: object) -> str:
    """A settings file as Claude Code writes it (JSON.stringify(value, null, 2))."""
    return json.dumps(doc, indent=2, ensure_ascii=False)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------- small pieces


@pytest.mark.parametrize(
    ("scope", "relative"),
    [
        ("user", "claude/settings.json"),
        ("project", "repo/.claude/settings.json"),
        ("local", "repo/.claude/settings.local.json"),
    ],
)
def test_scope_paths(service: ClaudeSettings, tmp_path: Path, scope: Scope, relative: str) -> None:
    assert service.path(scope) == tmp_path / relative


def test_the_user_scope_follows_claude_config_dir(tmp_path: Path) -> None:
    config = Config.load({"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": str(tmp_path / "elsewhere")})
    service = ClaudeSettings.from_config(config, cwd=tmp_path)
    assert service.path("user") == tmp_path / "elsewhere" / "settings.json"
    assert service.draft_path == tmp_path / ".codex2claudecode" / ".claude-env.json"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8787, "http://127.0.0.1:8787"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::", 9000, "http://127.0.0.1:9000"),
        ("localhost", 8787, "http://localhost:8787"),
        ("::1", 8787, "http://[::1]:8787"),
        ("192.168.1.20", 8787, "http://192.168.1.20:8787"),
    ],
)
def test_gateway_base_url(host: str, port: int, url: str) -> None:
    assert gateway_base_url(host, port) == url


@pytest.mark.parametrize(
    ("secret", "shown"),
    [("codex2claudecode", "****code"), ("abcdefghi", "****fghi"), ("short", "****"), ("", "****")],
)
def test_mask_secret(secret: str, shown: str) -> None:
    assert mask_secret(secret) == shown


def test_default_models_come_from_the_codex_tier_defaults_and_overrides(tmp_path: Path) -> None:
    assert default_models(tier_models(Config(home=tmp_path))) == DEFAULTS
    overridden = Config(
        home=tmp_path, model_overrides={"opus": "gpt-5.4_high", "haiku": "gpt-5.3-codex"}
    )
    assert default_models(tier_models(overridden)) == {
        "ANTHROPIC_MODEL": "gpt-5.4_high",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "gpt-5.4_high",
        "ANTHROPIC_DEFAULT_SONNET_MODEL": "gpt-5.4",
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": "gpt-5.3-codex",
    }
    kiro = default_models(tier_models(Config(home=tmp_path, provider="kiro")))
    assert kiro["ANTHROPIC_DEFAULT_OPUS_MODEL"] == "claude-opus-4.8"
    assert kiro["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "claude-haiku-4.5"


DRAFT_CASES = [
    # (name, raw file content, models, extra_env, unset_env)
    ("empty", {}, DEFAULTS, dict(DEFAULT_EXTRA_ENV), ()),
    (
        "models chosen, blank and non-string ones default",
        {"ANTHROPIC_MODEL": " gpt-5.4_high ", "ANTHROPIC_DEFAULT_OPUS_MODEL": "", "x": 1},
        {**DEFAULTS, "ANTHROPIC_MODEL": "gpt-5.4_high"},
        dict(DEFAULT_EXTRA_ENV),
        (),
    ),
    (
        "extras: trimmed keys, strings only, never our keys nor the two we never write",
        {
            "extraEnv": {
                " DISABLE_TELEMETRY ": "1",
                "N": 5,
                "": "x",
                "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "80",
                "NODE_TLS_REJECT_UNAUTHORIZED": "0",
                "ANTHROPIC_API_KEY": "k",
                "ANTHROPIC_BASE_URL": "http://elsewhere",
                "ANTHROPIC_MODEL": "m",
            }
        },
        DEFAULTS,
        {
            "CLAUDE_CODE_DISABLE_1M_CONTEXT": "1",
            "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "80",
            "DISABLE_TELEMETRY": "1",
        },
        (),
    ),
    (
        "unsetEnv: trimmed, de-duplicated, never a written key; it can drop a default extra",
        {
            "unsetEnv": [
                " FOO ",
                "FOO",
                "",
                3,
                "ANTHROPIC_AUTH_TOKEN",
                "KEPT",
                "CLAUDE_CODE_DISABLE_1M_CONTEXT",
            ],
            "extraEnv": {"KEPT": "yes"},
        },
        DEFAULTS,
        {"CLAUDE_AUTOCOMPACT_PCT_OVERRIDE": "64", "KEPT": "yes"},
        ("FOO", "CLAUDE_CODE_DISABLE_1M_CONTEXT"),
    ),
    (
        "unsetEnv may name the keys we never write",
        {"unsetEnv": ["NODE_TLS_REJECT_UNAUTHORIZED", "ANTHROPIC_API_KEY"]},
        DEFAULTS,
        dict(DEFAULT_EXTRA_ENV),
        ("NODE_TLS_REJECT_UNAUTHORIZED", "ANTHROPIC_API_KEY"),
    ),
    (
        "wrong shapes are ignored",
        {"extraEnv": ["A"], "unsetEnv": "FOO"},
        DEFAULTS,
        dict(DEFAULT_EXTRA_ENV),
        (),
    ),
]


@pytest.mark.parametrize(
    ("raw", "models", "extra", "unset"),
    [c[1:] for c in DRAFT_CASES],
    ids=[c[0] for c in DRAFT_CASES],
)
def test_parse_draft(
    raw: dict[str, object],
    models: dict[str, str],
    extra: dict[str, str],
    unset: tuple[str, ...],
) -> None:
    draft = parse_draft(raw, DEFAULTS)
    assert dict(draft.models) == models
    assert list(draft.models) == list(MODEL_KEYS)
    assert dict(draft.extra_env) == extra
    assert draft.unset_env == unset


# ---------------------------------------------------------------------------- set


@posix_only
def test_set_creates_a_private_file_as_claude_code_would_write_it(service: ClaudeSettings) -> None:
    change = service.set("project", make_draft(), base_url=BASE_URL, token=TOKEN)

    path = service.path("project")
    assert change.saved
    assert path.read_text() == settings_text({"env": MANAGED}) + "\n"
    assert mode_of(path) == 0o600


def test_set_merges_into_env_and_keeps_everything_else(service: ClaudeSettings) -> None:
    before = {
        "$schema": "https://json.schemastore.org/claude-code-settings.json",
        "model": "opus",
        "env": {"FOO": "bar", "ANTHROPIC_MODEL": "old", "BAZ": "1"},
        "permissions": {"allow": ["Bash(git diff:*)"], "deny": []},
        "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]},
    }
    path = write(service.path("user"), settings_text(before))

    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)

    after = json.loads(path.read_text())
    assert list(after) == list(before)
    assert {k: v for k, v in after.items() if k != "env"} == {
        k: v for k, v in before.items() if k != "env"
    }
    # An existing managed key keeps its place; new ones are appended in write order.
    assert list(after["env"].items()) == [
        ("FOO", "bar"),
        ("ANTHROPIC_MODEL", "gpt-5.5"),
        ("BAZ", "1"),
        *[(k, v) for k, v in MANAGED.items() if k != "ANTHROPIC_MODEL"],
    ]
    assert path.read_text() == settings_text({**before, "env": after["env"]})


@pytest.mark.parametrize("env", ["null", '"text"', "[1, 2]", "3"])
def test_set_replaces_an_env_that_is_not_an_object(service: ClaudeSettings, env: str) -> None:
    path = write(service.path("user"), f'{{\n  "a": 1,\n  "env": {env}\n}}\n')

    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)

    assert json.loads(path.read_text()) == {"a": 1, "env": MANAGED}


def test_set_writes_draft_models_extras_and_deletes_unset_keys(service: ClaudeSettings) -> None:
    path = write(service.path("user"), settings_text({"env": {"OLD": "x", "KEEP": "y"}}))
    draft = make_draft(
        ANTHROPIC_DEFAULT_HAIKU_MODEL="gpt-5.4-mini_low",
        extraEnv={"DISABLE_TELEMETRY": "1"},
        unsetEnv=["OLD", "MISSING"],
    )

    change = service.set("user", draft, base_url=BASE_URL, token=TOKEN)

    env = json.loads(path.read_text())["env"]
    assert change.removed == ("OLD",)
    assert "OLD" not in env
    assert env["KEEP"] == "y"
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "gpt-5.4-mini_low"
    assert env["DISABLE_TELEMETRY"] == "1"


def test_set_never_writes_tls_off_or_an_api_key(service: ClaudeSettings) -> None:
    draft = make_draft(extraEnv={"NODE_TLS_REJECT_UNAUTHORIZED": "0", "ANTHROPIC_API_KEY": "k"})

    service.set("user", draft, base_url=BASE_URL, token=TOKEN)

    env = json.loads(service.path("user").read_text())["env"]
    assert "NODE_TLS_REJECT_UNAUTHORIZED" not in env
    assert "ANTHROPIC_API_KEY" not in env


TLS = "NODE_TLS_REJECT_UNAUTHORIZED"
API_KEY = "ANTHROPIC_API_KEY"
LOCAL = {"ANTHROPIC_BASE_URL": "http://127.0.0.1:8787"}
LEFTOVER_CASES = [
    # (name, env before, key, removed by set and unset?)
    ("tls off beside a local gateway", {**LOCAL, TLS: "0"}, TLS, True),
    (
        "tls off beside localhost",
        {"ANTHROPIC_BASE_URL": "http://localhost:3000", TLS: 0},
        TLS,
        True,
    ),
    (
        "tls off beside a remote proxy",
        {"ANTHROPIC_BASE_URL": "https://llm.corp", TLS: "0"},
        TLS,
        False,
    ),
    ("tls off alone", {TLS: "0"}, TLS, False),
    ("tls on", {**LOCAL, TLS: "1"}, TLS, False),
    ("api key = placeholder", {API_KEY: PLACEHOLDER_TOKEN}, API_KEY, True),
    ("api key = our token", {API_KEY: TOKEN}, API_KEY, True),
    ("api key = the auth token", {"ANTHROPIC_AUTH_TOKEN": "old", API_KEY: "old"}, API_KEY, True),
    ("someone's real api key", {API_KEY: "sk-ant-api03-real"}, API_KEY, False),
]


@pytest.mark.parametrize(
    ("env", "key", "removed"), [c[1:] for c in LEFTOVER_CASES], ids=[c[0] for c in LEFTOVER_CASES]
)
@pytest.mark.parametrize("action", ["set", "unset"])
def test_a_gateways_leftovers_go_and_the_users_stay(
    service: ClaudeSettings, env: dict[str, object], key: str, removed: bool, action: str
) -> None:
    path = write(service.path("user"), settings_text({"env": {**env, "OTHER": "x"}}))

    if action == "set":
        change = service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)
    else:
        change = service.unset("user", make_draft(), token=TOKEN)

    after = json.loads(path.read_text())["env"]
    assert (key not in after) is removed
    assert (key in change.removed) is removed


def test_set_again_leaves_the_file_alone(service: ClaudeSettings) -> None:
    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)
    path = service.path("user")
    before = path.stat()

    change = service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)

    assert not change.saved
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_set_keeps_the_bytes_of_equal_values(service: ClaudeSettings) -> None:
    env = json.dumps(MANAGED, indent=2).replace("gpt-5.5", "gpt\\u002d5.5")
    text = '{\n  "env": ' + env.replace("\n", "\n  ") + "\n}\n"
    path = write(service.path("user"), text)

    change = service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)

    assert not change.saved
    assert path.read_text() == text


@posix_only
def test_set_keeps_the_mode_of_an_existing_file(service: ClaudeSettings) -> None:
    path = write(service.path("user"), "{}\n")
    path.chmod(0o644)

    change = service.set("user", make_draft(), base_url=BASE_URL, token=PLACEHOLDER_TOKEN)

    assert not change.made_private  # the placeholder is no secret
    assert mode_of(path) == 0o644


@posix_only
def test_set_makes_a_file_others_can_read_private_once_it_holds_a_real_key(
    service: ClaudeSettings,
) -> None:
    path = write(service.path("user"), "{}\n")
    path.chmod(0o644)

    change = service.set("user", make_draft(), base_url=BASE_URL, token="c2cc-secret")

    assert change.made_private and change.saved
    assert mode_of(path) == 0o600
    # Unchanged content still gets the permissions fixed; then there is nothing to say.
    path.chmod(0o664)
    again = service.set("user", make_draft(), base_url=BASE_URL, token="c2cc-secret")
    assert again.made_private and not again.saved
    assert mode_of(path) == 0o600
    assert not service.set(
        "user", make_draft(), base_url=BASE_URL, token="c2cc-secret"
    ).made_private


@posix_only
def test_set_writes_through_a_symlinked_settings_file(
    service: ClaudeSettings, tmp_path: Path
) -> None:
    real = write(tmp_path / "dotfiles" / "settings.json", '{"a": 1}\n')
    link = service.path("user")
    link.parent.mkdir(parents=True)
    link.symlink_to(real)

    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)

    assert link.is_symlink()
    assert json.loads(real.read_text()) == {"a": 1, "env": MANAGED}


def test_a_blank_file_counts_as_empty_settings(service: ClaudeSettings) -> None:
    path = write(service.path("user"), "  \n")

    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)

    assert json.loads(path.read_text()) == {"env": MANAGED}


BAD_FILES = [
    (b'{"env": {"A": "1",}}', "not valid JSON"),
    (b'{"env": ', "not valid JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'"text"', "not a JSON object"),
    (b'{"a": "\xff"}', "not UTF-8"),
]


@pytest.mark.parametrize(("content", "problem"), BAD_FILES)
@pytest.mark.parametrize("action", ["set", "unset", "read_env"])
def test_an_unusable_file_is_named_and_left_untouched(
    service: ClaudeSettings, content: bytes, problem: str, action: str
) -> None:
    path = service.path("local")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    before = path.stat()

    with pytest.raises(SettingsFileError, match=problem) as raised:
        if action == "set":
            service.set("local", make_draft(), base_url=BASE_URL, token=TOKEN)
        elif action == "unset":
            service.unset("local", make_draft(), token=TOKEN)
        else:
            service.read_env("local")

    assert str(path) in str(raised.value)
    assert raised.value.path == path
    assert path.read_bytes() == content
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.local.json"]


# ---------------------------------------------------------------------------- unset


def test_unset_removes_exactly_the_managed_keys(service: ClaudeSettings) -> None:
    draft = make_draft(extraEnv={"CUSTOM": "1"}, unsetEnv=["GONE"])
    env = {"USER_KEY": "u", **MANAGED, "CUSTOM": "1", "GONE": "still here", "LAST": "l"}
    path = write(service.path("user"), settings_text({"model": "sonnet", "env": env}))

    change = service.unset("user", draft, token=TOKEN)

    assert change.saved
    assert not change.drop_env
    assert change.removed == (*MANAGED, "CUSTOM")
    assert path.read_text() == settings_text(
        {"model": "sonnet", "env": {"USER_KEY": "u", "GONE": "still here", "LAST": "l"}}
    )


def test_unset_deletes_the_env_it_emptied(service: ClaudeSettings) -> None:
    path = write(service.path("user"), settings_text({"a": [1], "env": MANAGED, "z": True}))

    change = service.unset("user", make_draft(), token=TOKEN)

    assert change.drop_env
    assert path.read_text() == settings_text({"a": [1], "z": True})


def test_unset_keeps_an_env_that_was_empty(service: ClaudeSettings) -> None:
    path = write(service.path("user"), settings_text({"env": {}}))

    change = service.unset("user", make_draft(), token=TOKEN)

    assert not change.saved
    assert path.read_text() == settings_text({"env": {}})


def test_unset_of_a_missing_file_creates_nothing(service: ClaudeSettings) -> None:
    change = service.unset("project", make_draft(), token=TOKEN)

    assert not change.saved
    assert change.removed == ()
    assert not service.path("project").parent.exists()


# ---------------------------------------------------------------------------- round trips

ROUND_TRIP_FILES = [
    (
        "Claude Code's own style, no env",
        '{\n  "model": "opus",\n  "permissions": {\n    "allow": [\n      "Bash"\n    ]\n  }\n}',
    ),
    (
        "env with the user's keys",
        '{\n  "env": {\n    "DISABLE_TELEMETRY": "1"\n  },\n  "theme": "dark"\n}\n',
    ),
    ("empty object", "{}\n"),
    ("four spaces", '{\n    "a": {\n        "b": [1, 2.50, 1e5, -0.0]\n    }\n}\n'),
    ("tabs and CRLF", '{\r\n\t"a": "x",\r\n\t"env": {\r\n\t\t"K": "v"\r\n\t}\r\n}\r\n'),
    ("inline", '{"a":1,"b":[true,false,null]}'),
    ("escapes, non-ASCII", '{\n  "x": "caf\\u00e9 \\/ \\n",\n  "y": "日本"\n}\n'),
    ("big integer kept as written", '{\n  "id": 123456789012345678901234567890\n}\n'),
]


@pytest.mark.parametrize(
    "text", [c[1] for c in ROUND_TRIP_FILES], ids=[c[0] for c in ROUND_TRIP_FILES]
)
def test_set_then_unset_gives_back_the_same_bytes(service: ClaudeSettings, text: str) -> None:
    path = write(service.path("user"), text)

    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)
    assert json.loads(path.read_text())["env"].items() >= MANAGED.items()
    service.unset("user", make_draft(), token=TOKEN)

    assert path.read_bytes() == text.encode()


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
_user_env = st.dictionaries(
    st.text(max_size=8).filter(lambda k: k not in MANAGED and not k.startswith("ANTHROPIC")),
    st.text(max_size=8),
    max_size=4,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(
    doc=st.dictionaries(st.text(max_size=8).filter(lambda k: k != "env"), _json_values, max_size=5),
    env=st.none() | _user_env,
    indent=st.sampled_from([2, 4, "\t", None]),
)
def test_set_then_unset_round_trips_any_settings(
    service: ClaudeSettings,
    doc: dict[str, object],
    env: dict[str, str] | None,
    indent: int | str | None,
) -> None:
    if env:
        doc["env"] = env
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    path = write(service.path("user"), text)

    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)
    assert json.loads(path.read_text()) == {**doc, "env": {**(env or {}), **MANAGED}}
    service.unset("user", make_draft(), token=TOKEN)

    assert path.read_text() == text


# ---------------------------------------------------------------------------- the draft file


def test_save_models_keeps_the_rest_of_the_draft(service: ClaudeSettings) -> None:
    original = {"ANTHROPIC_MODEL": "m", "extraEnv": {"A": "1"}, "unsetEnv": ["B"], "note": "mine"}
    write(service.draft_path, json.dumps(original))

    service.save_models({"ANTHROPIC_DEFAULT_OPUS_MODEL": " gpt-5.4_high ", "ANTHROPIC_MODEL": ""})

    saved = json.loads(service.draft_path.read_text())
    assert saved == {
        "extraEnv": {"A": "1"},
        "unsetEnv": ["B"],
        "note": "mine",
        "ANTHROPIC_DEFAULT_OPUS_MODEL": "gpt-5.4_high",
    }
    draft = service.load_draft(DEFAULTS)
    assert draft.models["ANTHROPIC_MODEL"] == DEFAULTS["ANTHROPIC_MODEL"]
    assert draft.models["ANTHROPIC_DEFAULT_OPUS_MODEL"] == "gpt-5.4_high"


def test_a_missing_draft_is_the_default_draft(service: ClaudeSettings) -> None:
    assert service.load_draft(DEFAULTS) == make_draft()


@pytest.mark.parametrize("content", ["{oops", "[]"])
def test_an_unusable_draft_is_named_and_kept(service: ClaudeSettings, content: str) -> None:
    write(service.draft_path, content)

    with pytest.raises(SettingsFileError, match=r"\.claude-env\.json"):
        service.load_draft(DEFAULTS)
    with pytest.raises(SettingsFileError, match=r"\.claude-env\.json"):
        service.save_models({"ANTHROPIC_MODEL": "x"})

    assert service.draft_path.read_text() == content


def test_read_env(service: ClaudeSettings) -> None:
    assert service.read_env("user") is None
    write(service.path("user"), '{"theme": "dark"}')
    assert service.read_env("user") == {}
    write(service.path("user"), '{"env": {"A": "1"}}')
    assert service.read_env("user") == {"A": "1"}


def test_an_unreadable_file_is_named(service: ClaudeSettings) -> None:
    service.path("user").mkdir(parents=True)  # reading a directory fails, even for root

    with pytest.raises(SettingsFileError, match="cannot read"):
        service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    users=st.dictionaries(
        st.sampled_from([*MANAGED, "ANTHROPIC_API_KEY", "OTHER"]), st.text(max_size=6), max_size=5
    )
)
def test_set_then_unset_puts_the_users_own_managed_values_back(
    service: ClaudeSettings, users: dict[str, str]
) -> None:
    """Issue 9 item 3: `unset` restores what `set` replaced, not only what it added."""
    service.draft_path.unlink(missing_ok=True)
    text = json.dumps({"env": users}, indent=2)
    path = write(service.path("user"), text)

    service.set("user", make_draft(), base_url=BASE_URL, token=TOKEN)
    service.unset("user", make_draft(), token=TOKEN)

    after = json.loads(path.read_text()).get("env", {})
    for key, value in users.items():
        ours = (key == "ANTHROPIC_AUTH_TOKEN" and value in (TOKEN, "codex2claudecode")) or (
            DEFAULT_EXTRA_ENV.get(key) == value
        )
        if ours or key == "ANTHROPIC_API_KEY":  # a gateway's leftovers are not the user's
            continue
        assert after.get(key) == value, key
    assert after.keys() <= users.keys()

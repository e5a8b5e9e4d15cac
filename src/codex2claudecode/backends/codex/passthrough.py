"""A client's own Responses body, made fit for the Codex backend (issue 7: near-passthrough).

A `/v1/responses` client already speaks the backend's language, so its body goes upstream
nearly as sent: the fields the backend accepts are kept (namespace tools, `include`,
`text.verbosity`, `prompt_cache_key`, `client_metadata`...), the ones it rejects by name are
dropped (protocols §5c: `temperature`, `max_output_tokens`...; the gateway enforces the output
limit itself), `stream: true` and `store: false` are forced and the model suffix rules apply.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from codex2claudecode.backends.codex.models import ResolvedModel
from codex2claudecode.backends.codex.payload import DEFAULT_INSTRUCTIONS

ACCEPTED = frozenset(
    {
        "model",
        "instructions",
        "input",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning",
        "text",
        "include",
        "prompt_cache_key",
        "service_tier",
        "client_metadata",
    }
)
"""Body fields the Codex backend takes (protocols §5c and the Codex CLI's own bodies,
fixtures/codex-cli); any other field is dropped, as the backend answers 400 to many."""


def passthrough_body(
    body: Mapping[str, object],
    *,
    model: ResolvedModel,
    session_key: str | None,
    service_tier: str | None,
) -> dict[str, object]:
    """The upstream body for a client's Responses `body`.

    Args:
        model: the client's model after the suffix and tier rules (`models.resolve_model`).
        session_key: the client's session, the `prompt_cache_key` when the body has none.
        service_tier: the gateway's fast-mode tier, when the body names none.
    """
    out = {key: value for key, value in body.items() if key in ACCEPTED}
    out["model"] = model.upstream
    if model.effort is None:
        out.pop("reasoning", None)  # a model without reasoning rejects the field
    else:
        asked = body.get("reasoning")
        out["reasoning"] = {**(asked if isinstance(asked, dict) else {}), "effort": model.effort}
    if not isinstance(out.get("instructions"), str) or not out["instructions"]:
        out["instructions"] = DEFAULT_INSTRUCTIONS  # the backend requires them
    if isinstance(out.get("input"), str):
        text = out["input"]
        out["input"] = [{"role": "user", "content": [{"type": "input_text", "text": text}]}]
    if "prompt_cache_key" not in out and session_key:
        out["prompt_cache_key"] = session_key
    if "service_tier" not in out and service_tier:
        out["service_tier"] = service_tier
    out["store"] = False
    out["stream"] = True
    return out

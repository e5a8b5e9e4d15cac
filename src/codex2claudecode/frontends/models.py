"""`GET /v1/models` and `GET /v1/models/{id}` for the active provider, in the asker's dialect.

OpenAI clients get `{"object": "list", "data": [...]}`; a request that carries
`anthropic-version` (Claude Code, the Anthropic SDKs) gets Anthropic's paged shape with
`type: "model"`, `display_name`, `created_at`, `has_more`, `first_id` and `last_id`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import orjson
from starlette.requests import Request
from starlette.routing import Route

from codex2claudecode import errors, ir
from codex2claudecode.asgi import BodyResponse
from codex2claudecode.frontends.anthropic.errors import render_error as anthropic_error
from codex2claudecode.frontends.dialect import request_id_of
from codex2claudecode.frontends.openai.errors import render_error as openai_error

ListModels = Callable[[], Awaitable[list[ir.ModelInfo]]]
_DEFAULT_LIMIT = 20


def model_routes(list_models: ListModels) -> list[Route]:
    """The routes; `list_models` asks the active provider."""

    async def index(request: Request) -> BodyResponse:
        try:
            models = await list_models()
            if _wants_anthropic(request):
                return _json(anthropic_page(models, request.query_params))
            return _json(openai_list(models))
        except errors.GatewayError as exc:
            return _error(request, exc)

    async def one(request: Request) -> BodyResponse:
        wanted = request.path_params["model_id"]
        try:
            models = await list_models()
            found = next((m for m in models if m.id == wanted), None)
            if found is None:
                raise errors.NotFound(
                    f"Model '{wanted}' not found. Use GET /v1/models to list available models."
                )
            return _json(
                anthropic_model(found) if _wants_anthropic(request) else openai_model(found)
            )
        except errors.GatewayError as exc:
            return _error(request, exc)

    return [
        Route("/v1/models", index, methods=["GET"]),
        Route("/v1/models/{model_id:path}", one, methods=["GET"]),
    ]


def openai_model(model: ir.ModelInfo) -> dict[str, object]:
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": model.owned_by or "system",
    }


def openai_list(models: Sequence[ir.ModelInfo]) -> dict[str, object]:
    return {"object": "list", "data": [openai_model(m) for m in models]}


def anthropic_model(model: ir.ModelInfo) -> dict[str, object]:
    created = datetime.fromtimestamp(model.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    shown: dict[str, object] = {
        "type": "model",
        "id": model.id,
        "display_name": model.display_name,
        "created_at": created,
    }
    if model.context_window:
        shown["max_input_tokens"] = model.context_window
    if model.max_output_tokens:
        shown["max_tokens"] = model.max_output_tokens
    return shown


def anthropic_page(models: Sequence[ir.ModelInfo], query: object) -> dict[str, object]:
    """One page of Anthropic's list: `limit` (1-1000, default 20), `after_id`, `before_id`."""
    params = dict(query) if isinstance(query, dict) else dict(getattr(query, "items", list)())
    limit = _limit(params.get("limit"))
    ids = [m.id for m in models]
    start, end = 0, len(models)
    if params.get("after_id") in ids:
        start = ids.index(params["after_id"]) + 1
    if params.get("before_id") in ids:
        end = ids.index(params["before_id"])
        start = max(start, end - limit)
    page = list(models[start:end][:limit])
    return {
        "data": [anthropic_model(m) for m in page],
        "has_more": start + len(page) < end,
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
    }


def _limit(raw: object) -> int:
    try:
        value = int(str(raw)) if raw is not None else _DEFAULT_LIMIT
    except ValueError:
        raise errors.InvalidRequest(
            "limit: Input should be a valid integer", param="limit"
        ) from None
    return max(1, min(1000, value))


def _wants_anthropic(request: Request) -> bool:
    return "anthropic-version" in request.headers


def _json(document: dict[str, object]) -> BodyResponse:
    return BodyResponse(200, orjson.dumps(document))


def _error(request: Request, exc: errors.GatewayError) -> BodyResponse:
    render = anthropic_error if _wants_anthropic(request) else openai_error
    status, headers, body = render(exc, request_id=request_id_of(request))
    return BodyResponse(status, body, headers)

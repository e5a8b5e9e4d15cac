"""Kiro's model list, asked with `ListAvailableModels` and kept for a while, with the fallback
list of `models` when Kiro cannot be asked (update §1: the list is the truth, not our table)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from codex2claudecode import errors
from codex2claudecode.backends.kiro.client import KiroRefused
from codex2claudecode.backends.kiro.models import FALLBACK_MODELS, KiroModel, parse_models_page

log = logging.getLogger(__name__)

CACHE_SECONDS = 600.0
RETRY_SECONDS = 60.0
"""After a failed ask, the fallback list is used this long before asking again."""


class ModelSource(Protocol):
    async def list_model_pages(self) -> list[Mapping[str, object]]:
        """Every page of `ListAvailableModels` for the active account."""


class ModelCatalog:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._models: tuple[KiroModel, ...] = ()
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def models(self, source: ModelSource) -> Sequence[KiroModel]:
        """The account's models, asked at most every ten minutes; the fallback list when Kiro
        cannot be asked (no account yet, offline)."""
        if self._clock() < self._expires:
            return self._models
        async with self._lock:
            if self._clock() < self._expires:
                return self._models
            try:
                pages = await source.list_model_pages()
            except (errors.GatewayError, KiroRefused) as exc:
                log.info("using the built-in Kiro model list: %s", exc)
                self._models, self._expires = FALLBACK_MODELS, self._clock() + RETRY_SECONDS
                return self._models
            found: list[KiroModel] = []
            for page in pages:
                found += parse_models_page(page)[0]
            self._models = tuple(found) or FALLBACK_MODELS
            self._expires = self._clock() + CACHE_SECONDS
            return self._models

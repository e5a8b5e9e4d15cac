"""The ChatGPT Codex backend: `payload` (encode), `sse` + `events` (decode), `client` (HTTP),
`auth` (token refresh), `pool` (accounts), `backend` (the pipeline) and `models` (names)."""

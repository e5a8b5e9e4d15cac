"""The OpenAI Chat Completions dialect (`POST /v1/chat/completions`): `request` (parse),
`stream` (SSE chunks), `response` (JSON) and `errors` (error shapes)."""

"""The OpenAI Responses dialect (`POST /v1/responses`): `request` (parse), `stream` (SSE),
`response` (JSON) and `errors` (error shapes)."""

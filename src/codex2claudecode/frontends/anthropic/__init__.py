"""The Anthropic Messages dialect: `request` (parse), `stream` (SSE), `response` (JSON),
`errors` (error shapes) and `routes` (the HTTP handlers)."""

"""Accounts: the credential files (ours and the Codex CLI's), sign-in flows, limits and the pool
that picks an account per request. Provider-neutral pieces; the Codex HTTP calls live in
`backends.codex`."""

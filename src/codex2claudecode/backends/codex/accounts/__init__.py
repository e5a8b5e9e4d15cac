"""Codex accounts: our managed accounts file, the Codex CLI's `auth.json`, `.account-info.json`,
OpenAI's JWT claims, and the browser and device-code sign-in flows."""

"""Kiro accounts: the Kiro IDE's token cache (the foreign source), our managed
`kiro-state.json`, and the credentials they hold (spec original-kiro §2, kiro-2026-update §2)."""

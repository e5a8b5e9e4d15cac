"""Frontends: one package per client dialect. Each parses its requests into `ir.Request`,
renders `ir.Event`s in its own SSE/JSON grammar and errors in its own shape."""

"""Backends: one package per upstream provider. Each turns an `ir.Request` into batches of
`ir.Event` and never imports a frontend."""

"""One screen per slash command; each opens over the dashboard and returns a message."""

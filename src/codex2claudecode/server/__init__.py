"""The HTTP server: the ASGI app and its routes (`app`), middleware, and running uvicorn on a
socket we bind ourselves (`run`)."""

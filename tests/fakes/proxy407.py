"""A proxy that asks for credentials it never accepts: every request, a plain `CONNECT` for
HTTPS or a proxied HTTP request, gets `407 Proxy Authentication Required` with a Basic
challenge (RFC 9110 §15.5.8, §11.7.1), and the connection is closed.

    proxy = ProxyAsking407()
    ...  # point HTTPS_PROXY at f"http://user:pw@127.0.0.1:{proxy.port}"
    proxy.close()
"""

from __future__ import annotations

import contextlib
import socket
import threading


class ProxyAsking407:
    """Listens on 127.0.0.1 (a free `port`) from a background thread; `asked` counts requests."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port: int = self._sock.getsockname()[1]
        self.asked = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self._sock.accept()
                with conn:
                    conn.recv(65536)
                    self.asked += 1
                    conn.sendall(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                        b'Proxy-Authenticate: Basic realm="corp"\r\n'
                        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                    )

    def close(self) -> None:
        self._sock.close()

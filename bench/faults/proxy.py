"""A TCP proxy on 127.0.0.1 between the studio's processes and PostgreSQL, which the bench can cut:
every open connection is dropped and new ones are refused (nothing listens on the port), as a
database server that went away looks from its clients; `restore()` listens again on the same port.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


class CuttableProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self.connections = 0

    def start(self) -> CuttableProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="db-proxy", daemon=True).start()
        return self

    def cut(self) -> None:
        """The server is gone: the port refuses, every connection through it is reset."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._open = list(self._open), set()
        if listener is not None:
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.start()

    def stop(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by cut()
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close(), server.close()
                    return
                self._open |= {client, server}
                self.connections += 1
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):  # shutdown wakes the other pump's recv; then both close
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open -= {source, sink}


def database_proxy() -> tuple[CuttableProxy, str] | None:
    """A started proxy in front of the PostgreSQL database this process uses, and the
    DATABASE_URL that reaches it through the proxy; None on another database."""
    from django.db import connection

    from bench.studio import database_url

    if connection.vendor != "postgresql":
        return None
    url = urlsplit(database_url())
    proxy = CuttableProxy((url.hostname or "127.0.0.1", url.port or 5432)).start()
    auth = url.netloc.rpartition("@")[0]
    return proxy, urlunsplit(url._replace(netloc=f"{auth}@127.0.0.1:{proxy.port}"))

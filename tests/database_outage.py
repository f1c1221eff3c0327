"""A database that goes away, for real: a connection pointed where no database answers, and a
TCP proxy between the studio's processes and PostgreSQL that a test cuts and mends."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lose_database(tmp_path: Path) -> Callable[[], None]:
    """From now on every new connection of this process fails as a lost database does (Django's
    OperationalError): PostgreSQL is looked for on a port where nothing listens, SQLite in a folder
    that does not exist. This thread's connection is closed; the others' are not, but the settings
    are shared by every thread, so a connection opened anew fails too. Returns `mend`, which any
    thread may call. Needs a test outside a transaction (the connection is closed)."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "studio.sqlite3")
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))

    def mend() -> None:
        connection.settings_dict.update(saved)

    return mend


@contextlib.contextmanager
def unreachable_database(tmp_path: Path) -> Iterator[None]:
    """The database is lost while inside (`lose_database`), and found again after."""
    mend = lose_database(tmp_path)
    try:
        yield
    finally:
        connection.close()
        mend()


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to a TCP server. `cut()` drops every open connection and from then
    on hangs up on each new one at once (the client reads "server closed the connection
    unexpectedly"); `mend()` forwards again. The port stays the same throughout."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._closed = False
        threading.Thread(target=self._accept, name="db-proxy", daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            self._cut = True
            for sock in self._open:
                _hang_up(sock)
            self._open.clear()

    def mend(self) -> None:
        with self._lock:
            self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._cut:
                    _hang_up(client)
                    continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _hang_up(client)
                continue
            server.settimeout(None)
            with self._lock:
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            _hang_up(sock)
            with self._lock:
                self._open.discard(sock)


def _hang_up(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()

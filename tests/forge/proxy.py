"""A loopback TCP proxy the loss test controls: round-robin over backends, and a switch that
cuts the network (drops every open connection and refuses new ones) and restores it."""

from __future__ import annotations

import itertools
import socket
import struct
import threading


class Proxy:
    def __init__(self, backend_ports: list[int]) -> None:
        self.backends = itertools.cycle(backend_ports)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = threading.Event()
        self.closed = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_off.is_set():
                self._drop(client)
                continue
            with self._lock:
                port = next(self.backends)
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:  # that backend is down: the client sees the connection drop
                self._drop(client)
                continue
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _drop(self, conn: socket.socket) -> None:
        self.refused += 1
        try:
            # linger 0: the client sees a reset, as when a link drops
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        conn.close()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
                with self._lock:
                    self._open.discard(conn)

    def cut(self) -> None:
        self.cut_off.set()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def restore(self) -> None:
        self.cut_off.clear()

    def close(self) -> None:
        self.closed.set()
        self.cut()
        self.listener.close()

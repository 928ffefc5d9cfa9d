"""A server of the test's own that accepts TCP connections and never answers.

What a half-dead dependency looks like from outside (a wedged Redis, a network that
swallows packets after the handshake): connecting works, every request waits for ever.
"""

import socket
import threading


class SilentServer:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self._listener.getsockname()[1]
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # closed
                return
            self.accepted += 1
            self._held.append(connection)  # held open, never read, never answered

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()

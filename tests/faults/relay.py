"""A TCP relay the fault tests put between the app's processes and PostgreSQL or Redis.

It runs an asyncio loop on a thread of the test process (never under libfaketime, which
only the app's processes load). The test cuts every connection (a server restart), refuses
new ones (a server that is down), or accepts them and forwards nothing (a network that
swallows packets: the client waits for its own timeout).
"""

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, Literal

Mode = Literal["forward", "refuse", "blackhole"]


class Relay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "forward"
        self.connections = 0  # accepted so far
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = self._run(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port: int = self._server.sockets[0].getsockname()[1]

    def set_mode(self, mode: Mode, *, cut: bool = False) -> None:
        """Switch mode; ``cut`` also closes every open connection at once."""

        async def switch() -> None:
            self.mode = mode
            if cut or mode != "forward":
                for writer in list(self._writers):
                    writer.transport.abort()
                self._writers.clear()

        self._run(switch())

    def close(self) -> None:
        self.set_mode("refuse")
        self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "refuse":
            writer.transport.abort()
            return
        self._writers.add(writer)
        if self.mode == "blackhole":
            return  # held open, nothing forwarded, until a mode switch aborts it
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.mode != "forward":
                    break
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()

"""Server-side TLS over an accepted connection, driven through memory BIOs.

asyncio's own TLS layer closes the socket when a handshake fails without flushing the
alert OpenSSL wrote, so a client offering only an old protocol version sees a bare EOF
where every real TLS stack sends ``protocol_version`` or ``handshake_failure``. Scanners
tell those apart, so the emulators run TLS themselves: ``accept()`` performs the
handshake (sending the alert when it fails) and returns a plaintext reader/writer pair
that behaves like asyncio's streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import Any

HANDSHAKE_SECONDS = 10.0
RECORD = 16 * 1024
#: Plaintext a client may have sent before the handler reads it (as _common.MAX_READ).
MAX_READ = 64 * 1024


class _TlsTransport(asyncio.Transport):
    """Encrypts writes into the raw connection; everything else is the raw transport's."""

    def __init__(
        self, raw: asyncio.StreamWriter, tls: ssl.SSLObject, outgoing: ssl.MemoryBIO
    ) -> None:
        super().__init__()
        self._raw = raw
        self._tls = tls
        self._outgoing = outgoing
        self._closed = False

    def flush(self) -> None:
        data = self._outgoing.read()
        if data and not self._raw.is_closing():
            self._raw.write(data)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            return
        view = memoryview(data)
        for start in range(0, len(view), RECORD):
            self._tls.write(view[start : start + RECORD])
        self.flush()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "ssl_object":
            return self._tls
        if name == "cipher":
            return self._tls.cipher()
        return self._raw.get_extra_info(name, default)

    def is_closing(self) -> bool:
        return self._closed or self._raw.is_closing()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(ssl.SSLError, ValueError):
            self._tls.unwrap()  # queues close_notify
        self.flush()
        self._raw.close()

    def abort(self) -> None:
        self._closed = True
        self._raw.transport.abort()

    def can_write_eof(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return self._raw.transport.get_write_buffer_size()


async def _pump(
    raw: asyncio.StreamReader,
    tls: ssl.SSLObject,
    incoming: ssl.MemoryBIO,
    transport: _TlsTransport,
    plain: asyncio.StreamReader,
) -> None:
    """Decrypt what the client sends into ``plain`` until EOF, close_notify or an error."""
    try:
        while True:
            while True:
                try:
                    chunk = tls.read(RECORD)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:
                    return
                if not chunk:
                    return
                plain.feed_data(chunk)
                # a client flooding us: asyncio offers no public size of what is unread
                if len(plain._buffer) > 4 * MAX_READ:  # type: ignore[attr-defined]
                    transport.abort()
                    return
            transport.flush()  # post-handshake messages (tickets, key updates)
            data = await raw.read(RECORD)
            if not data:
                return
            incoming.write(data)
    except (ssl.SSLError, ConnectionError):
        transport.abort()
    finally:
        plain.feed_eof()


async def accept(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    context: ssl.SSLContext,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Task[None]] | None:
    """Complete a server-side handshake; (plain reader, plain writer, pump task) or None.

    On a failed handshake the alert OpenSSL produced is sent before the caller closes.
    """
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_side=True)
    try:
        async with asyncio.timeout(HANDSHAKE_SECONDS):
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    pending = outgoing.read()
                    if pending:
                        writer.write(pending)
                    data = await reader.read(RECORD)
                    if not data:
                        return None
                    incoming.write(data)
    except ssl.SSLError:
        alert = outgoing.read()
        if alert:
            writer.write(alert)
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await writer.drain()
        return None
    except (TimeoutError, ConnectionError):
        return None
    transport = _TlsTransport(writer, tls, outgoing)
    transport.flush()
    loop = asyncio.get_running_loop()
    plain = asyncio.StreamReader(limit=MAX_READ, loop=loop)
    # the raw connection's protocol gives the drain and close waiters
    protocol = writer._protocol  # type: ignore[attr-defined]
    plain_writer = asyncio.StreamWriter(transport, protocol, plain, loop)
    pump = asyncio.create_task(_pump(reader, tls, incoming, transport, plain))
    return plain, plain_writer, pump

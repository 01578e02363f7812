"""Tiny in-process servers on 127.0.0.1 that speak just enough of each protocol for
the checks' both-ways tests. Formats follow the protocol RFCs named beside each."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

from kenshin.checks import CheckTarget
from kenshin.domain import PortResult, PortState, Protocol, ServiceIdentity

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def tcp_server(handler: Handler) -> AsyncIterator[int]:
    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(guarded, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, answer: Callable[[bytes], bytes | None]) -> None:
        self.answer = answer
        self.transport: asyncio.DatagramTransport | None = None
        self.received: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.received.append(data)
        reply = self.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


@contextlib.asynccontextmanager
async def udp_server(answer: Callable[[bytes], bytes | None]) -> AsyncIterator[tuple[int, _Udp]]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Udp(answer), local_addr=("127.0.0.1", 0)
    )
    try:
        yield transport.get_extra_info("sockname")[1], protocol
    finally:
        transport.close()


def target(
    port: int,
    service: str = "",
    protocol: Protocol = Protocol.TCP,
    product: str = "",
    version: str = "",
    extra: tuple[tuple[str, str], ...] = (),
    state: PortState = PortState.OPEN,
    role: str | None = None,
) -> CheckTarget:
    identity = (
        ServiceIdentity(service, product, version, extra=extra) if service or product else None
    )
    result = PortResult(protocol, port, state, identity=identity)
    return CheckTarget("127.0.0.1", result, (result,), role)


async def read_line(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readline(), 5)


def snmp_answer(community: str, description: bytes) -> Callable[[bytes], bytes | None]:
    """An SNMP agent (RFC 1157/3416) answering sysDescr.0 for one community only."""
    from kenshin.checks import _snmp
    from kenshin.net import ber

    def answer(data: bytes) -> bytes | None:
        if community.encode() not in data:
            return None
        # reuse the request id: it sits after the PDU tag; re-encode a GetResponse
        request = data
        rid_at = request.index(b"\xa0") + 2
        if request[rid_at - 1] & 0x80:
            rid_at += request[rid_at - 1] & 0x7F
        tag, length = request[rid_at], request[rid_at + 1]
        rid = int.from_bytes(request[rid_at + 2 : rid_at + 2 + length], "big", signed=True)
        assert tag == 0x02
        varbind = ber.sequence(ber.tlv(0x06, _snmp.SYS_DESCR_OID), ber.octets(description))
        pdu = ber.sequence(
            ber.integer(rid), ber.integer(0), ber.integer(0), ber.sequence(varbind), tag=0xA2
        )
        return ber.sequence(ber.integer(1), ber.octets(community), pdu)

    return answer


def dns_answer(recursive: bool) -> Callable[[bytes], bytes | None]:
    """A resolver (RFC 1035): answers with RA=1 and one A record, or REFUSED."""

    def answer(data: bytes) -> bytes | None:
        query_id = data[:2]
        question = data[12:]
        if recursive:
            header = query_id + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
            record = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([198, 18, 0, 1])
            return header + question + record
        return query_id + struct.pack(">HHHHH", 0x8105, 1, 0, 0, 0) + question

    return answer

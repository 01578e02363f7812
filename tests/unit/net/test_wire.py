"""The shared wire code: UDP answers from another port, telnet negotiation both ways."""

from __future__ import annotations

import asyncio
import socket
import threading

from kenshin.net import telnet, udp


def _answer_from_other_port(server: socket.socket, replier: socket.socket, stop: float) -> None:
    """Read one request on ``server``; answer it from ``replier`` (another source port)."""
    server.settimeout(stop)
    try:
        data, client = server.recvfrom(512)
    except TimeoutError:
        return
    replier.sendto(b"reply:" + data, client)


def test_udp_reply_from_another_source_port_is_heard() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as replier,
    ):
        server.bind(("127.0.0.1", 0))
        replier.bind(("127.0.0.1", 0))
        assert server.getsockname()[1] != replier.getsockname()[1]
        thread = threading.Thread(target=_answer_from_other_port, args=(server, replier, 5.0))
        thread.start()
        sends: list[int] = []
        reply = asyncio.run(
            udp.exchange(
                "127.0.0.1",
                server.getsockname()[1],
                b"ping",
                wait=3.0,
                cap=64,
                attempts=1,
                on_send=lambda: sends.append(1),
            )
        )
        thread.join(6)
    assert reply == b"reply:ping"
    assert sends == [1]


def test_udp_datagrams_from_other_hosts_are_ignored() -> None:
    # 127.0.0.2 is another loopback host: its answer is not the probed host's.
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger,
    ):
        server.bind(("127.0.0.1", 0))
        stranger.bind(("127.0.0.2", 0))
        thread = threading.Thread(target=_answer_from_other_port, args=(server, stranger, 5.0))
        thread.start()
        reply = asyncio.run(
            udp.exchange("127.0.0.1", server.getsockname()[1], b"ping", wait=0.5, cap=64)
        )
        thread.join(6)
    assert reply is None


def test_telnet_parse_splits_text_requests_and_subnegotiation() -> None:
    data = (
        bytes([telnet.IAC, telnet.WILL, 1, telnet.IAC, telnet.DO, 31])
        + b"Login"
        + bytes([telnet.IAC, telnet.SB, 24, 1, telnet.IAC, telnet.SE])
        + bytes([telnet.IAC, telnet.IAC])
        + b": "
    )
    parsed = telnet.parse(data)
    assert parsed.text == b"Login\xff: "
    assert parsed.requests == ((telnet.WILL, 1), (telnet.DO, 31))
    assert telnet.refusals(parsed.requests) == bytes(
        [telnet.IAC, telnet.DONT, 1, telnet.IAC, telnet.WONT, 31]
    )
    # an option we offered is accepted silently
    assert telnet.refusals(parsed.requests, do={1}, will={31}) == b""


def test_telnet_keeps_an_unfinished_sequence_only_when_asked() -> None:
    chunk = b"ok" + bytes([telnet.IAC, telnet.DO])
    assert telnet.parse(chunk).rest == b""
    kept = telnet.parse(chunk, keep_partial=True)
    assert (kept.text, kept.rest) == (b"ok", bytes([telnet.IAC, telnet.DO]))
    endless = bytes([telnet.IAC, telnet.SB]) + bytes(telnet.LONGEST_SUBNEGOTIATION + 1)
    assert telnet.parse(endless, keep_partial=True).rest == b""
    assert telnet.negotiation([("WILL", 1), ("DO", 24)]) == bytes(
        [telnet.IAC, telnet.WILL, 1, telnet.IAC, telnet.DO, 24]
    )

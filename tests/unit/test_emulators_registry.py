"""Every registered emulator starts with its default options and survives hostile input."""

from __future__ import annotations

import contextlib
import os
import socket

import pytest

from kenshin.lab.emulators import EMULATORS, running

LOOPBACK = "127.0.0.1"
#: emulators whose whole point is to misbehave towards the client
HOSTILE = {"tarpit", "garbage", "slow", "reset", "tls_nonsense"}


@pytest.mark.parametrize("name", sorted(EMULATORS))
def test_every_emulator_starts_with_its_defaults(name: str) -> None:
    spec = EMULATORS[name]
    with running(name) as emulator:
        protocols = sorted(protocol for protocol, _, _ in emulator.addresses)
        assert protocols == sorted(spec.protocol.split("+"))
        assert len({port for _, _, port in emulator.addresses}) == 1


@pytest.mark.parametrize(
    "name", sorted(n for n, s in EMULATORS.items() if "tcp" in s.protocol and n not in HOSTILE)
)
def test_tcp_emulators_survive_random_bytes(name: str) -> None:
    with running(name) as emulator:
        for _ in range(3):
            with socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock:
                sock.settimeout(2.0)
                try:
                    sock.sendall(os.urandom(4096) + b"\r\n\r\n")
                    sock.recv(65536)
                except (TimeoutError, ConnectionError):
                    pass
        # still serving: a fresh connection is accepted
        with socket.create_connection((LOOPBACK, emulator.port), timeout=10):
            pass


@pytest.mark.parametrize("name", sorted(n for n, s in EMULATORS.items() if "udp" in s.protocol))
def test_udp_emulators_survive_random_datagrams(name: str) -> None:
    with running(name) as emulator, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        for size in (1, 12, 28, 48, 200, 1400):
            sock.sendto(os.urandom(size), (LOOPBACK, emulator.port))
            with contextlib.suppress(TimeoutError):
                sock.recvfrom(65536)
        assert not emulator.task.done()

"""The hostile lab's giant banner, its 64 KB UDP answers, and the FortiGate's FGFM port."""

from __future__ import annotations

import socket
import ssl

import pytest

from kenshin.lab.emulators import EmulatorError, running

LOOPBACK = "127.0.0.1"


def test_giant_banner_is_a_prefix_then_one_character_without_newline() -> None:
    with running("garbage", LOOPBACK, 0, prefix="SSH-2.0-", fill="A", megabytes="0.25") as emu:
        received = b""
        with socket.create_connection((LOOPBACK, emu.port), timeout=5) as sock:
            while chunk := sock.recv(65536):
                received += chunk
    assert received.startswith(b"SSH-2.0-AAAA")
    assert len(received) == len(b"SSH-2.0-") + 256 * 1024
    assert b"\n" not in received
    assert set(received[8:]) == {ord("A")}


def test_garbage_refuses_a_fill_of_more_than_one_character() -> None:
    with pytest.raises(EmulatorError), running("garbage", LOOPBACK, 0, fill="AB"):
        pass


def test_udp_flood_answers_any_datagram_with_64_kb() -> None:
    with running("udp_flood") as emu, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(b"", (LOOPBACK, emu.port))
        data, _ = sock.recvfrom(70_000)
    assert len(data) == int(63.9 * 1024)


def test_fgfm_presents_the_fortigate_factory_certificate_and_stays_silent() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        running("fgfm", LOOPBACK, 0, serial="FGT60FTK20001234") as emu,
        socket.create_connection((LOOPBACK, emu.port), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        tls.settimeout(1.5)
        tls.sendall(b"hello")
        try:
            answer = tls.recv(1024)
        except (TimeoutError, ssl.SSLError, ConnectionError):
            answer = b""
        assert answer == b""  # no answer: it waits, or closes, as fgfmd does to a stranger
    assert der is not None
    assert b"FGT60FTK20001234" in der
    assert b"FortiGate" in der

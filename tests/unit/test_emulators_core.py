"""The first emulators (fortigate, telnet_router, rdp, ike) and the registry/CLI contract.

Each emulator runs in-process on 127.0.0.1 with an ephemeral port; the clients here
speak the real protocol (``ssl``/``http.client`` for HTTPS, raw Telnet with IAC,
TPKT/X.224 for RDP, ISAKMP/IKEv2 datagrams built per RFC 2408/7296).
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from kenshin.lab.emulators import (
    EMULATORS,
    EmulatorError,
    command_line,
    parse_ready,
    running,
    settings,
)
from kenshin.lab.emulators._common import data

LOOPBACK = "127.0.0.1"


def _tls_client() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True)
class Fetched:
    """An HTTP response read to its end."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name)


def https_get(
    port: int,
    path: str,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> Fetched:
    connection = http.client.HTTPSConnection(LOOPBACK, port, timeout=10, context=_tls_client())
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Fetched(response.status, response.headers, response.read())
    finally:
        connection.close()


def peer_certificate(port: int) -> x509.Certificate:
    with (
        socket.create_connection((LOOPBACK, port), timeout=10) as raw,
        _tls_client().wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def cn(name: x509.Name) -> str:
    return str(name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


# --- registry and CLI -----------------------------------------------------------------


def test_registry_entries_point_at_serve_functions() -> None:
    for name, spec in EMULATORS.items():
        assert spec.name == name
        assert spec.protocol in ("tcp", "udp", "tcp+udp")
        assert 0 < spec.default_port < 65536
        assert spec.description
        assert callable(spec.serve_function())
        assert not {"host", "port"} & set(spec.options)  # they would clash with serve()
        assert spec.service


def test_settings_reject_unknown_emulators_and_options() -> None:
    with pytest.raises(EmulatorError):
        settings("no_such_emulator", {})
    with pytest.raises(EmulatorError):
        settings("fortigate", {"colour": "blue"})
    assert settings("fortigate", {"version": "7.2.4"})["version"] == "7.2.4"


def test_an_unknown_release_is_refused() -> None:
    with pytest.raises(EmulatorError), running("fortigate", version="99.9.9"):
        pass


def test_command_line_and_ready_line() -> None:
    argv = command_line("ike", "198.18.20.20", 500, python="python3", vendor="yamaha")
    assert argv == [
        "python3",
        "-m",
        "kenshin.lab.emulators",
        "ike",
        "--host",
        "198.18.20.20",
        "--port",
        "500",
        "--option",
        "vendor=yamaha",
    ]
    with pytest.raises(EmulatorError):
        command_line("ike", "198.18.20.20", 500, colour="blue")
    assert parse_ready("READY ike udp 198.18.20.20 500\n") == ("ike", "udp", "198.18.20.20", 500)
    assert parse_ready("[ike] listening on udp") is None


@pytest.fixture
def emulator_process() -> Iterator[tuple[subprocess.Popen[str], int]]:
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo / "src"))
    process = subprocess.Popen(
        command_line("fortigate", LOOPBACK, 0, version="7.2.4"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until READY (or the process dies)
        ready = parse_ready(line)
        errors = process.stderr.read() if process.stderr and not line else ""
        assert ready is not None, f"unexpected first line {line!r}; stderr: {errors}"
        assert ready[:3] == ("fortigate", "tcp", LOOPBACK)
        yield process, ready[3]
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(10)


def test_module_runs_an_emulator_and_stops_on_sigterm(
    emulator_process: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = emulator_process
    response = https_get(port, "/remote/login")
    assert response.status == 200
    assert response.getheader("Server") == "xxxxxxxx-xxxxx"
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(20) == 0


def test_module_refuses_a_bad_option() -> None:
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo / "src"))
    result = subprocess.run(
        [sys.executable, "-m", "kenshin.lab.emulators", "rdp", "--option", "colour=blue"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "colour" in result.stderr


# --- fortigate ------------------------------------------------------------------------


def test_fortigate_ssl_vpn_portal_looks_like_fortios() -> None:
    with running("fortigate", version="7.0.11") as emulator:
        root = https_get(emulator.port, "/")
        assert root.status == 200
        assert root.getheader("Server") == "xxxxxxxx-xxxxx"
        assert b'top.location="/remote/login"' in root.body
        login = https_get(emulator.port, "/remote/login")
        body = login.body
        assert b'action="/remote/logincheck"' in body
        assert b'name="credential"' in body
        cookies = login.headers.get_all("Set-Cookie") or []
        assert any(c.startswith("SVPNCOOKIE=") for c in cookies)
        check = https_get(emulator.port, "/remote/logincheck", "POST", "username=a&credential=b")
        assert check.body.startswith(b"ret=0,redir=/remote/login")
        assert https_get(emulator.port, "/login").status == 404  # no admin UI by default
        certificate = peer_certificate(emulator.port)
        assert re.fullmatch(r"FGT60FTK\d{8}", cn(certificate.subject))
        assert cn(certificate.issuer) == "fortinet-subca2001"


def test_fortigate_admin_ui_option_moves_the_root_redirect() -> None:
    with running("fortigate", admin_ui="true", serial="FGT60FTK20000001") as emulator:
        root = https_get(emulator.port, "/")
        assert b'top.location="/login"' in root.body
        admin = https_get(emulator.port, "/login")
        assert admin.status == 200
        assert b"FGT60FTK20000001" in admin.body
        assert cn(peer_certificate(emulator.port).subject) == "FGT60FTK20000001"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1 is deprecated:DeprecationWarning")
def test_fortigate_refuses_tls10_with_a_protocol_version_alert() -> None:
    """FortiOS 7 allows TLS 1.2+; an old client gets the alert a real TLS stack sends."""
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.set_ciphers("DEFAULT:@SECLEVEL=0")
    client.minimum_version = ssl.TLSVersion.TLSv1
    client.maximum_version = ssl.TLSVersion.TLSv1
    with (
        running("fortigate") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as raw,
        pytest.raises(ssl.SSLError) as refused,
    ):
        client.wrap_socket(raw)
    assert "PROTOCOL_VERSION" in str(refused.value).upper()


def _static(version: str) -> tuple[str, str, bytes]:
    with running("fortigate", version=version) as emulator:
        response = https_get(emulator.port, "/sslvpn/js/login.js")
        etag = response.getheader("ETag") or ""
        again = https_get(emulator.port, "/sslvpn/js/login.js", headers={"If-None-Match": etag})
        assert again.status == 304
        return etag, response.getheader("Last-Modified") or "", response.body


def test_fortigate_static_hidden_betrays_no_release() -> None:
    with running("fortigate", version="7.0.11", static="hidden") as emulator:
        assert https_get(emulator.port, "/remote/login").status == 200
        hidden = https_get(emulator.port, "/sslvpn/js/login.js")
        assert hidden.status == 404
        assert hidden.getheader("ETag") is None
    with pytest.raises(EmulatorError), running("fortigate", static="sometimes"):
        pass


def test_fortigate_static_resources_change_with_the_release() -> None:
    releases = data("fortigate")["releases"]
    seen = {}
    for version in ("7.0.11", "7.2.4"):
        etag, modified, body = _static(version)
        built = dt.date.fromisoformat(str(releases[version]["built"]))
        when = dt.datetime.strptime(modified, "%a, %d %b %Y %H:%M:%S GMT").date()
        assert when == built
        # the ETag's last eight hex digits are the build time (FG-IR-23-224)
        stamp = int(etag.strip('"').split("-")[1], 16)
        assert dt.datetime.fromtimestamp(stamp, dt.UTC).date() == built
        seen[version] = (etag, body)
    assert seen["7.0.11"][0] != seen["7.2.4"][0]
    assert seen["7.0.11"][1] != seen["7.2.4"][1]


# --- telnet_router --------------------------------------------------------------------

IAC, WILL, WONT, DO = 255, 251, 252, 253


def _recv_until(sock: socket.socket, marker: bytes, limit: int = 65536) -> bytes:
    received = b""
    while marker not in received and len(received) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def test_yamaha_factory_default_logs_in_with_an_empty_password() -> None:
    with (
        running("telnet_router", flavor="yamaha") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        greeting = _recv_until(sock, b"Password: ")
        assert bytes([IAC, WILL, 1]) in greeting
        assert bytes([IAC, WILL, 3]) in greeting
        assert b"RTX" not in greeting  # the model shows only after login
        sock.sendall(bytes([IAC, DO, 1, IAC, DO, 39]) + b"\r\n")  # 39: NEW-ENVIRON, not offered
        after = _recv_until(sock, b"> ")
        assert bytes([IAC, WONT, 39]) in after
        assert b"RTX1210 Rev.14.01.38" in after
        sock.sendall(b"show environment\r\n")
        assert b"RTX1210" in _recv_until(sock, b"> ")
        sock.sendall(b"exit\r\n")


def test_yamaha_banner_first_shows_the_revision_before_the_prompt() -> None:
    with (
        running("telnet_router", flavor="yamaha", banner_first="true") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        greeting = _recv_until(sock, b"Password: ")
        assert b"RTX1210 Rev.14.01.38 (" in greeting
        assert b"Copyright" not in greeting  # the model/revision line only


def test_yamaha_with_a_changed_password_rejects_and_closes() -> None:
    with running("telnet_router", flavor="yamaha", password="s3cret-Long") as emulator:
        with socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock:
            _recv_until(sock, b"Password: ")
            for _ in range(3):
                sock.sendall(b"\r\n")
            rest = _recv_until(sock, b"Incorrect password.")
            assert b"Incorrect password." in rest
            assert b"RTX1210" not in rest
            assert sock.recv(100) == b""  # closed
        with socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock:
            _recv_until(sock, b"Password: ")
            sock.sendall(b"s3cret-Long\r\n")
            assert b"RTX1210" in _recv_until(sock, b"> ")


@pytest.mark.parametrize(
    ("flavor", "first_prompt", "banner"),
    [
        ("cisco", b"User Access Verification\r\n\r\nPassword: ", b"Router>"),
        ("nec_ix", b"login: ", b"IX Series IX2215"),
    ],
)
def test_other_router_flavours(flavor: str, first_prompt: bytes, banner: bytes) -> None:
    with (
        running("telnet_router", flavor=flavor, password="pw") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        assert first_prompt in _recv_until(sock, first_prompt)
        if flavor == "nec_ix":
            sock.sendall(b"admin\r\n")
            _recv_until(sock, b"Password: ")
        sock.sendall(b"pw\r\n")
        assert banner in _recv_until(sock, banner)


# --- rdp ------------------------------------------------------------------------------


def rdp_request(requested: int | None, cookie: bytes = b"Cookie: mstshash=kenshin\r\n") -> bytes:
    """TPKT + X.224 CR (+ RDP_NEG_REQ) per MS-RDPBCGR 2.2.1.1."""
    variable = cookie
    if requested is not None:
        variable += struct.pack("<BBHI", 1, 0, 8, requested)
    x224 = bytes([6 + len(variable), 0xE0]) + struct.pack(">HHB", 0, 0, 0) + variable
    return struct.pack(">BBH", 3, 0, 4 + len(x224)) + x224


def rdp_confirm(sock: socket.socket) -> tuple[int, int]:
    head = sock.recv(4)
    (length,) = struct.unpack(">H", head[2:4])
    body = b""
    while len(body) < length - 4:
        body += sock.recv(length - 4 - len(body))
    assert body[1] == 0xD0  # Connection Confirm
    kind, _flags, size, value = struct.unpack("<BBHI", body[7:15])
    assert size == 8
    return kind, value


@pytest.mark.parametrize(
    ("nla", "requested", "expected"),
    [
        ("true", 0x03, (2, 0x02)),
        ("true", 0x0B, (2, 0x08)),
        ("true", 0x01, (3, 0x05)),
        ("true", None, (3, 0x05)),
        ("false", 0x03, (2, 0x02)),
        ("false", 0x01, (2, 0x01)),
        ("false", None, (2, 0x00)),
    ],
)
def test_rdp_negotiation(nla: str, requested: int | None, expected: tuple[int, int]) -> None:
    with (
        running("rdp", nla=nla) as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        sock.sendall(rdp_request(requested))
        assert rdp_confirm(sock) == expected


def test_rdp_continues_with_tls_and_a_host_name_certificate() -> None:
    with (
        running("rdp", nla="true", hostname="WIN-LAB01") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        sock.sendall(rdp_request(0x03))
        assert rdp_confirm(sock) == (2, 0x02)
        with _tls_client().wrap_socket(sock) as tls:
            der = tls.getpeercert(binary_form=True)
            assert der is not None
            assert cn(x509.load_der_x509_certificate(der).subject) == "WIN-LAB01"


# --- ike ------------------------------------------------------------------------------


def _payload(next_kind: int, body: bytes) -> bytes:
    return struct.pack(">BBH", next_kind, 0, 4 + len(body)) + body


def ikev1_main_mode(hash_algorithm: int = 2) -> bytes:
    """An IKEv1 Main Mode first message with two transforms (like ike-scan sends):
    AES-128 with ``hash_algorithm`` (2 SHA-1, 4 SHA2-256) and group 14, then DES/MD5-era."""
    attrs1 = struct.pack(">HHHHHHHH", 0x8001, 7, 0x800E, 128, 0x8002, hash_algorithm, 0x8003, 1)
    attrs1 += struct.pack(">HH", 0x8004, 14)
    attrs2 = struct.pack(">HHHHHHHH", 0x8001, 5, 0x8002, 2, 0x8003, 1, 0x8004, 2)
    t1 = struct.pack(">BBH", 3, 0, 8 + len(attrs1)) + bytes([1, 1, 0, 0]) + attrs1
    t2 = struct.pack(">BBH", 0, 0, 8 + len(attrs2)) + bytes([2, 1, 0, 0]) + attrs2
    proposal = bytes([1, 1, 0, 2]) + t1 + t2
    sa = struct.pack(">II", 1, 1) + _payload(0, proposal)
    body = _payload(0, sa)
    return (
        os.urandom(8) + b"\0" * 8 + struct.pack(">BBBBII", 1, 0x10, 2, 0, 0, 28 + len(body)) + body
    )


def ikev2_sa_init(ke_group: int, prf: int = 2) -> bytes:
    transforms = [
        (1, 12, struct.pack(">HH", 0x800E, 256)),
        (2, prf, b""),
        (3, 12, b""),
        (4, 14, b""),
        (4, 19, b""),
    ]
    encoded = b""
    for index, (kind, ident, attrs) in enumerate(transforms):
        last = 0 if index == len(transforms) - 1 else 3
        encoded += struct.pack(">BBHBBH", last, 0, 8 + len(attrs), kind, 0, ident) + attrs
    proposal = struct.pack(">BBHBBBB", 0, 0, 8 + len(encoded), 1, 1, 0, len(transforms)) + encoded
    ke = struct.pack(">HH", ke_group, 0) + os.urandom({14: 256, 19: 64, 5: 192}[ke_group])
    body = _payload(34, proposal) + _payload(40, ke) + _payload(0, os.urandom(32))
    return (
        os.urandom(8)
        + b"\0" * 8
        + struct.pack(">BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(body))
        + body
    )


def parse_payloads(packet: bytes) -> list[tuple[int, bytes]]:
    kind, offset, found = packet[16], 28, []
    while kind:
        next_kind, _f, length = struct.unpack_from(">BBH", packet, offset)
        found.append((kind, packet[offset + 4 : offset + length]))
        kind, offset = next_kind, offset + length
    return found


def udp_exchange(port: int, payload: bytes, timeout: float = 3.0) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(payload, (LOOPBACK, port))
        try:
            return sock.recvfrom(65536)[0]
        except TimeoutError:
            return None


FORTINET_VID = bytes.fromhex("1d6e178f6c2c0be284985465450fe9d4")


def test_ike_v1_main_mode_answer_carries_the_vendor_ids() -> None:
    with running("ike", vendor="fortinet") as emulator:
        request = ikev1_main_mode()
        answer = udp_exchange(emulator.port, request)
    assert answer is not None
    assert answer[:8] == request[:8]
    assert answer[8:16] != b"\0" * 8
    assert answer[17] == 0x10
    assert answer[18] == 2
    found = parse_payloads(answer)
    sa = next(body for kind, body in found if kind == 1)
    proposal = sa[8 + 4 :]
    assert proposal[3] == 1  # one transform accepted: the first offered
    assert proposal[4 + 4] == 1  # its transform number
    vids = [body for kind, body in found if kind == 13]
    assert FORTINET_VID in vids


def test_ike_generic_profile_hides_the_vendor() -> None:
    with running("ike", vendor="generic") as emulator:
        answer = udp_exchange(emulator.port, ikev1_main_mode())
    assert answer is not None
    vids = [body for kind, body in parse_payloads(answer) if kind == 13]
    assert FORTINET_VID not in vids
    assert bytes.fromhex("4a131c81070358455c5728f20e95452f") in vids  # RFC 3947


def test_ike_v2_sa_init_and_invalid_ke() -> None:
    with running("ike", vendor="cisco") as emulator:
        answer = udp_exchange(emulator.port, ikev2_sa_init(14))
        wrong = udp_exchange(emulator.port, ikev2_sa_init(5))
    assert answer is not None
    assert answer[18] == 34
    assert answer[19] & 0x20
    kinds = dict(parse_payloads(answer))
    assert len(kinds[34]) == 4 + 256
    assert struct.unpack(">H", kinds[34][:2])[0] == 14
    assert len(kinds[40]) == 32
    vids = [body for kind, body in parse_payloads(answer) if kind == 43]
    assert b"CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc." in vids
    assert wrong is not None
    notify = dict(parse_payloads(wrong))[41]
    assert struct.unpack(">H", notify[2:4])[0] == 17  # INVALID_KE_PAYLOAD
    assert struct.unpack(">H", notify[4:6])[0] == 14


def test_ike_nat_traversal_marker_on_4500() -> None:
    with running("ike", vendor="yamaha", natt="true") as emulator:
        marked = udp_exchange(emulator.port, b"\0\0\0\0" + ikev1_main_mode())
        unmarked = udp_exchange(emulator.port, ikev1_main_mode(), timeout=1.0)
    assert marked is not None
    assert marked[:4] == b"\0\0\0\0"
    assert marked[4 + 17] == 0x10
    assert unmarked is None


def _require_tool(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        reason = f"{tool} is not installed (Debian package {tool}; see scripts/apt-packages.txt)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def test_ike_scan_reads_the_answers() -> None:
    """ike-scan (a real IKE client) completes both handshakes and names the vendor."""
    ike_scan = _require_tool("ike-scan")
    with running("ike", vendor="fortinet") as emulator:
        outputs = [
            subprocess.run(
                [ike_scan, "--sport=0", f"--dport={emulator.port}", *extra, LOOPBACK],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout
            for extra in ([], ["--ikev2"])
        ]
    assert "Main Mode Handshake returned" in outputs[0]
    assert "(FortiGate)" in outputs[0]
    assert "IKEv2 SA_INIT Handshake returned" in outputs[1]
    assert "KeyExchange(" in outputs[1]


def test_ike_strong_policy_refuses_weak_proposals() -> None:
    with running("ike", policy="strong") as emulator:
        weak_v1 = udp_exchange(emulator.port, ikev1_main_mode(hash_algorithm=2))
        strong_v1 = udp_exchange(emulator.port, ikev1_main_mode(hash_algorithm=4))
        weak_v2 = udp_exchange(emulator.port, ikev2_sa_init(14, prf=2))
        strong_v2 = udp_exchange(emulator.port, ikev2_sa_init(14, prf=5))
    assert weak_v1 is not None
    assert weak_v1[18] == 5  # Informational exchange
    assert struct.unpack(">H", dict(parse_payloads(weak_v1))[11][6:8])[0] == 14
    assert strong_v1 is not None
    assert strong_v1[18] == 2
    assert weak_v2 is not None
    assert struct.unpack(">H", dict(parse_payloads(weak_v2))[41][2:4])[0] == 14
    assert strong_v2 is not None
    assert 34 in dict(parse_payloads(strong_v2))  # KE: the handshake goes on
    with running("ike", policy="any") as emulator:
        accepted = udp_exchange(emulator.port, ikev1_main_mode(hash_algorithm=2))
    assert accepted is not None
    assert accepted[18] == 2

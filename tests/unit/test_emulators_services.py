"""TCP service emulators: logins, shells and their twins, data services, hostile hosts.

Clients speak the real protocols: ``http.client`` for HTTP, ``ftplib`` for FTP, RFB
(RFC 6143) for VNC, the memcached text/UDP protocol, MongoDB OP_MSG/OP_QUERY with BSON
(bsonspec.org) built by hand.
"""

from __future__ import annotations

import base64
import ftplib
import http.client
import io
import json
import os
import socket
import ssl
import struct
import time

import pytest

from kenshin.lab.emulators import _bson as bson
from kenshin.lab.emulators import running

LOOPBACK = "127.0.0.1"


def http_request(
    port: int,
    path: str,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    payload = response.read()
    found = {k.lower(): v for k, v in response.getheaders()}
    connection.close()
    return response.status, found, payload


def recv_until(sock: socket.socket, marker: bytes) -> bytes:
    received = b""
    while marker not in received and len(received) < 1 << 20:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


# --- http_login -----------------------------------------------------------------------


def _basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def test_http_basic_login_with_factory_defaults_and_attempt_log(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with running("http_login", kind="basic") as emulator:
        status, headers, _ = http_request(emulator.port, "/")
        assert status == 401
        assert headers["www-authenticate"] == 'Basic realm="Broadband Router"'
        assert http_request(emulator.port, "/", headers=_basic("admin", "wrong"))[0] == 401
        status, _, body = http_request(emulator.port, "/", headers=_basic("admin", "admin"))
        assert status == 200
        assert b"Status" in body
    err = capfd.readouterr().err
    assert "login attempt 1 from 127.0.0.1: rejected" in err
    assert "login attempt 2 from 127.0.0.1: accepted" in err
    assert "login attempt 3" not in err  # the unauthenticated GET is not an attempt
    assert "admin" not in err.replace("[http_login]", "")  # no credentials in the log


def test_http_basic_twin_with_changed_credentials_refuses_defaults() -> None:
    with running("http_login", kind="basic", password="Zq8!long-unique") as emulator:
        assert http_request(emulator.port, "/", headers=_basic("admin", "admin"))[0] == 401
        assert (
            http_request(emulator.port, "/", headers=_basic("admin", "Zq8!long-unique"))[0] == 200
        )


def test_http_form_login() -> None:
    with running(
        "http_login", kind="form", product="yamaha_rtx", username="root", password="pw"
    ) as emulator:
        status, headers, _ = http_request(emulator.port, "/")
        assert status == 302
        assert headers["location"] == "/login"
        status, _, page = http_request(emulator.port, "/login")
        assert b'name="password"' in page
        assert b"RTX1210" in page
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, page = http_request(
            emulator.port, "/login", "POST", "username=root&password=x", form
        )
        assert status == 200
        assert b"Invalid" in page
        status, headers, _ = http_request(
            emulator.port, "/login", "POST", "username=root&password=pw", form
        )
        assert status == 302
        assert headers["location"] == "/admin"
        cookie = headers["set-cookie"].split(";")[0]
        assert http_request(emulator.port, "/admin", headers={"Cookie": cookie})[0] == 200
        assert http_request(emulator.port, "/admin")[0] == 302


# --- bind_shell / line_service --------------------------------------------------------


def test_bind_shell_echoes_the_marker_and_executes_nothing() -> None:
    with (
        running("bind_shell") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        assert recv_until(sock, b"# ") == b"root@localhost:~# "
        sock.sendall(b"echo 'kenshin-7f3a9'\n")
        assert recv_until(sock, b"# ") == b"kenshin-7f3a9\nroot@localhost:~# "
        sock.sendall(b"id\n")
        assert recv_until(sock, b"# ").startswith(b"sh: 1: id: not found\n")
        sock.sendall(b"exit\n")
        assert sock.recv(10) == b""


def test_line_service_does_not_look_like_a_shell() -> None:
    with (
        running("line_service") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        greeting = recv_until(sock, b"\r\n")
        assert greeting.startswith(b"220 ")
        assert b"#" not in greeting
        assert b"$" not in greeting
        sock.sendall(b"echo kenshin-7f3a9\r\n")
        answer = recv_until(sock, b"\r\n")
        assert answer == b"500 Unknown command\r\n"
        sock.sendall(b"QUIT\r\n")
        assert recv_until(sock, b"\r\n") == b"221 Bye\r\n"


# --- ftp_banner -----------------------------------------------------------------------


def test_ftp_banner_greets_as_configured_and_refuses_logins() -> None:
    with running("ftp_banner") as emulator:
        ftp = ftplib.FTP()
        assert ftp.connect(LOOPBACK, emulator.port, timeout=10) == "220 (vsFTPd 2.3.4)"
        assert ftp.sendcmd("SYST") == "215 UNIX Type: L8"
        with pytest.raises(ftplib.error_perm, match="530"):
            ftp.login("anonymous", "guest@example.com")
        with pytest.raises(ftplib.error_perm, match="530"):
            ftp.login("user:)", "x")  # the 2.3.4 backdoor trigger is just a failed login
        ftp.quit()
        with socket.socket() as probe:  # and nothing opened on the backdoor port
            assert probe.connect_ex((LOOPBACK, 6200)) != 0


def test_ftp_anonymous_on() -> None:
    with running("ftp_banner", banner="220 ProFTPD Server (Debian)", anonymous="true") as emulator:
        ftp = ftplib.FTP()
        assert ftp.connect(LOOPBACK, emulator.port, timeout=10).startswith("220 ProFTPD")
        assert ftp.login().startswith("230")
        assert ftp.pwd() == "/"
        assert ftp.nlst() == ["pub", "README"]  # passive data connection
        lines: list[str] = []
        ftp.retrlines("LIST", lines.append)
        assert lines[0].startswith("drwxr-xr-x")
        assert lines[0].endswith(" pub")
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.storbinary("STOR x.txt", io.BytesIO(b"x"))
        ftp.quit()


# --- vnc ------------------------------------------------------------------------------


def rfb_handshake(port: int, choose: int) -> tuple[bytes, socket.socket]:
    sock = socket.create_connection((LOOPBACK, port), timeout=10)
    assert sock.recv(12) == b"RFB 003.008\n"
    sock.sendall(b"RFB 003.008\n")
    count = sock.recv(1)[0]
    types = sock.recv(count)
    sock.sendall(bytes([choose]))
    return types, sock


def test_vnc_without_authentication_reaches_server_init() -> None:
    with running("vnc", auth="none", name="nurse-station") as emulator:
        types, sock = rfb_handshake(emulator.port, 1)
        with sock:
            assert types == b"\x01"
            assert struct.unpack(">I", sock.recv(4))[0] == 0  # SecurityResult OK
            sock.sendall(b"\x01")  # ClientInit, shared
            init = recv_until(sock, b"nurse-station")
            width, height = struct.unpack(">HH", init[:4])
            assert (width, height) == (1024, 768)
            assert init[24:] == b"nurse-station"


def test_vnc_with_authentication_fails_every_response() -> None:
    with running("vnc", auth="vnc") as emulator:
        types, sock = rfb_handshake(emulator.port, 2)
        with sock:
            assert types == b"\x02"
            assert len(recv_until_size(sock, 16)) == 16
            sock.sendall(os.urandom(16))
            result = recv_until(sock, b"failed")
            assert struct.unpack(">I", result[:4])[0] == 1
            assert result.endswith(b"Authentication failed")


def recv_until_size(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


# --- memcached ------------------------------------------------------------------------


def test_memcached_tcp_and_udp() -> None:
    with running("memcached", version="1.4.25") as emulator:
        assert {proto for proto, _, _ in emulator.addresses} == {"tcp", "udp"}
        with socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock:
            sock.sendall(b"version\r\n")
            assert recv_until(sock, b"\r\n") == b"VERSION 1.4.25\r\n"
            sock.sendall(b"set k 0 0 5\r\nhello\r\nget k\r\n")
            assert recv_until(sock, b"END\r\n") == b"STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n"
            sock.sendall(b"stats\r\n")
            stats = recv_until(sock, b"END\r\n")
            assert b"STAT version 1.4.25\r\n" in stats
            assert b"STAT curr_items 1\r\n" in stats
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(5)
            udp.sendto(b"\x12\x34\x00\x00\x00\x01\x00\x00stats\r\n", (LOOPBACK, emulator.port))
            reply = udp.recvfrom(65536)[0]
            assert reply[:2] == b"\x12\x34"
            assert reply[4:6] == b"\x00\x01"
            assert b"STAT version 1.4.25" in reply
            assert len(reply) > 15  # larger than the request: amplification


def test_memcached_hardened_twin_has_no_udp() -> None:
    with running("memcached", udp="false") as emulator:
        assert [proto for proto, _, _ in emulator.addresses] == ["tcp"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.settimeout(1)
            udp.sendto(b"\x00\x01\x00\x00\x00\x01\x00\x00stats\r\n", (LOOPBACK, emulator.port))
            with pytest.raises((TimeoutError, ConnectionRefusedError)):
                udp.recvfrom(65536)


# --- mongodb --------------------------------------------------------------------------


def op_msg(sock: socket.socket, command: dict[str, object]) -> dict[str, object]:
    body = struct.pack("<I", 0) + b"\x00" + bson.encode(command)
    sock.sendall(struct.pack("<iiii", 16 + len(body), 7, 0, 2013) + body)
    head = recv_until_size(sock, 16)
    length, _rid, response_to, opcode = struct.unpack("<iiii", head)
    assert (response_to, opcode) == (7, 2013)
    payload = recv_until_size(sock, length - 16)
    return bson.decode(payload[5:])


def test_mongodb_without_auth_lists_databases() -> None:
    with (
        running("mongodb", version="4.4.6") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        hello = op_msg(sock, {"hello": 1, "$db": "admin"})
        assert hello["isWritablePrimary"] is True
        assert hello["maxWireVersion"] == 9
        info = op_msg(sock, {"buildInfo": 1, "$db": "admin"})
        assert info["version"] == "4.4.6"
        status = op_msg(sock, {"serverStatus": 1, "$db": "admin"})
        assert status["version"] == "4.4.6"
        assert status["process"] == "mongod"
        listing = op_msg(sock, {"listDatabases": 1, "$db": "admin"})
        assert listing["ok"] == 1.0
        assert "reception" in [d["name"] for d in listing["databases"]]  # type: ignore[index, union-attr]


def test_mongodb_with_auth_refuses_listdatabases_and_speaks_op_query() -> None:
    with (
        running("mongodb", auth="required") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        assert op_msg(sock, {"serverStatus": 1, "$db": "admin"})["code"] == 13
        assert op_msg(sock, {"buildInfo": 1, "$db": "admin"})["ok"] == 1.0
        listing = op_msg(sock, {"listDatabases": 1, "$db": "admin"})
        assert listing["ok"] == 0.0
        assert listing["codeName"] == "Unauthorized"
        query = bson.encode({"isMaster": 1})
        body = struct.pack("<i", 0) + b"admin.$cmd\x00" + struct.pack("<ii", 0, -1) + query
        sock.sendall(struct.pack("<iiii", 16 + len(body), 9, 0, 2004) + body)
        head = recv_until_size(sock, 16)
        length, _rid, response_to, opcode = struct.unpack("<iiii", head)
        assert (response_to, opcode) == (9, 1)
        reply = recv_until_size(sock, length - 16)
        assert bson.decode(reply[20:])["ismaster"] is True


# --- elasticsearch / docker_api -------------------------------------------------------


def test_elasticsearch_open_and_secured() -> None:
    with running("elasticsearch", version="7.10.2") as emulator:
        status, headers, body = http_request(emulator.port, "/")
        assert status == 200
        assert "x-elastic-product" not in headers  # only from 7.14 on
        assert b'\n  "name" : "es-node-1",\n' in body  # Jackson's pretty printer
        document = json.loads(body)
        assert document["version"]["number"] == "7.10.2"
        assert document["tagline"] == "You Know, for Search"
        assert http_request(emulator.port, "/_cat/indices")[0] == 200
    with running("elasticsearch", version="8.11.1", auth="required") as emulator:
        status, headers, body = http_request(emulator.port, "/")
        assert headers["x-elastic-product"] == "Elasticsearch"
        assert status == 401
        assert "Basic" in headers["www-authenticate"]
        assert json.loads(body)["error"]["type"] == "security_exception"


def raw_http10(port: int, path: str) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        return recv_until(sock, b"\x00never")


def test_go_and_netty_servers_answer_http10_as_http10() -> None:
    """Go (Docker) and Netty (Elasticsearch) echo HTTP/1.0; appliances answer HTTP/1.1."""
    with running("docker_api") as emulator:
        reply = raw_http10(emulator.port, "/nothing")
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.0 404 Not Found"
    assert [line.split(b":")[0] for line in lines[1:]] == [
        b"Content-Type",
        b"Date",
        b"Content-Length",
    ]
    assert body == b'{"message":"page not found"}\n'
    with running("elasticsearch") as emulator:
        reply = raw_http10(emulator.port, "/")
    assert reply.startswith(b"HTTP/1.0 200 OK\r\ncontent-type: application/json; charset=UTF-8\r\n")
    assert b"Date:" not in reply.partition(b"\r\n\r\n")[0]
    with running("http_login") as emulator:
        assert raw_http10(emulator.port, "/").startswith(b"HTTP/1.1 401 ")


def test_docker_api_version_and_info() -> None:
    with running("docker_api", version="24.0.7") as emulator:
        status, headers, body = http_request(emulator.port, "/_ping")
        assert (status, body) == (200, b"OK")
        assert headers["api-version"] == "1.43"
        version = json.loads(http_request(emulator.port, "/v1.43/version")[2])
        assert version["Version"] == "24.0.7"
        assert version["ApiVersion"] == "1.43"
        info = json.loads(http_request(emulator.port, "/info")[2])
        assert info["ServerVersion"] == "24.0.7"
        assert info["Name"] == "build-host"
        assert http_request(emulator.port, "/containers/create", "POST", "{}")[0] == 404


# --- hostile hosts --------------------------------------------------------------------


def test_tarpit_accepts_and_stays_silent() -> None:
    with (
        running("tarpit") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        sock.settimeout(1.0)
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
        with pytest.raises(TimeoutError):
            sock.recv(10)


def test_garbage_sends_the_configured_amount_then_closes() -> None:
    with (
        running("garbage", megabytes="0.5") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        total = 0
        while chunk := sock.recv(65536):
            total += len(chunk)
        assert total == 512 * 1024


def test_tls_nonsense_breaks_a_real_handshake() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        running("tls_nonsense") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
        pytest.raises((ssl.SSLError, ConnectionError)),
    ):
        context.wrap_socket(sock)


def _talk(port: int) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=10) as sock:
        sock.sendall(b"hello\r\n")
        time.sleep(0.2)  # let the RST arrive; this is ordering, not a speed assertion
        return sock.recv(10)


def test_reset_resets() -> None:
    with running("reset") as emulator, pytest.raises(ConnectionResetError):
        _talk(emulator.port)


def test_slow_sends_the_banner_byte_by_byte() -> None:
    with (
        running("slow", banner="SSH-2.0-x\\r\\n", delay="0.05") as emulator,
        socket.create_connection((LOOPBACK, emulator.port), timeout=10) as sock,
    ):
        pieces = []
        received = b""
        while not received.endswith(b"\r\n"):
            chunk = sock.recv(100)
            assert chunk
            pieces.append(chunk)
            received += chunk
        assert received == b"SSH-2.0-x\r\n"
        assert len(pieces) > 3  # it trickled in, several reads

"""HTTPS edge-appliance emulators other than FortiGate (see test_emulators_core.py).

A real TLS client (``ssl``) and HTTP client (``http.client``) fetch the pages the
public fingerprinting write-ups name; each release must reveal itself the way the
real appliance does (hashed file names, ETag/Last-Modified dates, version strings).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import re
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from kenshin.lab.emulators import EmulatorError, running
from kenshin.lab.emulators._common import data

LOOPBACK = "127.0.0.1"


def _context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def get(
    port: int,
    path: str,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPSConnection(LOOPBACK, port, timeout=10, context=_context())
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    payload = response.read()
    found: dict[str, str] = {}
    for key, value in response.getheaders():  # repeated headers (Set-Cookie) joined
        found[key.lower()] = f"{found[key.lower()]}\n{value}" if key.lower() in found else value
    connection.close()
    return response.status, found, payload


def subject(port: int) -> x509.Name:
    with (
        socket.create_connection((LOOPBACK, port), timeout=10) as raw,
        _context().wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).subject


def common_name(name: x509.Name) -> str:
    return str(name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def http_date(value: str) -> dt.date:
    return dt.datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT").date()


# --- ivanti_ics -----------------------------------------------------------------------


def _ivanti(version: str, **options: str) -> tuple[str, bytes, int]:
    with running("ivanti_ics", version=version, **options) as emulator:
        status, headers, _ = get(emulator.port, "/")
        assert status == 302
        assert headers["location"] == "/dana-na/auth/url_default/welcome.cgi"
        _, headers, page = get(emulator.port, headers["location"])
        assert b"<title>Ivanti Connect Secure</title>" in page or b"Pulse" in page
        assert "DSBrowserID=" in headers["set-cookie"]
        match = re.search(rb"/dana-na/css/ds_([0-9a-f]{64})\.css", page)
        assert match
        status, _, css = get(emulator.port, match.group(0).decode())
        assert status == 200
        assert hashlib.sha256(css).hexdigest() == match.group(1).decode()
        gina_status, _, gina = get(emulator.port, "/dana-na/nc/nc_gina_ver.txt")
        return match.group(1).decode(), gina, gina_status


def test_ivanti_release_shows_in_the_hashed_stylesheet_and_gina_file() -> None:
    hash_a, gina, status = _ivanti("22.7R2.3")
    assert status == 200
    assert b'<PARAM NAME="ProductVersion" VALUE="22.7.2.3191">' in gina
    hash_b, _, _ = _ivanti("22.3R1")
    assert hash_a != hash_b
    _, _, status = _ivanti("22.7R2.3", expose_gina="false")
    assert status == 404


def test_ivanti_certificate_and_failed_sign_in() -> None:
    with running("ivanti_ics", hostname="vpn.clinic.example") as emulator:
        assert common_name(subject(emulator.port)) == "vpn.clinic.example"
        status, headers, _ = get(
            emulator.port,
            "/dana-na/auth/url_default/login.cgi",
            "POST",
            "username=a&password=b&realm=Users",
        )
        assert status == 302
        assert "p=failed" in headers["location"]


# --- globalprotect --------------------------------------------------------------------


def test_globalprotect_portal_and_dated_static_files() -> None:
    releases = data("globalprotect")["releases"]
    dates = {}
    for version in ("10.2.9", "11.1.2-h3"):
        with running("globalprotect", version=version) as emulator:
            status, headers, page = get(emulator.port, "/global-protect/login.esp")
            assert status == 200
            assert b"<title>GlobalProtect Portal</title>" in page
            assert headers["server"] == "PanWeb Server/ - "  # with its trailing space
            _, _, prelogin = get(emulator.port, "/global-protect/prelogin.esp")
            assert b"<panos-version>1</panos-version>" in prelogin  # not the release
            _, headers, _ = get(emulator.port, "/global-protect/portal/css/login.css")
            epoch = int(headers["etag"].strip('"').split("-")[0], 16)
            built = dt.date.fromisoformat(str(releases[version]["built"]))
            assert dt.datetime.fromtimestamp(epoch, dt.UTC).date() == built
            assert http_date(headers["last-modified"]) == built
            dates[version] = headers["etag"]
    assert dates["10.2.9"] != dates["11.1.2-h3"]


def raw_http10(port: int, path: str) -> bytes:
    with (
        socket.create_connection((LOOPBACK, port), timeout=10) as raw,
        _context().wrap_socket(raw) as tls,
    ):
        tls.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        received = b""
        while chunk := tls.recv(4096):
            received += chunk
        return received


def test_globalprotect_and_citrix_answer_with_their_servers_manners() -> None:
    with running("globalprotect") as emulator:
        reply = raw_http10(emulator.port, "/")
    head = reply.split(b"\r\n")
    assert head[0] == b"HTTP/1.0 302 Moved Temporarily"
    assert head[1].startswith(b"Date: ")
    assert head[2] == b"Server: PanWeb Server/ - "
    with running("citrix_gateway") as emulator:
        reply = raw_http10(emulator.port, "/")
    head = reply.split(b"\r\n")
    assert head[0] == b"HTTP/1.1 302 Object Moved"
    assert head[1] == b"Location: /vpn/index.html"
    assert head[2].startswith(b"Set-Cookie: NSC_AAAC=xyz;")


# --- citrix_gateway -------------------------------------------------------------------


def test_citrix_gateway_logon_page() -> None:
    with running("citrix_gateway", version="13.1-49.13") as emulator:
        status, headers, _ = get(emulator.port, "/")
        assert status == 302
        assert headers["location"] == "/vpn/index.html"
        status, headers, page = get(emulator.port, "/vpn/index.html")
        assert b"<title>Citrix Gateway</title>" in page
        assert "NSC_TEMP=xyz" in headers["set-cookie"]
        token = re.search(rb"rdx_en\.json\.gz\?v=([0-9a-f]+)", page)
        assert token
        _, headers, _ = get(emulator.port, "/vpn/js/rdx/core/lang/rdx_en.json.gz")
        assert http_date(headers["last-modified"]) == dt.date(2023, 7, 10)
        name = subject(emulator.port)
        assert common_name(name).startswith("default ")
        assert name.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Citrix ANG"
    with running("citrix_gateway", version="13.1-51.15") as emulator:
        _, _, page = get(emulator.port, "/vpn/index.html")
        assert token.group(0) not in page


# --- sonicwall_sslvpn -----------------------------------------------------------------


def test_sonicwall_portal_reveals_the_firmware_in_resource_urls() -> None:
    with running("sonicwall_sslvpn", version="10.2.1.7-50sv") as emulator:
        status, headers, _ = get(emulator.port, "/")
        assert status == 302
        assert headers["location"] == "/cgi-bin/welcome"
        status, headers, page = get(emulator.port, "/cgi-bin/welcome")
        assert headers["server"] == "SonicWALL SSL-VPN Web Server"
        assert b"<title>Virtual Office</title>" in page
        assert b"/js/welcome.js?v=10.2.1.7-50sv" in page
        assert get(emulator.port, "/js/welcome.js?v=10.2.1.7-50sv")[0] == 200


# --- cisco_asa ------------------------------------------------------------------------

CONFIG_AUTH_INIT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<config-auth client="vpn" type="init" aggregate-auth-version="2">'
    '<version who="vpn">4.10.07061</version><device-id>linux-64</device-id>'
    "<group-access>https://127.0.0.1/</group-access></config-auth>"
)


def test_cisco_asa_portal_and_config_auth_version() -> None:
    with running("cisco_asa", version="9.18(3)") as emulator:
        status, headers, page = get(emulator.port, "/")
        assert status == 200
        assert b'document.location.replace("/+CSCOE+/logon.html")' in page
        assert "webvpnlogin=1" in headers["set-cookie"]
        _, _, logon = get(emulator.port, "/+CSCOE+/logon.html")
        assert b"<title>SSL VPN Service</title>" in logon
        assert b"csco_ShowLoginForm" in logon
        status, headers, reply = get(
            emulator.port,
            "/",
            "POST",
            CONFIG_AUTH_INIT,
            {
                "X-Aggregate-Auth": "1",
                "X-Transcend-Version": "1",
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "AnyConnect Linux_64 4.10.07061",
            },
        )
        assert status == 200
        assert headers["x-aggregate-auth"] == "1"
        assert b'<version who="sg">9.18(3)</version>' in reply
        assert common_name(subject(emulator.port)) == "ASA Temporary Self Signed Certificate"


@pytest.mark.parametrize(
    "name", ["ivanti_ics", "globalprotect", "citrix_gateway", "sonicwall_sslvpn", "cisco_asa"]
)
def test_appliances_refuse_unknown_releases(name: str) -> None:
    with pytest.raises(EmulatorError), running(name, version="0.0.0"):
        pass


# --- release shown on some ports only (issue 15: one device, several ports) -----------


def test_ivanti_signin_port_with_static_hidden_and_no_gina_serves_no_release_file() -> None:
    # the page still links the content-hashed stylesheet (as the real page does); only a
    # table of known hashes could read that, and the file itself answers 404
    with running("ivanti_ics", version="22.7R2.3", static="hidden", expose_gina="false") as em:
        status, _, page = get(em.port, "/dana-na/auth/url_default/welcome.cgi")
        assert status == 200
        assert b"22.7" not in page
        match = re.search(rb"/dana-na/css/ds_[0-9a-f]{64}\.css", page)
        assert match
        for path in (match.group(0).decode(), "/dana-na/auth/url_default/welcome.js"):
            status, headers, _ = get(em.port, path)
            assert (status, headers.get("etag")) == (404, None)
        status, _, _ = get(em.port, "/dana-na/nc/nc_gina_ver.txt")
        assert status == 404


def test_globalprotect_static_hidden_betrays_no_release() -> None:
    with running("globalprotect", version="10.2.9", static="hidden") as emulator:
        status, _, page = get(emulator.port, "/global-protect/login.esp")
        assert status == 200
        assert b"10.2" not in page
        status, headers, _ = get(emulator.port, "/global-protect/portal/css/login.css")
        assert status == 404
        assert "etag" not in headers
        assert "last-modified" not in headers


def test_cisco_asa_without_anyconnect_gives_no_auth_request_and_no_release() -> None:
    with running("cisco_asa", version="9.8(4)", anyconnect="disabled") as emulator:
        _, _, logon = get(emulator.port, "/+CSCOE+/logon.html")
        assert b"<title>SSL VPN Service</title>" in logon
        status, _, reply = get(
            emulator.port,
            "/",
            "POST",
            CONFIG_AUTH_INIT,
            {"X-Aggregate-Auth": "1", "X-Transcend-Version": "1"},
        )
        assert status == 404
        assert b"9.8" not in reply
        assert b"config-auth" not in reply


@pytest.mark.parametrize(
    ("name", "option"),
    [
        ("ivanti_ics", "static"),
        ("globalprotect", "static"),
        ("cisco_asa", "static"),
        ("cisco_asa", "anyconnect"),
    ],
)
def test_appliances_refuse_unknown_option_values(name: str, option: str) -> None:
    with pytest.raises(EmulatorError), running(name, **{option: "sometimes"}):
        pass


def test_sonicwall_port_80_redirects_to_the_portal_without_a_release() -> None:
    with running("sonicwall_sslvpn", tls="false", https_redirect="true") as emulator:
        connection = http.client.HTTPConnection(LOOPBACK, emulator.port, timeout=10)
        connection.request("GET", "/cgi-bin/welcome")
        response = connection.getresponse()
        body = response.read()
        connection.close()
        assert response.status == 302
        assert response.getheader("Location") == "https://sslvpn.hospital.example/"
        assert response.getheader("Server") == "SonicWALL SSL-VPN Web Server"
        assert b"10.2" not in body

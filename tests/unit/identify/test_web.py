"""Web identification: servers, TLS certificates, edge-device portals, APIs and version
inference from static resources — each both ways."""

from __future__ import annotations

import asyncio
import base64

import mmh3
import pytest

from kenshin.domain.enums import Confidence
from kenshin.domain.scan import ServiceIdentity
from kenshin.identify import identify_port
from kenshin.identify._http import parse_response

from . import servers as s
from .conftest import FAST, open_tcp, tcp_server

pytestmark = pytest.mark.timeout(60)


async def _identify(handler: s.Handler, tls: object = None) -> ServiceIdentity:
    async with tcp_server(handler, tls) as port:  # type: ignore[arg-type]
        result = await identify_port(s.HOST, open_tcp(port), FAST, gate=s.GATE)
    assert result.identity is not None
    return result.identity


def run(handler: s.Handler, tls: object = None) -> ServiceIdentity:
    return asyncio.run(_identify(handler, tls))


HTML = [("Content-Type", "text/html; charset=utf-8")]
FORTI_HEADERS = [("Server", "xxxxxxxx-xxxxx"), *HTML]

# FortiOS SSL-VPN as public write-ups describe it: the root redirects by JavaScript to
# /remote/login; static files carry ETag "<size hex>-<build time hex>".
FORTI_ROOT = (
    b'<html><script type="text/javascript">if (window!=top) top.location='
    b'window.location;top.location="/remote/login";</script></html>'
)
FORTI_LOGIN = (
    b'<html><head><title></title><script src="/remote/fgt_lang?lang=en"></script>'
    b'</head><body><form action="/remote/logincheck" method="post"></form></body></html>'
)


def _fortigate_routes(build_time: int) -> dict[str, s.Route]:
    etag = f'"{0x2C7:x}-{build_time:x}"'
    static = [
        ("Server", "xxxxxxxx-xxxxx"),
        ("Content-Type", "application/javascript"),
        ("ETag", etag),
    ]
    return {
        "/": (200, FORTI_HEADERS, FORTI_ROOT),
        "/remote/login": (200, FORTI_HEADERS, FORTI_LOGIN),
        "/sslvpn/js/login.js": (200, static, b"function try_login(){}"),
    }


def test_nginx_over_tls_reads_the_certificate() -> None:
    context = s.certificate(s.SIMPLE_SUBJECT)
    ident = run(
        s.web(
            {
                "/": (
                    200,
                    [("Server", "nginx/1.22.1"), *HTML],
                    b"<html><title>Welcome to nginx!</title></html>",
                )
            }
        ),
        context,
    )
    assert (ident.service, ident.product, ident.version) == ("https", "nginx", "1.22.1")
    extra = dict(ident.extra)
    assert "CN=www.example.test" in extra["cert_subject"]
    assert extra["cert_key"] == "RSA 2048"
    assert extra["cert_san"] == "vpn.example.test,127.0.0.1"
    assert extra["tls_version"].startswith("TLS")
    assert extra["http_title"] == "Welcome to nginx!"


def test_fortigate_sslvpn_version_inferred_from_etag() -> None:
    built = 1678363200  # 2023-03-09T12:00:00Z: FortiOS 7.0.11 build0489's build day
    context = s.certificate(s.FORTI_SUBJECT, s.FORTI_ISSUER)
    ident = run(s.web(_fortigate_routes(built)), context)
    assert ident.service == "https"
    assert ident.product == "Fortinet FortiGate SSL VPN"
    assert ident.version == "7.0.11"
    assert ident.confidence is Confidence.INFERRED
    assert ident.cpe == ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*",)
    assert "/sslvpn/js/login.js" in ident.evidence
    assert "build 0489" in ident.evidence
    assert dict(ident.extra)["http_redirect"] == "/remote/login"


def test_fortigate_unknown_build_day_gives_a_range_not_a_version() -> None:
    built = 1690000000  # 2023-07-22: no release in the table was built that day
    ident = run(s.web(_fortigate_routes(built)), s.certificate(s.FORTI_SUBJECT, s.FORTI_ISSUER))
    assert ident.product == "Fortinet FortiGate SSL VPN"
    assert ident.version == ""
    assert "7.0: after 7.0.12, before 7.0.13" in ident.evidence
    assert ident.confidence is Confidence.MEDIUM


def test_remote_login_link_on_ordinary_site_is_not_fortigate() -> None:
    page = b'<html><title>Staff</title><a href="/remote/login">remote login</a></html>'
    routes = {
        "/": (200, [("Server", "nginx/1.24.0"), *HTML], page),
        "/remote/login": (
            200,
            [("Server", "nginx/1.24.0"), *HTML],
            b"<form action=/remote/logincheck></form>",
        ),
    }
    ident = run(s.web(routes))
    assert ident.product == "nginx"
    assert "FortiGate" not in ident.product


def test_ivanti_connect_secure_welcome_page() -> None:
    welcome = (
        b"<html><head><title>Ivanti Connect Secure</title></head><body>"
        b'<form name="frmLogin" action="login.cgi" method="POST"></form></body></html>'
    )
    routes = {
        "/": (302, [("Location", "/dana-na/auth/url_default/welcome.cgi")], b""),
        "/dana-na/auth/url_default/welcome.cgi": (
            200,
            [("Set-Cookie", "DSSignInURL=/; path=/; Secure"), *HTML],
            welcome,
        ),
    }
    ident = run(s.web(routes), s.certificate(s.SIMPLE_SUBJECT))
    assert ident.product == "Ivanti Connect Secure"
    assert ident.version == ""
    assert ident.cpe == ("cpe:2.3:a:ivanti:connect_secure:*:*:*:*:*:*:*:*",)
    assert dict(ident.extra)["http_redirect"] == "/dana-na/auth/url_default/welcome.cgi"


def test_page_about_ivanti_is_not_ivanti() -> None:
    routes = {
        "/": (
            200,
            [("Server", "Apache/2.4.62"), *HTML],
            b"<html><title>Ivanti Connect Secure advisory</title></html>",
        )
    }
    ident = run(s.web(routes))
    assert ident.product == "Apache httpd"


def test_globalprotect_citrix_and_asa_portals() -> None:
    gp = run(
        s.web(
            {
                "/global-protect/login.esp": (
                    200,
                    HTML,
                    b"<html><title>GlobalProtect Portal</title></html>",
                )
            }
        )
    )
    citrix = run(
        s.web({"/vpn/index.html": (200, HTML, b"<html><title>Citrix Gateway</title></html>")})
    )
    asa = run(
        s.web(
            {
                "/+CSCOE+/logon.html": (
                    200,
                    [("Set-Cookie", "webvpnlogin=1; secure"), *HTML],
                    b"<html><title>SSL VPN Service</title>"
                    b"<script src=/+CSCOE+/win.js></script></html>",
                )
            }
        )
    )
    assert gp.product == "Palo Alto Networks GlobalProtect"
    assert citrix.product == "Citrix Gateway"
    assert asa.product == "Cisco ASA SSL VPN"


def test_yamaha_web_console_realm() -> None:
    routes = {"/": (401, [("WWW-Authenticate", 'Basic realm="RTX1210"'), *HTML], b"")}
    ident = run(s.web(routes, default=routes["/"]))
    assert ident.product == "YAMAHA RTX1210 web console"
    assert dict(ident.extra)["device"] == "YAMAHA RTX1210"


def test_other_basic_realm_is_not_yamaha() -> None:
    routes = {"/": (401, [("WWW-Authenticate", 'Basic realm="Restricted"'), *HTML], b"")}
    ident = run(s.web(routes, default=routes["/"]))
    assert "YAMAHA" not in ident.product


def test_docker_api_version() -> None:
    body = (
        b'{"Platform":{"Name":"Docker Engine - Community"},"Version":"24.0.7",'
        b'"ApiVersion":"1.43","MinAPIVersion":"1.12","Os":"linux"}'
    )
    ident = run(s.web({"/version": (200, [("Content-Type", "application/json")], body)}))
    assert (ident.service, ident.product, ident.version) == ("docker", "Docker", "24.0.7")
    assert dict(ident.extra)["api_version"] == "1.43"


def test_elasticsearch_root() -> None:
    body = (
        b'{"name":"node-1","version":{"number":"8.11.1","build_flavor":"default"},'
        b'"tagline":"You Know, for Search"}'
    )
    ident = run(s.web({"/": (200, [("Content-Type", "application/json")], body)}))
    assert (ident.product, ident.version) == ("Elasticsearch REST API", "8.11.1")


def test_json_without_tagline_is_not_elasticsearch() -> None:
    body = b'{"version":{"number":"8.11.1"},"tagline":"Something else"}'
    ident = run(s.web({"/": (200, [("Content-Type", "application/json")], body)}))
    assert ident.product != "Elasticsearch REST API"


def test_bigip_version_from_logo_etag() -> None:
    # ETag value published in Bishop Fox's bigip-scanner README for 15.1.5.1-0.0.14.
    routes = {
        "/tmui/login.jsp": (
            200,
            HTML,
            b"<html><title>BIG-IP&reg;- Configuration Utility</title>F5 Networks</html>",
        ),
        "/tmui/tmui/login/images/logo_f5.png": (
            200,
            [("Content-Type", "image/png"), ("ETag", '"1fe7-5db411548c100"')],
            b"\x89PNG",
        ),
    }
    ident = run(s.web(routes))
    assert ident.product == "F5 BIG-IP Configuration utility"
    assert ident.version == "15.1.5.1"
    assert ident.confidence is Confidence.INFERRED
    assert "15.1.5.1-0.0.14" in ident.evidence


def test_favicon_hash_is_the_search_engine_form() -> None:
    icon = b"\x00\x00\x01\x00fake-icon-bytes"
    ident = run(
        s.web(
            {
                "/": (200, HTML, b"<html><title>x</title></html>"),
                "/favicon.ico": (200, [("Content-Type", "image/x-icon")], icon),
            }
        )
    )
    assert dict(ident.extra)["favicon_mmh3"] == str(mmh3.hash(base64.encodebytes(icon)))


def test_html_error_page_is_not_a_favicon() -> None:
    ident = run(
        s.web(
            {"/": (200, HTML, b"<html><title>x</title></html>")},
            default=(200, HTML, b"<html>catch-all</html>"),
        )
    )
    assert "favicon_mmh3" not in dict(ident.extra)


ASA_ANSWER = (
    b'<?xml version="1.0" encoding="UTF-8"?><config-auth client="vpn" type="auth-request" '
    b'aggregate-auth-version="2"><version who="sg">9.16(4)</version></config-auth>'
)


def _asa(answer_version: bool) -> s.Handler:
    """Cisco ASA portal; POST / with X-Aggregate-Auth answers an auth-request
    (OpenConnect's AnyConnect protocol documentation)."""
    logon = b"<html><title>SSL VPN Service</title><script src=/+CSCOE+/win.js></script></html>"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        if head.startswith(b"POST / ") and b"X-Aggregate-Auth: 1" in head:
            body = ASA_ANSWER if answer_version else b"<html>no</html>"
        elif head.startswith(b"GET /+CSCOE+/logon.html "):
            body = logon
        else:
            body = b"<html><title>x</title></html>"
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        await writer.drain()
        writer.close()

    return handle


def test_cisco_asa_states_its_release_to_an_anyconnect_client() -> None:
    ident = run(_asa(True))
    assert (ident.product, ident.version) == ("Cisco ASA SSL VPN", "9.16(4)")
    assert ident.confidence is Confidence.HIGH
    assert ident.cpe == (
        "cpe:2.3:a:cisco:adaptive_security_appliance_software:9.16\\(4\\):*:*:*:*:*:*:*",
    )


def test_cisco_asa_without_the_answer_has_no_version() -> None:
    ident = run(_asa(False))
    assert ident.product == "Cisco ASA SSL VPN"
    assert ident.version == ""


def test_globalprotect_version_from_etag_build_time() -> None:
    built = 1710244800  # 2024-03-12T12:00:00Z: PAN-OS 10.2.9's release day in the table
    etag = f'"{built:x}-1f3"'
    routes = {
        "/global-protect/login.esp": (
            200,
            [("Server", "PanWeb Server/ -"), *HTML],
            b"<html><title>GlobalProtect Portal</title></html>",
        ),
        "/global-protect/portal/css/login.css": (
            200,
            [("ETag", etag), ("Content-Type", "text/css")],
            b"a{}",
        ),
    }
    ident = run(s.web(routes))
    assert (ident.product, ident.version) == ("Palo Alto Networks GlobalProtect", "10.2.9")
    assert ident.confidence is Confidence.INFERRED


def test_a_folded_header_line_joins_its_value() -> None:
    """Identification once dropped the continuation of a folded header (obs-fold); the
    checks' raw-text search saw it. One parser (``kenshin.net.http``) joins it now."""
    response = parse_response(
        "/", b"HTTP/1.1 200 OK\r\nServer: Apache/2.4.57\r\n\t(Unix) PHP/8.2\r\n\r\n<html>"
    )
    assert response is not None
    assert response.header("Server") == "Apache/2.4.57 (Unix) PHP/8.2"
    assert response.body == b"<html>"


def test_a_status_that_is_not_three_digits_is_not_http() -> None:
    """The checks wanted three digits; identification took any number."""
    assert parse_response("/", b"HTTP/1.1 2000 OK\r\n\r\n") is None
    assert parse_response("/", b"HTTP/1.1 404 Not Found\r\n\r\n") is not None


def test_bytes_past_the_content_length_are_not_the_body() -> None:
    response = parse_response("/x", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE")
    assert response is not None
    assert response.body == b"ok"
    assert response.path == "/x"

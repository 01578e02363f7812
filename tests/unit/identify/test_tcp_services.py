"""Identification of TCP services against in-process servers: each recognised with its
product/version, and a look-alike that must not be taken for it."""

from __future__ import annotations

import asyncio

import pytest

from kenshin.domain.enums import Confidence
from kenshin.domain.scan import ServiceIdentity
from kenshin.identify import identify_port

from . import servers as s
from .conftest import FAST, open_tcp, tcp_server

pytestmark = pytest.mark.timeout(60)


async def _identify(handler: s.Handler, **tls: object) -> ServiceIdentity:
    async with tcp_server(handler, **tls) as port:  # type: ignore[arg-type]
        result = await identify_port(s.HOST, open_tcp(port), FAST, gate=s.GATE)
    assert result.identity is not None
    return result.identity


def run(handler: s.Handler, **tls: object) -> ServiceIdentity:
    return asyncio.run(_identify(handler, **tls))


# -- SSH ----------------------------------------------------------------------------------


def test_openssh_debian_banner_kept_exactly() -> None:
    # RFC 4253 §4.2 identification string as Debian 12's OpenSSH sends it.
    ident = run(s.banner_then_wait(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u7\r\n"))
    assert (ident.service, ident.product, ident.version) == (
        "ssh",
        "OpenSSH",
        "9.2p1 Debian-2+deb12u7",
    )
    assert ident.cpe == ("cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*",)
    extra = dict(ident.extra)
    assert extra["distribution"] == "Debian"
    assert extra["distribution_patch"] == "2+deb12u7"
    assert extra["protocol"] == "2.0"
    assert ident.confidence is Confidence.HIGH


def test_dropbear_is_not_taken_for_openssh() -> None:
    ident = run(s.banner_then_wait(b"SSH-2.0-dropbear_2022.83\r\n"))
    assert ident.service == "ssh"
    assert ident.product == "Dropbear sshd"
    assert ident.version == "2022.83"
    assert not any("openssh" in c for c in ident.cpe)


def test_nec_ix_ssh_banner_gives_model_and_firmware() -> None:
    # the IX sshd's identification string (a published SSH client's test sample)
    ident = run(s.banner_then_wait(b"SSH-2.0-NEC-IX2105-ms-10.2.16\r\n"))
    assert (ident.service, ident.product, ident.version) == (
        "ssh",
        "NEC UNIVERGE IX2105 sshd",
        "10.2.16",
    )
    assert ident.cpe == ("cpe:2.3:o:nec:univerge_ix2105_firmware:10.2.16:*:*:*:*:*:*:*",)


def test_other_nec_ssh_banner_is_not_an_ix() -> None:
    # an NEC switch's sshd with a version of its own is not an IX router's firmware
    ident = run(s.banner_then_wait(b"SSH-2.0-NEC-QX-S5224GT-7.1.3\r\n"))
    assert ident.service == "ssh"
    assert "IX" not in ident.product
    assert not any("univerge_ix" in c for c in ident.cpe)


def test_openssh_named_in_a_web_page_is_not_ssh() -> None:
    page = b"<html><title>Download OpenSSH_9.2p1</title>SSH-2.0-OpenSSH_9.2p1</html>"
    ident = run(s.web({"/": (200, [("Server", "Apache/2.4.62 (Debian)")], page)}))
    assert ident.service == "http"
    assert ident.product == "Apache httpd"
    assert ident.version == "2.4.62"


# -- FTP, SMTP, POP3, IMAP ------------------------------------------------------------------


def test_vsftpd() -> None:
    ident = run(s.banner_then_wait(b"220 (vsFTPd 3.0.3)\r\n"))
    assert (ident.service, ident.product, ident.version) == ("ftp", "vsftpd", "3.0.3")
    assert ident.cpe == ("cpe:2.3:a:vsftpd_project:vsftpd:3.0.3:*:*:*:*:*:*:*",)


def test_smtp_banner_is_not_ftp() -> None:
    ident = run(s.banner_then_wait(b"220 mail.example.test ESMTP Postfix (Debian/GNU)\r\n"))
    assert ident.service == "smtp"
    assert ident.product == "Postfix smtpd"
    assert dict(ident.extra)["distribution"] == "Debian/GNU"


def test_pop3_and_imap_dovecot() -> None:
    pop = run(s.banner_then_wait(b"+OK Dovecot (Debian) ready.\r\n"))
    imap = run(
        s.banner_then_wait(
            b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ "
            b"STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n"
        )
    )
    assert (pop.service, pop.product) == ("pop3", "Dovecot pop3d")
    assert (imap.service, imap.product) == ("imap", "Dovecot imapd")


# -- telnet and router prompts -----------------------------------------------------------

IAC_WILL_ECHO_SGA = bytes([255, 251, 1, 255, 251, 3])


def test_yamaha_rtx_password_prompt() -> None:
    # YAMAHA RTX without a login user: WILL ECHO, WILL SGA, then only "Password: "
    # (YAMAHA RTX command reference, "ログイン").
    ident = run(s.banner_then_wait(IAC_WILL_ECHO_SGA + b"\r\nPassword: "))
    assert ident.service == "telnet"
    assert ident.product == "YAMAHA RTX router telnetd"
    assert ident.confidence is Confidence.LOW


def test_nec_ix_login_prompt() -> None:
    ident = run(s.banner_then_wait(IAC_WILL_ECHO_SGA + bytes([255, 253, 31]) + b"\r\nlogin: "))
    assert ident.service == "telnet"
    assert ident.product == "NEC UNIVERGE IX telnetd"


def test_nec_ix_banner_gives_model_and_version() -> None:
    banner = (
        b"\r\nNEC Portable Internetwork Core Operating System Software\r\n"
        b"IX Series IX2215 (magellan-sec) Software, Version 10.7.18, RELEASE SOFTWARE\r\n"
        b"login: "
    )
    ident = run(s.banner_then_wait(banner))
    assert (ident.product, ident.version) == ("NEC UNIVERGE IX2215 telnetd", "10.7.18")
    assert ident.cpe == ("cpe:2.3:o:nec:univerge_ix2215_firmware:10.7.18:*:*:*:*:*:*:*",)


def test_cisco_user_access_verification() -> None:
    negotiation = IAC_WILL_ECHO_SGA + bytes([255, 253, 24, 255, 253, 31])
    ident = run(
        s.banner_then_wait(negotiation + b"\r\n\r\nUser Access Verification\r\n\r\nPassword: ")
    )
    assert (ident.service, ident.product) == ("telnet", "Cisco router telnetd")


def test_linux_telnetd_is_not_a_router() -> None:
    # A Debian inetutils telnetd: DO TTYPE etc., then the issue file and "login: ".
    negotiation = bytes([255, 253, 24, 255, 253, 32, 255, 253, 35, 255, 253, 39])
    ident = run(s.banner_then_wait(negotiation + b"\r\nDebian GNU/Linux 12\r\nhost login: "))
    assert ident.service == "telnet"
    assert "YAMAHA" not in ident.product
    assert "NEC" not in ident.product
    assert "Cisco" not in ident.product


# -- databases and stores ------------------------------------------------------------------


def test_mysql_and_mariadb_handshakes() -> None:
    mysql = run(s.banner_then_wait(s.mysql_handshake("8.0.36-0ubuntu0.22.04.1")))
    maria = run(s.banner_then_wait(s.mysql_handshake("5.5.5-10.11.6-MariaDB-0+deb12u1")))
    assert (mysql.service, mysql.product, mysql.version) == (
        "mysql",
        "MySQL",
        "8.0.36-0ubuntu0.22.04.1",
    )
    assert mysql.cpe == ("cpe:2.3:a:oracle:mysql:8.0.36:*:*:*:*:*:*:*",)
    assert (maria.product, maria.version) == ("MariaDB", "10.11.6-MariaDB-0+deb12u1")
    assert maria.cpe == ("cpe:2.3:a:mariadb:mariadb:10.11.6:*:*:*:*:*:*:*",)


def test_redis_info_and_noauth() -> None:
    info = (
        b"$120\r\n# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
        b"os:Linux 6.1.0 x86_64\r\n\r\n"
    )
    open_redis = run(s.answer(lambda d: info if d.startswith(b"INFO") else None))
    locked = run(
        s.answer(
            lambda d: b"-NOAUTH Authentication required.\r\n" if d.startswith(b"INFO") else None
        )
    )
    assert (open_redis.service, open_redis.product, open_redis.version) == (
        "redis",
        "Redis key-value store",
        "7.0.15",
    )
    assert dict(open_redis.extra)["authentication"] == "none required"
    assert locked.service == "redis"
    assert dict(locked.extra)["authentication"] == "required"


def test_unknown_error_line_is_not_redis() -> None:
    ident = run(s.answer(lambda d: b"ERROR\r\n" if d.startswith(b"INFO") else None))
    assert ident.service != "redis"
    assert ident.confidence is Confidence.LOW


def test_memcached_version() -> None:
    ident = run(s.answer(lambda d: b"VERSION 1.6.18\r\n" if d == b"version\r\n" else None))
    assert (ident.service, ident.version) == ("memcache", "1.6.18")


def test_postgresql_error_response() -> None:
    error = s.pg_error("28000", 'no pg_hba.conf entry for host "127.0.0.1", user "kenshin"')
    ident = run(s.answer(lambda d: error if d[4:8] == b"\x00\x03\x00\x00" else None))
    assert (ident.service, ident.product) == ("postgresql", "PostgreSQL DB")
    assert dict(ident.extra)["sqlstate"] == "28000"


def test_mongodb_buildinfo() -> None:
    ident = run(s.answer(lambda d: s.mongodb_reply("7.0.5") if b"buildinfo" in d else None))
    assert (ident.service, ident.product, ident.version) == ("mongodb", "MongoDB", "7.0.5")


def test_mqtt_connack() -> None:
    ident = run(
        s.answer(lambda d: b"\x20\x02\x00\x05" if d[:1] == b"\x10" and b"MQTT" in d else None)
    )
    assert ident.service == "mqtt"
    assert dict(ident.extra)["connack_code"] == "5"


def test_ldap_rootdse_vendor() -> None:
    reply = s.ldap_rootdse("Example Directory Inc.", "4.2.1")
    ident = run(s.answer(lambda d: reply if d[:1] == b"\x30" and b"objectClass" in d else None))
    assert (ident.service, ident.product, ident.version) == (
        "ldap",
        "Example Directory Inc.",
        "4.2.1",
    )


# -- RDP, SMB, VNC ------------------------------------------------------------------------


def test_rdp_with_nla() -> None:
    ident = run(
        s.answer(lambda d: s.rdp_confirm(2) if d[:1] == b"\x03" and d[5:6] == b"\xe0" else None)
    )
    assert ident.service == "ms-wbt-server"
    assert dict(ident.extra)["nla"] == "yes"
    assert dict(ident.extra)["rdp_security"] == "hybrid"


def test_rdp_without_nla() -> None:
    ident = run(
        s.answer(lambda d: s.rdp_confirm(1) if d[:1] == b"\x03" and d[5:6] == b"\xe0" else None)
    )
    assert dict(ident.extra)["nla"] == "no"


def test_http_400_is_not_rdp() -> None:
    ident = run(s.answer(lambda d: b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
    assert ident.service == "http"


def test_smb2_negotiate() -> None:
    reply = s.smb2_negotiate_response(0x0302, signing_required=True)
    ident = run(s.answer(lambda d: reply if d[4:8] == b"\xfeSMB" else None))
    assert ident.service == "microsoft-ds"
    assert dict(ident.extra)["dialect"] == "3.0.2"
    assert dict(ident.extra)["smb_signing"] == "required"


def _vnc(types: bytes) -> s.Handler:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"RFB 003.008\n")
        await writer.drain()
        try:
            version = await asyncio.wait_for(reader.readexactly(12), timeout=3)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        if version.startswith(b"RFB "):
            writer.write(bytes([len(types)]) + types)
            await writer.drain()
            await asyncio.sleep(0.5)
        writer.close()

    return handle


def test_vnc_security_types() -> None:
    with_password = run(_vnc(bytes([2])))
    without = run(_vnc(bytes([1])))
    assert (with_password.service, with_password.version) == ("vnc", "3.8")
    assert dict(with_password.extra)["vnc_security_types"] == "VNC Authentication"
    assert "vnc_no_authentication" not in dict(with_password.extra)
    assert dict(without.extra)["vnc_no_authentication"] == "yes"


def test_root_prompt_is_a_bind_shell() -> None:
    ident = run(s.banner_then_wait(b"root@localhost:~# "))
    assert (ident.service, ident.product) == ("bindshell", "root shell")


def test_status_line_service_is_not_a_shell_or_ftp() -> None:
    ident = run(s.banner_then_wait(b"220 lab status service ready\r\n"))
    assert ident.service not in ("bindshell", "ftp")

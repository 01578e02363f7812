"""Real Debian daemons in lab namespaces: their generated configs and command lines.

Every daemon runs in the foreground (so the pid we record is the daemon's own), with
its config, keys, pid file and state under the lab's temporary directory — never the
system's /etc configs or system services. Options per daemon kind:

- ``sshd``: ``algorithms`` = ``legacy`` (adds SHA-1/group1 key exchange, CBC ciphers, MD5
  MACs, ssh-rsa, to OpenSSH's defaults) or ``modern`` (only current AEAD/ETM algorithms).
- ``vsftpd``: ``anonymous`` = ``yes`` / ``no``.
- ``snmpd``: ``community`` = a community string or ``random`` (a fresh one per lab);
  ``sysdescr``; ``sysobjectid`` (a dotted OID, e.g. Palo Alto's 1.3.6.1.4.1.25461.2.3.35);
  ``strings`` = ``OID=value`` pairs joined by ``;``: vendor MIB scalars the agent answers
  as octet strings (e.g. PAN-COMMON-MIB panSysSwVersion.0), for appliance twins.
- ``dnsmasq``: ``mode`` = ``recursive`` (an open resolver forwarding to ``upstream``, a
  host role), ``upstream`` (answers example.com/example.org from its own data) or
  ``refusing`` (answers its own names only, refuses recursion, hides its version).
- ``nginx``: ``tls`` = ``old`` (TLS 1.0/1.1/1.2, weak ciphers, an expired self-signed
  RSA-1024 certificate), ``modern`` (TLS 1.2/1.3, a lab-CA certificate) or ``none``
  (plain HTTP); ``server_tokens`` = ``on`` / ``off``; ``title`` = the page title.
- ``redis``: ``password`` = ``none`` or ``random``.
- ``chrony``: no options (an NTP server at local stratum 8).

``sshd`` and ``nginx`` also take ``bind`` = ``host`` (default) or ``any`` (every address
of the namespace: the wide host's 1,024 addresses).
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import shutil
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kenshin.lab._certs import LabCA, write_old_certificate, write_ssh_host_keys
from kenshin.lab._model import LabError
from kenshin.lab._profile import ServiceSpec
from kenshin.scope import Gate, LabPermission

BINARIES = {
    "sshd": "/usr/sbin/sshd",
    "vsftpd": "/usr/sbin/vsftpd",
    "snmpd": "/usr/sbin/snmpd",
    "dnsmasq": "/usr/sbin/dnsmasq",
    "nginx": "/usr/sbin/nginx",
    "redis": "/usr/bin/redis-server",
    "chrony": "/usr/sbin/chronyd",
}
PACKAGES = {
    "sshd": "openssh-server",
    "vsftpd": "vsftpd",
    "snmpd": "snmpd",
    "dnsmasq": "dnsmasq-base",
    "nginx": "nginx-light",
    "redis": "redis-server",
    "chrony": "chrony",
}


@dataclass
class Launch:
    """One process to start in a namespace and the sockets that say it is ready."""

    name: str
    namespace: str
    argv: list[str]
    sockets: list[tuple[str, int]]
    log: Path
    env: dict[str, str] | None = None
    settings: dict[str, str] = field(default_factory=dict)
    extra_tcp: bool = False
    """The daemon also serves its port over TCP (dnsmasq's DNS)."""


@dataclass
class Context:
    """What config builders share within one lab."""

    tmpdir: Path
    addresses: dict[str, str]
    _ca: LabCA | None = None

    @property
    def ca(self) -> LabCA:
        if self._ca is None:
            self._ca = LabCA.create()
            self._ca.write(self.tmpdir / "lab-ca.pem")
        return self._ca

    def folder(self, name: str) -> Path:
        path = self.tmpdir / name
        path.mkdir(mode=0o755, exist_ok=True)
        return path


def missing_binaries(kinds: set[str]) -> list[str]:
    """Debian packages whose daemon binary is not installed."""
    return sorted(PACKAGES[k] for k in kinds if not Path(BINARIES[k]).exists())


def _option(spec: ServiceSpec, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = spec.options.get(key, default)
    if allowed and value not in allowed:
        raise LabError(
            "lab.bad_option", service=spec.name, key=key, value=value, allowed=", ".join(allowed)
        )
    return value


def listen_address(spec: ServiceSpec, address: str) -> str:
    """The host's address, or every address (``bind: any``, for the bench's wide host)."""
    return "0.0.0.0" if _option(spec, "bind", ("host", "any"), "host") == "any" else address  # noqa: S104


def _sshd(ctx: Context, ns: str, address: str, spec: ServiceSpec) -> Launch:
    folder = ctx.folder(spec.name)
    algorithms = _option(spec, "algorithms", ("legacy", "modern", "default"), "default")
    keys = write_ssh_host_keys(folder, legacy=algorithms == "legacy")
    lines = [
        f"Port {spec.port}",
        f"ListenAddress {listen_address(spec, address)}",
        *[f"HostKey {k}" for k in keys],
        f"PidFile {folder / 'sshd.pid'}",
        "UsePAM no",
        "PermitRootLogin no",
        "AuthorizedKeysFile none",
        "StrictModes no",
        "PrintMotd no",
        "LoginGraceTime 20",
        "MaxStartups 100:30:200",
    ]
    if algorithms == "legacy":
        lines += [
            "PasswordAuthentication yes",
            "KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1",
            "Ciphers +aes128-cbc,aes256-cbc,3des-cbc",
            "MACs +hmac-md5,hmac-sha1-96",
            "HostKeyAlgorithms +ssh-rsa",
        ]
    elif algorithms == "modern":
        lines += [
            "PasswordAuthentication no",
            "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256",
            "Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com",
            "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com",
            "HostKeyAlgorithms ssh-ed25519,ecdsa-sha2-nistp256",
        ]
    config = folder / "sshd_config"
    config.write_text("\n".join(lines) + "\n")
    # OpenSSH's privilege separation directory (Debian makes it at boot via systemd).
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    return Launch(
        spec.name,
        ns,
        [BINARIES["sshd"], "-D", "-e", "-f", str(config)],
        [("tcp", spec.port)],
        folder / "log",
    )


def _vsftpd(ctx: Context, ns: str, address: str, spec: ServiceSpec) -> Launch:
    folder = ctx.folder(spec.name)
    anonymous = _option(spec, "anonymous", ("yes", "no"), "no") == "yes"
    (folder / "allowed-users").write_text("")
    root = folder / "ftp-root"
    (root / "pub").mkdir(mode=0o755, parents=True, exist_ok=True)
    (root / "pub" / "README.txt").write_text("kenshin test lab: public files\n")
    config = folder / "vsftpd.conf"
    config.write_text(
        "\n".join(
            [
                "listen=YES",
                "listen_ipv6=NO",
                f"listen_address={address}",
                f"listen_port={spec.port}",
                "background=NO",
                f"anonymous_enable={'YES' if anonymous else 'NO'}",
                "no_anon_password=YES",
                f"anon_root={root}",
                # With anonymous off, vsftpd needs some login method: local logins are on,
                # but the allow-list is empty, so every user is refused (530).
                f"local_enable={'NO' if anonymous else 'YES'}",
                f"userlist_enable={'NO' if anonymous else 'YES'}",
                "userlist_deny=NO",
                f"userlist_file={folder / 'allowed-users'}",
                "write_enable=NO",
                "pasv_enable=YES",
                f"pasv_address={address}",
                "pasv_min_port=40000",
                "pasv_max_port=40099",
                "secure_chroot_dir=/var/run/vsftpd/empty",
                "seccomp_sandbox=NO",
                "isolate=NO",
                "isolate_network=NO",
                "xferlog_enable=NO",
                "hide_ids=YES",
                "pam_service_name=vsftpd",
                "",
            ]
        )
    )
    return Launch(
        spec.name, ns, [BINARIES["vsftpd"], str(config)], [("tcp", spec.port)], folder / "log"
    )


_SNMP_OID = re.compile(r"1\.3\.6\.1(?:\.\d{1,10}){1,30}")
_SNMP_STRING = re.compile(r"[ -!#-~]{0,200}")  # printable ASCII without '"'


def _snmp_oid(spec: ServiceSpec, text: str) -> str:
    """A dotted OID under 1.3.6.1 (nothing else reaches the generated config)."""
    if not _SNMP_OID.fullmatch(text):
        raise LabError(
            "lab.bad_option", service=spec.name, key="oid", value=text, allowed="1.3.6.1.<n>…"
        )
    return text


def _snmpd(ctx: Context, ns: str, address: str, spec: ServiceSpec) -> Launch:
    folder = ctx.folder(spec.name)
    community = _option(spec, "community", (), "public")
    if community == "random":
        community = "lab-" + secrets.token_hex(8)
    state = folder / "persist"
    state.mkdir(exist_ok=True)
    lines = [
        f"rocommunity {community} default",
        f"sysName {spec.options.get('sysname', spec.name)}",
        "sysLocation kenshin test lab",
        "sysContact lab@example.invalid",
    ]
    if "sysdescr" in spec.options:
        lines.append(f"sysDescr {spec.options['sysdescr']}")
    if "sysobjectid" in spec.options:
        lines.append(f"sysObjectID .{_snmp_oid(spec, spec.options['sysobjectid'])}")
    for pair in filter(None, spec.options.get("strings", "").split(";")):
        oid, _, value = pair.partition("=")
        if not _SNMP_STRING.fullmatch(value):
            raise LabError(
                "lab.bad_option",
                service=spec.name,
                key="strings",
                value=pair,
                allowed="OID=printable text without quotes",
            )
        lines.append(f'override .{_snmp_oid(spec, oid.strip())} octet_str "{value}"')
    config = folder / "snmpd.conf"
    config.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(state)}
    return Launch(
        spec.name,
        ns,
        [
            BINARIES["snmpd"],
            "-f",
            "-Lo",
            "-C",
            "-I",
            "-smux",  # no SMUX listener on tcp/199: only the SNMP port we declare
            "-c",
            str(config),
            "-p",
            str(folder / "snmpd.pid"),
            f"udp:{address}:{spec.port}",
        ],
        [("udp", spec.port)],
        folder / "log",
        env=env,
        settings={"community": community},
    )


def _dnsmasq(ctx: Context, ns: str, address: str, spec: ServiceSpec) -> Launch:
    folder = ctx.folder(spec.name)
    mode = _option(spec, "mode", ("recursive", "upstream", "refusing"), "refusing")
    lines = [
        f"port={spec.port}",
        f"listen-address={address}",
        "bind-interfaces",
        "no-resolv",
        "no-hosts",
        "no-poll",
        "user=root",
        f"pid-file={folder / 'dnsmasq.pid'}",
        "log-facility=-",
    ]
    if mode == "recursive":
        upstream = spec.options.get("upstream", "")
        if upstream not in ctx.addresses:
            raise LabError(
                "lab.bad_option",
                service=spec.name,
                key="upstream",
                value=upstream,
                allowed=", ".join(ctx.addresses),
            )
        lines.append(f"server={ctx.addresses[upstream]}")
    elif mode == "upstream":
        lines += [
            "address=/example.com/192.0.2.10",
            "host-record=www.example.org,192.0.2.20",
        ]
    else:
        lines += [
            "no-ident",
            "host-record=ns.hospital.example,192.0.2.53",
            "local=/hospital.example/",
        ]
    config = folder / "dnsmasq.conf"
    config.write_text("\n".join(lines) + "\n")
    return Launch(
        spec.name,
        ns,
        [BINARIES["dnsmasq"], "-k", f"--conf-file={config}"],
        [("udp", spec.port), ("tcp", spec.port)],
        folder / "log",
        extra_tcp=True,
    )


_OLD_CIPHERS = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
_MODERN_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"
)


def _nginx(ctx: Context, ns: str, address: str, spec: ServiceSpec) -> Launch:
    folder = ctx.folder(spec.name)
    tls = _option(spec, "tls", ("old", "modern", "none"), "none")
    tokens = _option(spec, "server_tokens", ("on", "off"), "on")
    title = spec.options.get("title", "kenshin test lab")
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir(exist_ok=True)
    where = listen_address(spec, address)
    listen = f"listen {where}:{spec.port}{' ssl' if tls != 'none' else ''};"
    tls_lines: list[str] = []
    name = f"{spec.name}.lab.example"
    if tls == "old":
        write_old_certificate(name, folder / "cert.pem", folder / "key.pem")
        tls_lines = [
            "ssl_protocols TLSv1 TLSv1.1 TLSv1.2;",
            f'ssl_ciphers "{_OLD_CIPHERS}";',
            "ssl_prefer_server_ciphers off;",
        ]
    elif tls == "modern":
        ctx.ca.issue(name, address, folder / "cert.pem", folder / "key.pem")
        tls_lines = [
            "ssl_protocols TLSv1.2 TLSv1.3;",
            f'ssl_ciphers "{_MODERN_CIPHERS}";',
            "ssl_prefer_server_ciphers on;",
            'add_header Strict-Transport-Security "max-age=31536000" always;',
        ]
    if tls != "none":
        tls_lines += [
            f"ssl_certificate {folder / 'cert.pem'};",
            f"ssl_certificate_key {folder / 'key.pem'};",
        ]
    page = (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1></body></html>"
    )
    config = folder / "nginx.conf"
    config.write_text(
        f"""user root;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  server_tokens {tokens};
  client_body_temp_path {folder / "body"};
  proxy_temp_path {folder / "proxy"};
  fastcgi_temp_path {folder / "fastcgi"};
  uwsgi_temp_path {folder / "uwsgi"};
  scgi_temp_path {folder / "scgi"};
  server {{
    {listen}
    server_name {name};
    {chr(10).join("    " + line for line in tls_lines).strip()}
    location / {{
      default_type text/html;
      return 200 '{page}';
    }}
  }}
}}
"""
    )
    return Launch(
        spec.name,
        ns,
        [
            BINARIES["nginx"],
            "-p",
            str(folder),
            "-c",
            str(config),
            "-e",
            str(folder / "error.log"),
            "-g",
            "daemon off;",
        ],
        [("tcp", spec.port)],
        folder / "log",
    )


def _redis(ctx: Context, ns: str, address: str, spec: ServiceSpec) -> Launch:
    folder = ctx.folder(spec.name)
    password = _option(spec, "password", ("none", "random"), "none")
    lines = [
        f"bind {address}",
        f"port {spec.port}",
        "protected-mode no",
        "daemonize no",
        f"pidfile {folder / 'redis.pid'}",
        f"dir {folder}",
        'save ""',
        "appendonly no",
        'logfile ""',
    ]
    settings: dict[str, str] = {}
    if password == "random":  # noqa: S105 - the option's value, not a password
        settings["password"] = secrets.token_urlsafe(18)
        lines.append(f"requirepass {settings['password']}")
    config = folder / "redis.conf"
    config.write_text("\n".join(lines) + "\n")
    config.chmod(0o600)
    return Launch(
        spec.name,
        ns,
        [BINARIES["redis"], str(config)],
        [("tcp", spec.port)],
        folder / "log",
        settings=settings,
    )


def _chrony(ctx: Context, ns: str, address: str, spec: ServiceSpec) -> Launch:
    folder = ctx.folder(spec.name)
    config = folder / "chrony.conf"
    config.write_text(
        "\n".join(
            [
                f"pidfile {folder / 'chronyd.pid'}",
                "local stratum 8",
                "allow all",
                f"port {spec.port}",
                f"bindaddress {address}",
                "cmdport 0",
                "",
            ]
        )
    )
    return Launch(
        spec.name,
        ns,
        [BINARIES["chrony"], "-d", "-x", "-u", "root", "-f", str(config)],
        [("udp", spec.port)],
        folder / "log",
    )


BUILDERS: dict[str, Callable[[Context, str, str, ServiceSpec], Launch]] = {
    "sshd": _sshd,
    "vsftpd": _vsftpd,
    "snmpd": _snmpd,
    "dnsmasq": _dnsmasq,
    "nginx": _nginx,
    "redis": _redis,
    "chrony": _chrony,
}


def _command_output(argv: list[str]) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return ""
    return result.stdout + result.stderr


@functools.cache
def installed_version(kind: str) -> str:
    """The upstream version of an installed daemon, as its own ``-v`` prints it."""
    patterns = {
        "snmpd": ([BINARIES["snmpd"], "-v"], r"NET-SNMP version:\s*(\S+)"),
        "dnsmasq": ([BINARIES["dnsmasq"], "-v"], r"Dnsmasq version (\S+)"),
        "nginx": ([BINARIES["nginx"], "-v"], r"nginx/(\S+)"),
        "redis": ([BINARIES["redis"], "-v"], r"v=(\S+)"),
        "chrony": ([BINARIES["chrony"], "-v"], r"version (\S+)"),
        "vsftpd": (
            ["dpkg-query", "-W", "-f=${Version}", PACKAGES["vsftpd"]],
            r"^(?:\d+:)?([^-]+)",
        ),
        "sshd": (["dpkg-query", "-W", "-f=${Version}", PACKAGES["sshd"]], r"^(?:\d+:)?(\S+)"),
    }
    argv, pattern = patterns[kind]
    if shutil.which(argv[0]) is None and not Path(argv[0]).exists():
        return ""
    match = re.search(pattern, _command_output(argv), re.MULTILINE)
    return match.group(1) if match else ""


_LAB_GATE = Gate.adhoc(lab=LabPermission(), action="lab.truth")


def read_banner(address: str, port: int, timeout: float = 5.0) -> str:
    """The first line a TCP service says (SSH, FTP), read from the root namespace.

    Asked of the scope's gate first, like every probe: only the lab range passes."""
    _LAB_GATE.permit(address)
    with socket.create_connection((address, port), timeout=timeout) as conn:
        conn.settimeout(timeout)
        data = b""
        while b"\n" not in data and len(data) < 1024:
            chunk = conn.recv(256)
            if not chunk:
                break
            data += chunk
    return data.split(b"\n", 1)[0].decode("latin-1").strip()


def discover_version(kind: str, address: str, port: int) -> str:
    """The version as the running daemon shows it (SSH/FTP from their banners)."""
    if kind == "sshd":
        banner = read_banner(address, port)  # e.g. SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10
        match = re.match(r"SSH-[\d.]+-OpenSSH_(.+)$", banner)
        return match.group(1) if match else ""
    if kind == "vsftpd":
        banner = read_banner(address, port)  # e.g. 220 (vsFTPd 3.0.3)
        match = re.search(r"vsFTPd (\S+?)\)", banner)
        return match.group(1) if match else installed_version(kind)
    return installed_version(kind)

"""Lab profiles: data files describing hosts, their services and the expected ground truth.

A profile is ``kenshin/lab/profiles/<name>.yaml``. Hosts get their address either from
the lab's slot (``octet``: the last byte inside the slot's host network) or, for
profiles that serve fixed addresses (``fixed_addresses: true``, the demo), literally
(``address``). Each service is either a Debian daemon (``daemon: sshd``) or an emulator
from ``kenshin.lab.emulators`` (``emulator: fortigate``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kenshin.lab._model import LabError
from kenshin.scope import LAB_NETWORK

DAEMON_KINDS = ("sshd", "vsftpd", "snmpd", "dnsmasq", "nginx", "redis", "chrony")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSpec(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    daemon: Literal["sshd", "vsftpd", "snmpd", "dnsmasq", "nginx", "redis", "chrony"] | None = None
    emulator: str | None = None
    protocol: Literal["tcp", "udp"] = "tcp"
    port: int = Field(ge=1, le=65535)
    options: dict[str, str] = Field(default_factory=dict)
    # Ground truth. ``version: discover`` takes the running daemon's version at start.
    service: str
    product: str = ""
    version: str = ""
    vulnerable: bool = False
    twin: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> ServiceSpec:
        if (self.daemon is None) == (self.emulator is None):
            raise ValueError(f"service {self.name}: give exactly one of 'daemon' or 'emulator'")
        return self

    @property
    def kind(self) -> str:
        return self.daemon if self.daemon is not None else f"emulator:{self.emulator}"


class FirewallSpec(_Strict):
    tcp_accept: list[int] = Field(default_factory=list)
    tcp_reset: list[int] = Field(default_factory=list)
    tcp_prohibit: list[int] = Field(default_factory=list)
    udp_accept: list[int] = Field(default_factory=list)
    udp_unreachable: list[int] = Field(default_factory=list)
    udp_prohibit: list[int] = Field(default_factory=list)


class HostSpec(_Strict):
    role: str = Field(pattern=r"^[a-z][a-z0-9]{0,9}$")
    octet: int | None = Field(default=None, ge=3, le=254)
    address: IPv4Address | None = None
    wide: bool = False
    """The host also answers on a /22 (the slot's wide block, or ``wide_prefix``)."""
    wide_prefix: IPv4Network | None = None
    wide_prefixlen: int = Field(default=22, ge=16, le=22)
    """Size of the wide block of a slot lab: /22 is the slot's own; a larger block (a /18
    for the 16,384-address benchmark) is taken from the shared pool 198.18.128.0/17."""
    quiet_every: int = Field(default=0, ge=0, le=256)
    """Every n-th address (n a power of two) drops TCP to its closed ports instead of
    resetting, like a filtering edge; 0: every address resets. Hosts without a firewall."""
    icmp_unlimited: bool = False
    """No ICMP rate limit in the namespace (``net.ipv4.icmp_ratemask=0``): every closed UDP
    port answers at once, so a UDP sweep of many addresses measures the scanners, not the
    kernel's limiter."""
    firewall: FirewallSpec | None = None
    services: list[ServiceSpec] = Field(default_factory=list)


class ProfileSpec(_Strict):
    name: str
    description: str
    fixed_addresses: bool = False
    hosts: list[HostSpec]

    @model_validator(mode="after")
    def _consistent(self) -> ProfileSpec:
        roles = [h.role for h in self.hosts]
        if len(set(roles)) != len(roles) or "lab" in roles:
            raise ValueError("host roles must be unique and must not be 'lab'")
        names = [s.name for h in self.hosts for s in h.services]
        if len(set(names)) != len(names):
            raise ValueError("service names must be unique in a profile")
        for host in self.hosts:
            if self.fixed_addresses:
                if host.address is None or not LAB_NETWORK.supernet_of(
                    IPv4Network(f"{host.address}/32")
                ):
                    raise ValueError(f"host {host.role}: a fixed address in {LAB_NETWORK}")
                if host.wide and host.wide_prefix is None:
                    raise ValueError(f"host {host.role}: a wide host needs wide_prefix")
            elif host.octet is None:
                raise ValueError(f"host {host.role}: give its octet")
            if host.wide_prefix is not None and not LAB_NETWORK.supernet_of(host.wide_prefix):
                raise ValueError(f"host {host.role}: wide_prefix must be inside {LAB_NETWORK}")
            if host.quiet_every and (
                host.quiet_every & (host.quiet_every - 1) or host.firewall is not None
            ):
                raise ValueError(
                    f"host {host.role}: quiet_every is a power of two, on a host without firewall"
                )
            if host.firewall is not None:
                accepted = {("tcp", p) for p in host.firewall.tcp_accept} | {
                    ("udp", p) for p in host.firewall.udp_accept
                }
                for s in host.services:
                    needed = {(s.protocol, s.port)}
                    if s.daemon == "dnsmasq":
                        needed.add(("tcp", s.port))
                    if not needed <= accepted:
                        raise ValueError(f"service {s.name}: its firewall does not accept its port")
            ports = [(s.protocol, s.port) for s in host.services]
            if len(set(ports)) != len(ports):
                raise ValueError(f"host {host.role}: two services on one port")
        for service in (s for h in self.hosts for s in h.services):
            if service.twin and service.twin not in names:
                raise ValueError(f"service {service.name}: unknown twin {service.twin}")
        return self

    def host(self, role: str) -> HostSpec:
        for host in self.hosts:
            if host.role == role:
                return host
        raise KeyError(role)


def profile_names() -> list[str]:
    folder = resources.files("kenshin.lab") / "profiles"
    return sorted(
        e.name.removesuffix(".yaml") for e in folder.iterdir() if e.name.endswith(".yaml")
    )


@cache
def load_profile(name: str | Path) -> ProfileSpec:
    """The shipped profile ``name``, or a profile file at a path; validated."""
    if isinstance(name, Path):
        try:
            text = name.read_text("utf-8")
        except OSError as exc:
            raise LabError("lab.bad_profile", name=str(name), detail=str(exc)) from None
    elif name in profile_names():
        text = (resources.files("kenshin.lab") / "profiles" / f"{name}.yaml").read_text("utf-8")
    else:
        raise LabError("lab.unknown_profile", name=name, known=", ".join(profile_names()))
    try:
        return ProfileSpec.model_validate(yaml.safe_load(text))
    except (ValidationError, yaml.YAMLError) as exc:
        raise LabError("lab.bad_profile", name=str(name), detail=str(exc)) from None

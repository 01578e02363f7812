"""Every diagnosis check on the real test lab: it fires on the vulnerable service and
stays quiet on its hardened twin. Identities come from the lab's ground truth, so this
tests the checks alone (identification has its own lab tests)."""

from __future__ import annotations

import asyncio

import pytest
from _probes import only

from kenshin.checks import CheckSettings, DiagnosisResult, default_checks, diagnose
from kenshin.domain import HostResult, PortResult, PortState, ServiceIdentity
from kenshin.lab import Lab

pytestmark = pytest.mark.lab

# lab service name -> check ids that must fire there (and nothing else of these families)
FIRES = {
    "ssh-legacy": {"configuration.ssh_weak_algorithms"},
    "ftp-anonymous": {"account.ftp_anonymous"},
    "snmp-public": {"account.snmp_default_community"},
    "dns-open": {"exposure.dns_open_recursion"},
    "tls-old": {
        "configuration.tls_old_protocol",
        "configuration.tls_weak_cipher",
        "configuration.tls_certificate",
    },
    "redis-open": {"account.no_authentication"},
    "telnet-yamaha": {"exposure.telnet", "account.default_credentials"},
    "rdp": {"exposure.rdp"},
    "vnc-noauth": {"exposure.vnc", "account.no_authentication"},
    "bind-shell": {"backdoor.bind_shell"},
    "http-login-default": {"account.default_credentials"},
    "memcached": {"account.no_authentication"},
    "mongodb": {"account.no_authentication"},
    "elasticsearch": {"account.no_authentication"},
    "docker-api": {"account.no_authentication"},
    "ftp-backdoored": {"backdoor.backdoored_release"},
    "ntp-mode6": {"exposure.ntp_amplification"},
    "ssdp": {"exposure.ssdp"},
}
QUIET = {
    # Debian's OpenSSH carries backported fixes: no CVE from the upstream version alone
    "ssh-modern": {
        "configuration.ssh_weak_algorithms",
        "configuration.ssh_terrapin",
        "vulnerability.cve",
    },
    "ssh-legacy": {"vulnerability.cve"},
    "ftp-closed": {"account.ftp_anonymous"},
    "snmp-random": {"account.snmp_default_community"},
    "dns-refusing": {"exposure.dns_open_recursion"},
    "tls-modern": {
        "configuration.tls_old_protocol",
        "configuration.tls_weak_cipher",
        "configuration.tls_certificate",
    },
    "redis-auth": {"account.no_authentication"},
    "line-service": {"backdoor.bind_shell"},
    "http-login-changed": {"account.default_credentials"},
    "ntp-vuln": {"exposure.ntp_amplification"},
    "ntp-hard": {"exposure.ntp_amplification"},
    "tarpit": {"backdoor.bind_shell"},
    "garbage": {"backdoor.bind_shell"},
    "reset": {"backdoor.bind_shell"},
}


before: dict[str, int] = {}


@pytest.fixture(scope="module")
def diagnosis(lab: Lab) -> DiagnosisResult:
    names = set(FIRES) | set(QUIET)
    before["http-login-changed"] = lab.connections("http-login-changed")
    before["snmp-random"] = lab.connections("snmp-random")
    by_address: dict[str, list[PortResult]] = {}
    for service in lab.services:
        if service.name not in names:
            continue
        identity = ServiceIdentity(service.service, service.product, service.version)
        state = PortState.OPEN
        by_address.setdefault(service.address, []).append(
            PortResult(service.protocol, service.port, state, identity=identity)
        )
    hosts = [HostResult(address, tuple(ports)) for address, ports in by_address.items()]
    settings = CheckSettings(
        login_delay=0.2, read_timeout=3.0, extra_ca_file=str(lab.ca_file) if lab.ca_file else None
    )
    return asyncio.run(
        diagnose(hosts, default_checks(), settings=settings, gate=only(lab.addresses))
    )


def _found_on(result: DiagnosisResult, lab: Lab, name: str) -> set[str]:
    service = lab.service(name)
    return {
        f.check_id
        for f in result.findings
        if f.subject.address == service.address
        and f.subject.port == service.port
        and f.subject.protocol == service.protocol.value
    }


@pytest.mark.parametrize("name", sorted(FIRES))
def test_check_fires_on_vulnerable_lab_service(
    diagnosis: DiagnosisResult, lab: Lab, name: str
) -> None:
    found = _found_on(diagnosis, lab, name)
    assert FIRES[name] <= found, (name, found, diagnosis.errors)


@pytest.mark.parametrize("name", sorted(QUIET))
def test_check_quiet_on_hardened_twin(diagnosis: DiagnosisResult, lab: Lab, name: str) -> None:
    found = _found_on(diagnosis, lab, name)
    assert not (QUIET[name] & found), (name, found)


def test_no_check_crashed_and_no_password_leaked(diagnosis: DiagnosisResult, lab: Lab) -> None:
    assert diagnosis.errors == ()
    secrets = [s.setting("password") for s in lab.services if s.setting("password")]
    secrets += [s.setting("community") for s in lab.services if s.setting("community")]
    for finding in diagnosis.findings:
        text = " ".join((finding.evidence, finding.title_ja, finding.description_ja))
        for secret in secrets:
            assert secret not in text
        assert "admin:admin" not in text


def test_login_checks_stay_within_their_budget(diagnosis: DiagnosisResult) -> None:
    logins = {s.family: s for s in diagnosis.stats}
    for family, stats in logins.items():
        if family.startswith("account."):
            assert stats.login_attempts <= stats.runs * CheckSettings().max_login_attempts, family


def test_login_budget_counted_on_the_lab_side(diagnosis: DiagnosisResult, lab: Lab) -> None:
    """The lab's own counters: a changed web login saw the first look plus at most the
    budget of attempts; the SNMP agent with a random community at most the budget."""
    budget = CheckSettings().max_login_attempts
    web = lab.connections("http-login-changed") - before["http-login-changed"]
    snmp = lab.connections("snmp-random") - before["snmp-random"]
    assert 1 <= web <= 1 + budget + 1  # the first look, the attempts, the TLS-less recheck
    assert 1 <= snmp <= budget

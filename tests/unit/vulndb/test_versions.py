"""Vendor version schemes, with version strings taken from real advisories and records."""

from __future__ import annotations

import pytest

from kenshin.vulndb.versions import debian, scheme


@pytest.mark.parametrize(
    ("name", "raw", "normalised"),
    [
        ("fortios", "v7.0.11,build0489 (GA)", "7.0.11"),
        ("fortios", "FortiGate-60F v7.0.11,build0489,230328 (GA.F)", "7.0.11"),
        ("fortios", "7.2", "7.2.0"),
        ("panos", "10.2.9-h1", "10.2.9-h1"),
        ("panos", "PAN-OS 11.1.2-h3", "11.1.2-h3"),
        ("panos", "10.2", "10.2.0"),
        ("ivanti", "Ivanti Connect Secure 22.7R2.3 (build 3431)", "22.7R2.3"),
        ("ivanti", "9.1R11.4", "9.1R11.4"),
        ("citrix", "NetScaler NS13.1: Build 49.15.nc, Date: Oct 10 2023", "13.1-49.15"),
        ("citrix", "13.1-49.15", "13.1-49.15"),
        ("sonicos", "SonicOS 7.0.1-5145-R5175", "7.0.1-5145"),
        ("sonicos", "6.5.4.15-116n", "6.5.4.15-116n"),
        ("cisco", "Version 15.9(3)M7", "15.9(3)M7"),
        ("cisco", "9.16(4)19", "9.16(4)19"),
        ("junos", "Junos: 22.4R3-S2", "22.4R3-S2"),
        ("yamaha", "Rev.15.02.30", "15.02.30"),
        ("yamaha", "RTX1210 Rev.14.01.38 (Fri Jul 10 09:44:18 2020)", "14.01.38"),
        ("nec_ix", "Version 10.2.16, RELEASE SOFTWARE", "10.2.16"),
        ("openssh", "OpenSSH_9.2p1 Debian-2+deb12u3", "9.2p1"),
        ("generic", "2.3.4", "2.3.4"),
    ],
)
def test_normalise(name: str, raw: str, normalised: str) -> None:
    assert scheme(name).normalise(raw) == normalised


@pytest.mark.parametrize("name", ["fortios", "panos", "yamaha", "cisco", "citrix", "ivanti"])
def test_garbage_has_no_version(name: str) -> None:
    assert scheme(name).normalise("no version here") is None


# (scheme, lower, higher): lower < higher; the pairs come from real ranges and fixes.
ORDERED = [
    ("fortios", "7.0.11", "7.0.12"),  # CVE-2023-27997: 7.0.11 affected, 7.0.12 fixed
    ("fortios", "7.0.9", "7.0.10"),  # numeric, not lexical
    ("panos", "10.2.9", "10.2.9-h1"),  # CVE-2024-3400 hotfix
    ("panos", "10.2.9-h1", "10.2.10"),
    ("panos", "10.2.8-h3", "10.2.9"),
    ("panos", "10.2.4-h9", "10.2.4-h16"),
    ("ivanti", "22.7R2.3", "22.7R2.5"),  # CVE-2025-0282
    ("ivanti", "9.1R9", "9.1R11.4"),
    ("ivanti", "9.1", "9.1R1"),
    ("ivanti", "22.7R2", "22.7R2.1"),
    ("citrix", "13.1-49.13", "13.1-49.15"),  # CVE-2023-4966
    ("citrix", "13.1", "13.1-37.164"),
    ("citrix", "12.1-55.297", "12.1-55.300"),
    ("sonicos", "7.0.1-5035", "7.0.1-5145"),  # CVE-2024-40766
    ("sonicos", "6.5.4.15-116n", "6.5.4.15.117n"),
    ("sonicos", "5.9.2.14-12o", "5.9.2.14-13o"),
    ("sonicos", "10.2.0.4-25sv", "10.2.0.5-d-29sv"),  # CVE-2021-20016 SMA
    ("cisco", "15.9(3)M6", "15.9(3)M7"),
    ("cisco", "9.16(4)9", "9.16(4)19"),
    ("cisco", "17.9.4", "17.9.4a"),  # CVE-2023-20198 fix
    ("cisco", "17.9.4a", "17.9.5"),
    ("junos", "22.4R3", "22.4R3-S1"),
    ("junos", "22.4R3-S2", "22.4R4"),
    ("yamaha", "14.01.33", "14.01.34"),
    ("yamaha", "15.02.09", "15.02.10"),
    ("nec_ix", "10.2.9", "10.2.16"),
    ("openssh", "8.5p1", "9.8p1"),
    ("openssh", "9.7", "9.8p1"),
    ("generic", "1.0rc1", "1.0"),
    ("generic", "2.3.3", "2.3.4"),
    ("generic", "1.2.3-beta.1", "1.2.3"),
]


@pytest.mark.parametrize(("name", "lower", "higher"), ORDERED)
def test_order(name: str, lower: str, higher: str) -> None:
    s = scheme(name)
    assert s.key(lower) < s.key(higher)
    assert s.compare(lower, higher) == -1
    assert s.compare(higher, lower) == 1


@pytest.mark.parametrize(
    ("name", "a", "b"),
    [
        ("fortios", "7.0", "7.0.0"),
        ("sonicos", "6.5.4.15.116n", "6.5.4.15-116n"),
        ("ivanti", "9.0R3", "9.0r3"),
        ("citrix", "13.1-49.15", "13.1.49.15"),
    ],
)
def test_equal_spellings(name: str, a: str, b: str) -> None:
    assert scheme(name).compare(a, b) == 0


def test_naive_float_compare_is_wrong_but_ours_is_right() -> None:
    # why a scheme is needed: as text, "13.1-49.15" < "13.1-9.1"; as releases it is not
    assert "13.1-49.15" < "13.1-9.1"
    assert scheme("citrix").compare("13.1-49.15", "13.1-9.1") == 1


@pytest.mark.parametrize(
    ("name", "version", "branch"),
    [
        ("fortios", "7.0.11", (7, 0)),
        ("panos", "10.2.9-h1", (10, 2)),
        ("ivanti", "22.7R2.3", (22, 7)),
        ("cisco", "9.16(4)19", (9, 16)),
        ("yamaha", "14.01.38", (14, 1)),
    ],
)
def test_branch(name: str, version: str, branch: tuple[int, ...]) -> None:
    assert scheme(name).branch(version) == branch


@pytest.mark.parametrize(
    ("a", "b", "sign"),
    [
        ("1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u2", 1),
        ("9.2p1-2+deb12u3", "9.2p1-2", 1),
        ("1.0~rc1-1", "1.0-1", -1),
        ("1:8.9p1-3ubuntu0.10", "1:8.9p1-3ubuntu0.9", 1),
        ("2:1.0", "1:9.9", 1),
        ("1.0-1", "1.0-1", 0),
    ],
)
def test_debian_compare(a: str, b: str, sign: int) -> None:
    result = debian.compare(a, b)
    assert (result > 0) - (result < 0) == sign


def test_distribution_package_from_banner() -> None:
    assert debian.distribution_package("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3") == (
        "debian",
        "9.2p1-2+deb12u3",
    )
    assert debian.distribution_package("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10") == (
        "ubuntu",
        "8.9p1-3ubuntu0.10",
    )
    assert debian.distribution_package("SSH-2.0-OpenSSH_9.8") is None


def test_highest_fix_per_release_line_compares_versions_not_strings() -> None:
    fortios = scheme("fortios")
    assert fortios.highest_per_line(["7.0.9", "7.0.12", "7.0.10"]) == {(7, 0): "7.0.12"}
    assert fortios.highest_per_line(["7.2.5", "7.0.14", "7.0.12", "7.2.10"]) == {
        (7, 0): "7.0.14",
        (7, 2): "7.2.10",
    }
    assert list(scheme("panos").highest_per_line(["10.2.9-h1", "10.2.9", "10.2.10-h2"])) == [
        (10, 2)
    ]
    assert scheme("panos").highest_per_line(["10.2.9-h1", "10.2.9"]) == {(10, 2): "10.2.9-h1"}
    assert scheme("fortios").highest_per_line([]) == {}


@pytest.mark.parametrize(
    ("name", "raw", "normalised"),
    [
        ("cisco", "Cisco Adaptive Security Appliance Software Version 9.10.1.42", "9.10.1.42"),
        ("cisco", "9.16(4)39", "9.16(4)39"),
        ("cisco", "6.6.0.1", "6.6.0.1"),
        ("nec_ix", "Version 8.9.17B, RELEASE SOFTWARE", "8.9.17B"),
    ],
)
def test_all_parts_are_kept(name: str, raw: str, normalised: str) -> None:
    assert scheme(name).normalise(raw) == normalised


@pytest.mark.parametrize(
    ("name", "lower", "higher"),
    [
        ("cisco", "9.10.1", "9.10.1.42"),
        ("cisco", "9.10.1.41", "9.10(1)42"),
        ("cisco", "9.16(4)38", "9.16.4.39"),
        ("cisco", "6.6.0", "6.6.0.1"),
        ("cisco", "6.6.0.1", "6.6.1"),
        ("nec_ix", "8.9.17", "8.9.17B"),
        ("nec_ix", "8.9.17B", "8.9.18"),
    ],
)
def test_vendor_order(name: str, lower: str, higher: str) -> None:
    assert scheme(name).compare(lower, higher) < 0
    assert scheme(name).compare(higher, lower) > 0


def test_asa_forms_are_one_version() -> None:
    assert scheme("cisco").compare("9.16(4)39", "9.16.4.39") == 0

"""The vendors' version schemes as data: where the version stands, how it is written.

Each entry says why its scheme differs from a plain dotted version; the normalising and
the comparing are ``VersionScheme``'s, once for all of them.
"""

from __future__ import annotations

import re

from kenshin.vulndb.versions._base import VersionScheme

SCHEMES: tuple[VersionScheme, ...] = (
    # Generic dotted and semantic versions (``2.3.4``, ``1.2.0-rc.1``, ``8.5p1``).
    VersionScheme(build_metadata=True),
    # OpenSSH portable: ``9.2p1``; banners ``OpenSSH_9.2p1 Debian-2+deb12u3``.
    VersionScheme("openssh", find=(re.compile(r"(\d+\.\d+(?:\.\d+)?(?:p\d+)?)"),)),
    # Fortinet FortiOS / FortiProxy / FortiManager: ``v7.0.11,build0489 (GA)``. The build
    # number only restates the release (build 0489 *is* 7.0.11), so it is dropped; the
    # branch is major.minor (7.0.x, 7.2.x), which is how Fortinet ships fixes. FortiOS
    # ``get system status`` prints ``Version: FortiGate-60F v7.0.11,build0489,230328 (GA.F)``.
    VersionScheme(
        "fortios",
        find=(re.compile(r"v?(\d+\.\d+(?:\.\d+)?)(?:\s*,\s*build\s*\d+)?", re.IGNORECASE),),
        pad=3,
        plain_numbers=True,
    ),
    # Palo Alto Networks PAN-OS: ``10.2.9-h1`` (hotfix h1 of 10.2.9). Hotfixes sort after
    # their maintenance release and before the next one (``10.2.9 < 10.2.9-h1 < 10.2.9-h3
    # < 10.2.10``). NVD writes hotfixes in the CPE update field (``10.2.9:h1``).
    VersionScheme(
        "panos",
        find=(re.compile(r"(\d+\.\d+(?:\.\d+)?)(?:[-.\s]?(h\d+))?", re.IGNORECASE),),
        pad=3,
        case="lower",
    ),
    # Ivanti Connect Secure / Policy Secure (formerly Pulse Secure): ``22.7R2.3``. ``22.7``
    # is the release line, ``R2.3`` the release on it. NVD lists every affected release as
    # its own CPE with the release in the update field (``9.1:r11.4``); the appliance shows
    # ``22.7R2.3 (build 3431)``. ``R`` sorts after the line it belongs to.
    VersionScheme(
        "ivanti",
        find=(re.compile(r"(\d+\.\d+)\s*[Rr]\s*(\d+(?:\.\d+)*)"), re.compile(r"(\d+\.\d+)")),
        extra="R{}",
        update="{}",
        upper_update=True,
    ),
    # Citrix NetScaler ADC / Gateway: ``13.1-49.15`` (release 13.1, build 49.15). A numeric
    # compare of the whole string fails (``13.1-49.15`` is not a decimal); the release and
    # the build are compared part by part. NVD ranges start at the bare release (``13.1``)
    # which sorts before every build on it.
    VersionScheme(
        "citrix",
        find=(re.compile(r"(\d+\.\d+)(?:\s*[:\-_ ]\s*(?:build\s*)?(\d+\.\d+))?", re.IGNORECASE),),
        letters="ignore",
    ),
    # SonicWall SonicOS and SMA: ``7.0.1-5145``, ``6.5.4.15-116n``, ``5.9.2.14-13o``. The
    # trailing letter (``n``, ``o``, ``sv``) names the build line, not a later release, and
    # NVD writes the build both as ``-116n`` and ``.116n``: letters are ignored and the
    # numbers compared in order.
    VersionScheme(
        "sonicos",
        find=(re.compile(r"(\d+(?:\.\d+)+(?:[-.]\d+[a-z]*|-[a-z]+-\d+[a-z]*)?)", re.IGNORECASE),),
        letters="ignore",
    ),
    # Cisco IOS (``15.9(3)M7``), IOS XE (``17.9.4a``), ASA (``9.16(4)39``) and FTD
    # (``6.6.0.1``). Parentheses are separators, so ASA's ``9.16(4)39`` and the dotted
    # ``9.16.4.39`` that NVD and the advisories also write are one version. Every numeric
    # part is kept: ASA interim releases and FTD patches are the fourth part (``9.10.1.42``,
    # ``6.6.0.1``), and the advisories' fixed releases are four-part, so a version cut to
    # three parts would sit before its own fix. A train letter (``M``) or a rebuild letter
    # (``a``) sorts after the release it extends. The branch is the first two numbers
    # (15.9, 17.9, 9.16, 6.6). ``show version`` prints ``Cisco IOS Software, ... Version
    # 15.9(3)M7, RELEASE SOFTWARE (fc1)`` and ``Cisco Adaptive Security Appliance Software
    # Version 9.16(4)39``.
    VersionScheme(
        "cisco",
        find=(
            re.compile(
                r"(\d+\.\d+(?:\.\d+){0,2}(?:\(\d+[a-z]?\))?(?:[A-Za-z]+\d*[a-z]?)?(?:\d+)?)"
            ),
        ),
        lead=re.compile(r"(?i)^.*?version\s+"),
    ),
    # Juniper Junos OS: ``22.4R3-S2`` (release 22.4, R3, service release S2);
    # ``22.4R3 < 22.4R3-S1 < 22.4R3-S2 < 22.4R4``. NVD writes ``22.4`` with update ``r3-s2``.
    VersionScheme(
        "junos",
        find=(re.compile(r"(\d+\.\d+(?:[RXrx]\d+(?:[-.][A-Za-z]\d+)*(?:\.\d+)?)?)"),),
        case="upper",
        update="{}",
        upper_update=True,
    ),
    # YAMAHA RTX/NVR/FWX/WLX routers: ``Rev.15.02.30``. The revision is three numbers; the
    # first two name the firmware series of a model (RTX830: 15.02, RTX1210: 14.01), so the
    # branch is the first two. ``show environment`` prints ``RTX1210 Rev.14.01.38 (Fri Jul
    # 10 09:44:18 2020)``.
    VersionScheme("yamaha", find=(re.compile(r"(?:Rev\.?\s*)?(\d+\.\d+\.\d+)", re.IGNORECASE),)),
    # NEC UNIVERGE IX routers: ``10.2.16`` (series 10.2, revision 16), ``8.9.17B``. A letter
    # after the revision is a later build of the same revision and is kept: it sorts after
    # the bare revision and before the next one (``8.9.17 < 8.9.17B < 8.9.18``). ``show
    # version`` prints ``IX Series IX2215 (magellan-sec) Software, Version 10.2.16, RELEASE
    # SOFTWARE``.
    VersionScheme(
        "nec_ix",
        find=(
            re.compile(r"(?:Version\s+)?(\d+\.\d+\.\d+[A-Za-z]?)(?![A-Za-z0-9])", re.IGNORECASE),
        ),
    ),
    # Sophos Firewall (SFOS, formerly XG): ``19.5.3 MR-3-Build652``. The maintenance release
    # (MR) number repeats the third part (19.5 MR3 *is* 19.5.3) and the build number
    # restates the release, so the version compared is the three numbers, as NVD and
    # Sophos's advisories write it (``versionEndIncluding 18.5.3`` = "v18.5 MR3 and older").
    # GA releases are ``.0`` (``20.0.0 GA-Build222``).
    VersionScheme("sfos", find=(re.compile(r"(\d+\.\d+(?:\.\d+)?)"),), pad=3),
    # WatchGuard Fireware OS: ``12.7.2 Update 2`` (also written ``12.7.2_U2``). Updates sort
    # after their release (``12.7.2 < 12.7.2_U1 < 12.7.3``); NVD writes the update in the
    # CPE update field (``12.7.2:u1``). A version shown only with a build label
    # (``12.10.2.B692418``) does not say which update is installed, so it is not read as a
    # version at all: the check then says it cannot tell, instead of guessing.
    VersionScheme(
        "fireware",
        find=(
            re.compile(
                r"(\d+\.\d+(?:\.\d+)?)(?:\s*(?:_|\s)\s*(?:U|Update)\s*(\d+)|(?P<unread>\.B\d+))?",
                re.IGNORECASE,
            ),
        ),
        extra="_U{}",
        update="_{}",
        upper_update=True,
    ),
    # Check Point Gaia / Quantum gateways: ``R81.20`` (a major release; Jumbo Hotfix
    # Accumulator takes are installed on top and are not part of the version string). The
    # ``R`` is part of the name as Check Point, NVD (``r81.20``) and the advisories write
    # it; it is kept so that ``R81.20`` compares equal to the CPE's ``r81.20``.
    VersionScheme(
        "checkpoint", find=(re.compile(r"\bR(\d+(?:\.\d+)*)", re.IGNORECASE),), prefix="R"
    ),
)

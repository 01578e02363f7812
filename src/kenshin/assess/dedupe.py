"""The same issue found by two checks is one finding with both evidences.

Two findings describe the same issue when

- they are the same check on the same subject with the same CVEs (the store's
  fingerprint; a scan recorded twice), or
- they name a common CVE about the same asset. The asset of a device finding is the
  device; the asset of a finding on a global address is that address, and also each
  device on the connection point that owns the address — so the firmware check's
  "FortiOS CVE-2023-27997 on DEV-01" and the remote diagnosis's "CVE-2023-27997 on
  198.18.10.10:443" (the address of DEV-01's line) become one issue, or
- they are the same check on the same port of the same address (two probes of one
  service), or the same check on the same device or terminal, or
- they both say a device's firmware version is not known (the device ledger's
  ``firmware.version_unknown`` and the network's ``vulnerability.version_unknown`` of the
  firmware matched to that device): one issue, at one severity rule.

Groups are built with union–find, so A~B and B~C put A, B and C together. The lead
finding of a group is the most severe one (then the one with the highest CVSS).

A "cannot tell" finding (the version is unknown, so the CVEs it names are only at
stake) never merges through those CVEs: a hint is not evidence, and merging it into a
finding for a known version would lend that finding its CVEs. A merged issue keeps the
lowest confidence of what it merges, unless a finding whose version a strong source
confirmed (a high-confidence CVE finding) vouches for it (``merged_confidence``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import ip_address

from kenshin.domain import (
    VERSION_UNKNOWN_CHECKS,
    Confidence,
    ConnectionPoint,
    Engagement,
    Finding,
    FindingCategory,
)

# Findings whose CVEs are what is at stake while the version is unknown, not matches.
HINT_CHECKS = frozenset(
    {
        "firmware.version_unknown",
        "firmware.cannot_tell",
        "vulnerability.version_unknown",
        "vulnerability.cannot_tell",
    }
)


def merged_confidence(findings: Iterable[Finding]) -> Confidence:
    """The confidence of an issue made of ``findings``: the weakest, unless confirmed."""
    items = list(findings)
    if any(
        f.confidence is Confidence.HIGH
        and f.category is FindingCategory.VULNERABILITY
        and f.cves
        and f.check_id not in HINT_CHECKS
        for f in items
    ):
        return Confidence.HIGH
    return max((f.confidence for f in items), key=lambda c: c.doubt, default=Confidence.HIGH)


@dataclass(frozen=True)
class IssueGroup:
    lead: Finding
    findings: tuple[Finding, ...]


def normalise_address(text: str) -> str:
    """The address in its one written form (so ``::0001`` meets ``::1``); other text as is."""
    try:
        return str(ip_address(text))
    except ValueError:
        return text


def _assets(
    finding: Finding, point_of_address: Mapping[str, ConnectionPoint], engagement: Engagement
) -> set[str]:
    subject = finding.subject
    assets: set[str] = set()
    if subject.device_key:
        assets.add(f"device:{subject.device_key}")
    if subject.terminal_key:
        assets.add(f"terminal:{subject.terminal_key}")
    if subject.address:
        address = normalise_address(subject.address)
        assets.add(f"address:{address}")
        point = point_of_address.get(address)
        if point is not None:
            assets.update(f"device:{d.key}" for d in engagement.devices_on(point.key))
    if subject.point_key and not assets:
        assets.add(f"point:{subject.point_key}")
    return assets


def _identity_keys(
    finding: Finding, point_of_address: Mapping[str, ConnectionPoint], engagement: Engagement
) -> set[tuple[str, ...]]:
    subject = finding.subject
    keys: set[tuple[str, ...]] = set()
    for asset in _assets(finding, point_of_address, engagement):
        if finding.check_id in HINT_CHECKS:
            break
        for cve in finding.cves:
            keys.add(("cve", asset, cve.upper()))
    if finding.check_id in VERSION_UNKNOWN_CHECKS and subject.device_key:
        # the ledger's and the network's "version not known" of one device: one issue
        keys.add(("version_unknown", subject.device_key))
    if subject.address:
        keys.add(
            (
                "check",
                finding.check_id,
                normalise_address(subject.address),
                str(subject.port or ""),
                subject.protocol or "tcp",
                ",".join(sorted(finding.cves)),
            )
        )
    else:
        anchor = subject.device_key or subject.terminal_key or subject.point_key or "-"
        keys.add(("check", finding.check_id, anchor, ",".join(sorted(finding.cves))))
    return keys


def group_findings(
    findings: Iterable[Finding],
    point_of_address: Mapping[str, ConnectionPoint],
    engagement: Engagement,
) -> list[IssueGroup]:
    """Partition ``findings`` into issues, keeping the input order within and across groups."""
    items = list(findings)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_holder: dict[tuple[str, ...], int] = {}
    for i, finding in enumerate(items):
        for key in _identity_keys(finding, point_of_address, engagement):
            j = first_holder.setdefault(key, i)
            if j != i:
                root_i, root_j = find(i), find(j)
                if root_i != root_j:
                    parent[max(root_i, root_j)] = min(root_i, root_j)
    members: dict[int, list[Finding]] = {}
    for i, finding in enumerate(items):
        members.setdefault(find(i), []).append(finding)
    groups = []
    for root in sorted(members):
        found = members[root]
        lead = min(
            found,
            key=lambda f: (f.severity.rank, -(f.cvss if f.cvss is not None else -1.0)),
        )
        groups.append(IssueGroup(lead=lead, findings=tuple(found)))
    return groups

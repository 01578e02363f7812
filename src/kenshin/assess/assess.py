"""From raw findings to assessed findings: merged, placed, owned and prioritised.

``assess_findings(engagement, findings)`` is the one entry point. It

1. drops nothing silently: false positives are kept but marked, so the report can
   count them;
2. merges findings that describe the same issue (``dedupe.py``);
3. works out for each issue its area (connection points, firmware, remote diagnosis,
   terminals), its owner (the hospital, or the vendor that manages the device or holds
   the line contract), whether it answers from the internet and how much its asset
   matters, and feeds that to the priority model (``priority.py``);
4. numbers the result F-001, F-002, … in priority order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from kenshin.assess.dedupe import (
    IssueGroup,
    group_findings,
    merged_confidence,
    normalise_address,
)
from kenshin.assess.evidence import clean_evidence, redact
from kenshin.assess.priority import (
    AssetWeight,
    Priority,
    PriorityDecision,
    PriorityFactors,
    decide_priority,
)
from kenshin.domain import (
    ConnectionKind,
    ConnectionPoint,
    ContractHolder,
    Device,
    DeviceRole,
    Engagement,
    Finding,
    FindingCategory,
    FindingStatus,
    HolderKind,
)


class Area(StrEnum):
    """The four parts of the survey a finding belongs to (the report's chart)."""

    CONNECTION_POINTS = "connection_points"
    FIRMWARE = "firmware"
    REMOTE = "remote"
    TERMINALS = "terminals"


AREAS: tuple[Area, ...] = tuple(Area)


@dataclass(frozen=True)
class Owner:
    """Who has to act: the hospital itself or a named vendor / other party."""

    kind: HolderKind
    name: str = ""
    vendor_key: str | None = None


@dataclass(frozen=True)
class Evidence:
    """One check's evidence for an issue, already redacted and trimmed."""

    check_id: str
    subject: str
    text: str


@dataclass(frozen=True)
class AssessedFinding:
    """One issue as the report shows it."""

    id: str
    finding: Finding  # the representative finding (highest severity), text redacted
    merged: tuple[Finding, ...]  # every finding that described this issue
    priority: Priority
    decision: PriorityDecision
    area: Area
    owner: Owner
    target: str  # what it is about, for people: "DEV-01 本館UTM", "198.18.20.20:23/tcp"
    internet_exposed: bool
    asset: AssetWeight
    evidence: tuple[Evidence, ...]
    cves: tuple[str, ...]
    kev: bool
    ransomware: bool
    cvss: float | None
    device_key: str | None = None
    point_key: str | None = None
    terminal_key: str | None = None
    address: str | None = None

    @property
    def status(self) -> FindingStatus:
        return self.finding.status

    @property
    def is_open(self) -> bool:
        """Counts towards the judgement: not fixed and not a false positive."""
        return self.finding.status.is_open

    @property
    def check_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.check_id for f in self.merged))


class _Index:
    """Look-ups into the engagement that every finding needs."""

    def __init__(self, engagement: Engagement) -> None:
        self.engagement = engagement
        self.devices = {d.key: d for d in engagement.devices}
        self.points = {p.key: p for p in engagement.connection_points}
        self.terminals = {t.key: t for t in engagement.terminals}
        self.point_of_address: dict[str, ConnectionPoint] = {}
        for point in engagement.connection_points:
            for address in point.addresses:
                self.point_of_address[str(address.address)] = point

    def holder_owner(self, holder: ContractHolder) -> Owner:
        name = self.engagement.holder_name(holder)
        return Owner(holder.kind, name, holder.vendor_key or None)


def _device_weight(
    engagement: Engagement, device: Device, points: list[ConnectionPoint]
) -> AssetWeight:
    if not engagement.device_in_scope(device):
        return AssetWeight.OUT_OF_SCOPE
    if device.role is DeviceRole.VPN_GATEWAY or any(p.kind.is_remote_entrance for p in points):
        return AssetWeight.REMOTE_ENTRANCE
    # an edge device on an internet line (a VPN gateway is the remote entrance above)
    if device.role.is_edge and any(p.internet_reachable for p in points):
        return AssetWeight.PERIMETER
    return AssetWeight.NORMAL


def _point_weight(point: ConnectionPoint) -> AssetWeight:
    if not point.in_ehr_scope:
        return AssetWeight.OUT_OF_SCOPE
    if point.kind.is_remote_entrance:
        return AssetWeight.REMOTE_ENTRANCE
    if point.internet_reachable:
        return AssetWeight.PERIMETER
    return AssetWeight.NORMAL


def _redacted(finding: Finding) -> Finding:
    return replace(
        finding,
        title_ja=redact(finding.title_ja),
        title_en=redact(finding.title_en),
        description_ja=redact(finding.description_ja),
        description_en=redact(finding.description_en),
        remediation_ja=redact(finding.remediation_ja),
        remediation_en=redact(finding.remediation_en),
        evidence=clean_evidence(finding.evidence),
        status_reason=redact(finding.status_reason),
    )


def _assess_group(group: IssueGroup, index: _Index) -> AssessedFinding:
    lead = group.lead
    device: Device | None = None
    point: ConnectionPoint | None = None
    terminal_key: str | None = None
    address: str | None = None
    port_label: str | None = None
    for finding in group.findings:
        subject = finding.subject
        if subject.device_key and device is None:
            device = index.devices.get(subject.device_key)
        if subject.terminal_key and terminal_key is None:
            terminal_key = subject.terminal_key
        if subject.point_key and point is None:
            point = index.points.get(subject.point_key)
        if subject.address and address is None:
            address = normalise_address(subject.address)
            if subject.port is not None:
                port_label = f"{address}:{subject.port}/{subject.protocol or 'tcp'}"
    if address is not None and point is None:
        point = index.point_of_address.get(address)
    if device is None and point is not None and address is not None:
        on_point = index.engagement.devices_on(point.key)
        if len(on_point) == 1:
            device = on_point[0]
    device_points = (
        [index.points[k] for k in device.connection_points if k in index.points] if device else []
    )
    if point is None and len(device_points) == 1:
        point = device_points[0]

    # exposure: answers from the internet (remote diagnosis saw it, or an internet line's device)
    exposed = address is not None or any(
        p.internet_reachable and p.kind is not ConnectionKind.CLOSED_NETWORK for p in device_points
    )
    if terminal_key is not None and address is None and device is None:
        exposed = False

    if device is not None:
        weight = _device_weight(index.engagement, device, device_points)
    elif point is not None:
        weight = _point_weight(point)
    else:
        weight = AssetWeight.NORMAL

    # area
    if terminal_key is not None:
        area = Area.TERMINALS
    elif address is not None:
        area = Area.REMOTE
    elif device is not None and (lead.category is FindingCategory.VULNERABILITY or lead.cves):
        area = Area.FIRMWARE
    else:
        area = Area.CONNECTION_POINTS

    # owner
    if terminal_key is not None:
        owner = Owner(HolderKind.HOSPITAL)
    elif device is not None:
        owner = index.holder_owner(device.managed_by)
    elif point is not None:
        owner = index.holder_owner(point.contract_holder)
    else:
        owner = Owner(HolderKind.HOSPITAL)

    # target label
    if terminal_key is not None:
        terminal = index.terminals.get(terminal_key)
        target = f"{terminal_key} {terminal.hostname}" if terminal else terminal_key
    elif port_label is not None:
        target = port_label
    elif address is not None:
        target = address
    elif device is not None:
        target = f"{device.key} {device.name}"
    elif point is not None:
        target = f"{point.key} {point.name}"
    else:
        target = lead.subject.describe()

    cves = tuple(dict.fromkeys(c for f in group.findings for c in f.cves))
    cvss_values = [f.cvss for f in group.findings if f.cvss is not None]
    cvss = max(cvss_values) if cvss_values else None
    kev = any(f.kev for f in group.findings)
    ransomware = any(f.ransomware for f in group.findings)
    confidence = merged_confidence(group.findings)
    decision = decide_priority(
        PriorityFactors(
            severity=lead.severity,
            cvss=cvss,
            kev=kev,
            ransomware=ransomware,
            internet_exposed=exposed,
            asset=weight,
            confidence=confidence,
        )
    )
    evidence = tuple(
        Evidence(f.check_id, f.subject.describe(), clean_evidence(f.evidence))
        for f in group.findings
        if f.evidence.strip()
    )
    return AssessedFinding(
        id="",
        finding=_redacted(lead),
        merged=group.findings,
        priority=decision.priority,
        decision=decision,
        area=area,
        owner=owner,
        target=target,
        internet_exposed=exposed,
        asset=weight,
        evidence=evidence,
        cves=cves,
        kev=kev,
        ransomware=ransomware,
        cvss=cvss,
        device_key=device.key if device else None,
        point_key=point.key if point else None,
        terminal_key=terminal_key,
        address=address,
    )


def assess_findings(
    engagement: Engagement, findings: list[Finding] | tuple[Finding, ...]
) -> tuple[AssessedFinding, ...]:
    """Merge, place, own and prioritise ``findings``; numbered in priority order."""
    index = _Index(engagement)
    groups = group_findings(findings, index.point_of_address, index.engagement)
    assessed = [_assess_group(group, index) for group in groups]
    assessed.sort(
        key=lambda a: (
            not a.is_open,
            a.priority.rank,
            -a.decision.score,
            AREAS.index(a.area),
            a.target,
            a.finding.check_id,
        )
    )
    width = max(3, len(str(len(assessed))))
    return tuple(replace(a, id=f"F-{n:0{width}d}") for n, a in enumerate(assessed, start=1))

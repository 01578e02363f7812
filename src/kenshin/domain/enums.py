"""Closed vocabularies shared by every room.

The string values are the wire format: they appear in YAML engagement files, in the
database (with CHECK constraints) and in the ``kenshin.scan/1`` JSON contract, so a
value never changes meaning once released.
"""

from __future__ import annotations

from enum import StrEnum


class RankedEnum(StrEnum):
    """A vocabulary listed from the most to the least pressing: its order is the sort order."""

    @property
    def rank(self) -> int:
        """Sort key: 0 is the first member declared (the most pressing)."""
        return type(self)._member_names_.index(self.name)


class EngagementStatus(StrEnum):
    """Where an engagement stands in the survey."""

    DRAFT = "draft"
    HEARING = "hearing"
    SURVEYING = "surveying"
    DIAGNOSING = "diagnosing"
    REPORTING = "reporting"
    CLOSED = "closed"


class ConnectionKind(StrEnum):
    """What kind of entrance a connection point is."""

    INTERNET = "internet"
    REMOTE_MAINTENANCE = "remote_maintenance"
    CLOSED_NETWORK = "closed_network"
    VPN = "vpn"
    WIRELESS = "wireless"
    OTHER = "other"

    @property
    def is_remote_entrance(self) -> bool:
        """A remote-maintenance or VPN line: the door attackers used at Japanese hospitals
        (the priority model raises it, the checklist's remote-maintenance item reads it)."""
        return self in (ConnectionKind.REMOTE_MAINTENANCE, ConnectionKind.VPN)


class DiagnosisStatus(StrEnum):
    """Whether a connection point's addresses are remote-diagnosis targets, and if not, why."""

    TARGET = "target"
    DYNAMIC = "dynamic"  # a target once its address is confirmed on the diagnosis day
    NO_ADDRESS = "no_address"
    CLOSED = "closed"
    NOT_INTERNET = "not_internet"
    OUT_OF_SCOPE = "out_of_scope"


class HolderKind(StrEnum):
    """Who holds a line contract or manages a device."""

    HOSPITAL = "hospital"
    VENDOR = "vendor"
    OTHER = "other"


class AddressAssignment(StrEnum):
    """Whether a global address is fixed by contract or may change."""

    FIXED = "fixed"
    DYNAMIC = "dynamic"
    UNKNOWN = "unknown"


class DeviceRole(StrEnum):
    ROUTER = "router"
    UTM = "utm"
    FIREWALL = "firewall"
    IPS = "ips"
    IDS = "ids"
    VPN_GATEWAY = "vpn_gateway"
    WIRELESS_AP = "wireless_ap"
    OTHER = "other"

    @property
    def is_edge(self) -> bool:
        """A device at the line's edge, the one attackers reach first: a router, UTM,
        firewall or VPN gateway (the firmware check and the priority model weigh it)."""
        return self in _EDGE_ROLES


_EDGE_ROLES = frozenset(
    {DeviceRole.ROUTER, DeviceRole.UTM, DeviceRole.FIREWALL, DeviceRole.VPN_GATEWAY}
)


class VersionSource(StrEnum):
    """Where a device's firmware version came from, or that nobody could tell."""

    VENDOR = "vendor"
    HOSPITAL = "hospital"
    ONSITE = "onsite"
    BANNER = "banner"
    SNMP = "snmp"
    NOT_OBTAINED = "not_obtained"


class TerminalRole(StrEnum):
    EHR = "ehr"
    DEPARTMENTAL = "departmental"
    OTHER = "other"


class FindingCategory(StrEnum):
    VULNERABILITY = "vulnerability"
    BACKDOOR = "backdoor"
    ACCOUNT = "account"
    EXPOSURE = "exposure"
    CONFIGURATION = "configuration"


class Severity(RankedEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class FindingStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    FIXED = "fixed"
    FALSE_POSITIVE = "false_positive"

    @property
    def is_open(self) -> bool:
        """Counts as an open finding everywhere (judgement, counts, dashboard): not fixed
        and not a false positive. An accepted risk is still a risk the hospital carries."""
        return self in (FindingStatus.OPEN, FindingStatus.ACCEPTED)


class PartState(StrEnum):
    """How much of one part of the survey was carried out (report, checklist, exports)."""

    DONE = "done"
    PARTIAL = "partial"
    NOT_DONE = "not_done"

    @classmethod
    def of(cls, done: int, total: int) -> PartState:
        """``done`` of ``total`` items covered: none (or nothing there to cover) is "not
        done", never "done" — absence of evidence is never "no problems"."""
        if done <= 0:
            return cls.NOT_DONE
        return cls.DONE if done >= total else cls.PARTIAL


class Confidence(StrEnum):
    """How sure a result is; ``inferred`` marks versions deduced from side evidence."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFERRED = "inferred"

    @property
    def doubt(self) -> int:
        """How unsure, 0 for the surest: high, medium, inferred, low. One order for every
        "the weaker of two" and "the surest of many" (the priority model lowers a finding
        in the same order), so an inferred version is surer than a low-confidence one."""
        return _DOUBT[self]


_DOUBT = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.INFERRED: 2, Confidence.LOW: 3}


class AuditOutcome(StrEnum):
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUSED = "refused"
    INTERRUPTED = "interrupted"


class FirmwareStatus(StrEnum):
    """What the firmware check concluded for one device (knowledge base and report)."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    # the version is known, but the data cannot decide some CVEs (platform, patch level,
    # no version data yet) and none is known to apply
    CANNOT_TELL = "cannot_tell"
    VERSION_UNKNOWN = "version_unknown"
    UNKNOWN_PRODUCT = "unknown_product"
    NOT_COVERED = "not_covered"  # the knowledge base has no data on the product line

    @property
    def judged(self) -> bool:
        """The knowledge base placed the version in or out of the affected ranges; every
        other status is a missing answer ("cannot tell", "not covered"), never "clean"."""
        return self in (FirmwareStatus.AFFECTED, FirmwareStatus.NOT_AFFECTED)


class VerdictStatus(StrEnum):
    """One terminal check's conclusion (terminals room, store and report)."""

    OK = "ok"
    WARNING = "warning"
    BAD = "bad"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """0 for the worst (bad); the worst of several verdicts is the lowest rank."""
        return _VERDICT_ORDER.index(self)


_VERDICT_ORDER = (VerdictStatus.BAD, VerdictStatus.WARNING, VerdictStatus.UNKNOWN, VerdictStatus.OK)

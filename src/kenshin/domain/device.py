"""What answers on an address, fused from every port: the device and its components.

Identification looks at one port at a time; a device speaks on several, and tells its
firmware version on only some (SNMP sysDescr, a telnet banner) while its web pages stay
silent. The fusion stage (``kenshin.identify.fusion``) gathers every port's claim and
the engagement's own record of the line into these values, each with where it came
from, so that vulnerabilities are matched once per device at the best version evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from kenshin.domain.enums import Confidence, RankedEnum
from kenshin.net import cpe as cpe_text

VERSION_UNKNOWN_CHECK = "vulnerability.version_unknown"
"""The finding a device whose firmware version no port showed gets (one per device);
the request workflow drafts a firmware request for its line from it."""

FIRMWARE_PARTS = ("o", "h")
"""The CPE parts of an operating system or firmware (and the hardware it runs on): each
is a device of its own, matched by the device's model, said "not covered" when unknown."""


class EvidenceSource(RankedEnum):
    """Where a claim about a device came from, best first (``rank`` 0 is the best).

    A version the vendor reported (read off the device) or that someone read on the
    device itself outranks what the device says over SNMP, SNMP outranks banners and
    pages, and everything outranks inference from static resources.
    """

    REPORTED = "reported"
    SNMP = "snmp"
    BANNER = "banner"
    INFERENCE = "inference"


@dataclass(frozen=True)
class Evidence:
    """One claim (a vendor, a model, a version) and where it was seen."""

    value: str
    source: EvidenceSource
    where: str
    confidence: Confidence = Confidence.HIGH

    def describe(self) -> str:
        return f"{self.value} ({self.source.value}: {self.where})"


@dataclass(frozen=True)
class ExposedPort:
    """A port on which a component answers."""

    protocol: str
    port: int
    service: str = ""

    def describe(self) -> str:
        label = f"{self.port}/{self.protocol}"
        return f"{label} ({self.service})" if self.service else label


@dataclass(frozen=True)
class Component:
    """One product on the device (its firmware, or a server program), matched once.

    ``vendor``/``product`` are the CPE names that identify it in the knowledge base
    (``fortinet``/``fortios``); ``name`` is how people call it. ``version`` is the best
    claim, ``versions`` every claim, best first. ``conflict`` holds the first claim that
    disagrees with the best one (compared in the vendor's version scheme).
    """

    vendor: str
    product: str
    name: str
    part: str = "a"
    version: Evidence | None = None
    versions: tuple[Evidence, ...] = ()
    ports: tuple[ExposedPort, ...] = ()
    conflict: Evidence | None = None
    confidence: Confidence = Confidence.HIGH
    record_key: str | None = None
    """The engagement's device whose reported version this component carries."""

    @property
    def key(self) -> str:
        return f"{self.vendor}:{self.product}"

    def cpe(self) -> str:
        """The CPE 2.3 name without a version (the knowledge base adds the best one)."""
        return cpe_text.bind({"part": self.part, "vendor": self.vendor, "product": self.product})

    def exposed(self) -> str:
        return ", ".join(p.describe() for p in self.ports)


@dataclass(frozen=True)
class HostDevice:
    """One device behind an address: its vendor, model and components with evidence.

    ``record_key`` is the engagement's device (``DEV-01``) on this address's line when
    the evidence agrees it is that one.
    """

    address: str
    index: int = 0
    vendor: Evidence | None = None
    model: Evidence | None = None
    components: tuple[Component, ...] = ()
    record_key: str | None = None

    @property
    def firmware(self) -> Component | None:
        """The component that is the device's operating system or firmware, if known."""
        return next((c for c in self.components if c.part in FIRMWARE_PARTS), None)

    @property
    def label(self) -> str:
        """How findings and reports name the device: "Fortinet FortiGate-60F (7.0.11)"."""
        firmware = self.firmware
        parts = [self.vendor.value if self.vendor else ""]
        model = self.model.value if self.model else (firmware.name if firmware else "")
        if model and not model.lower().startswith(parts[0].lower() or "\0"):
            parts.append(model)
        elif model:
            parts = [model]
        name = " ".join(p for p in parts if p) or (
            self.components[0].name if self.components else self.address
        )
        head = firmware or (self.components[0] if self.record_key and self.components else None)
        if head is not None and head.version is not None:
            name += f" ({head.version.value})"
        if self.record_key:
            name = f"{self.record_key} {name}"
        return name

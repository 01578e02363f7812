"""Scan settings: the conservative hospital profile, the fast lab profile, and overrides.

The hospital profile is what a real survey uses by default: a modest packet rate per
address (300 probes/s) and few connections per host, so that an old router or UTM is
never overwhelmed; many addresses are scanned side by side, each at that rate. The lab
profile is for the project's own test lab and benchmarks. The surveyor changes any
value with ``ScanSettings.with_changes`` (the CLI's ``--rate`` and friends).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from kenshin.scan.errors import ScanError


class TcpMode(StrEnum):
    """How TCP ports are probed: ``auto`` is SYN when root, else connect."""

    AUTO = "auto"
    CONNECT = "connect"
    SYN = "syn"


@dataclass(frozen=True)
class ScanSettings:
    """The defaults are the hospital profile, what a real survey uses."""

    profile: str = "hospital"
    rate: float = 6000.0  # the fleet: 20 addresses at their full rate, about 3 Mbit/s of probes
    """Probes (packets or connection attempts) per second, all hosts together: the cap of
    the scanning machine's whole fleet of targets (its uplink), not a target's limit."""
    global_concurrency: int = 64
    """Connection attempts in flight at once, all hosts together (connect mode)."""
    per_host_concurrency: int = 8
    """Connection attempts in flight at once towards one host (connect mode)."""
    initial_timeout: float = 2.0
    """Seconds to wait for an answer before any round-trip time was measured."""
    min_timeout: float = 0.5
    max_timeout: float = 5.0
    retries: int = 1
    """Extra tries for a probe that got no answer at all (never for answered ones)."""
    udp_wait: float = 3.0
    """Seconds to keep listening for UDP replies and ICMP errors after the last probe."""
    max_reply_bytes: int = 4096
    """Bytes read from any one reply (memory per probe is capped by this)."""
    target_rate: float = 300.0
    """Probes per second towards any one address at most, enforced per address
    (``TargetPacing``): a scan of N addresses may send ``min(rate, target_rate × N)`` in
    all, so the fleet's throughput grows with its targets while each target's stays put."""
    adaptive: bool = True
    """Lower the rate on loss or ICMP rate limiting and raise it back (``AdaptiveRate``)."""

    def ceiling(self, targets: int) -> float:
        """The highest rate a scan of ``targets`` addresses may send at, all together."""
        return min(self.rate, self.target_rate * max(1, targets))

    def validate(self) -> ScanSettings:
        checks = (
            ("rate", self.rate > 0 and self.rate <= 1_000_000),
            ("global_concurrency", 1 <= self.global_concurrency <= 65_536),
            ("per_host_concurrency", 1 <= self.per_host_concurrency <= 65_536),
            ("initial_timeout", 0 < self.initial_timeout <= 60),
            ("min_timeout", 0 < self.min_timeout <= self.max_timeout),
            ("max_timeout", 0 < self.max_timeout <= 120),
            ("retries", 0 <= self.retries <= 5),
            ("udp_wait", 0 < self.udp_wait <= 60),
            ("max_reply_bytes", 1 <= self.max_reply_bytes <= 1_048_576),
            ("target_rate", 0 < self.target_rate <= 1_000_000),
        )
        for name, ok in checks:
            if not ok:
                raise ScanError("scan.bad_setting", name=name, value=getattr(self, name))
        if self.per_host_concurrency > self.global_concurrency:
            raise ScanError(
                "scan.conflicting_concurrency",
                per_host=self.per_host_concurrency,
                total=self.global_concurrency,
            )
        return self

    def with_changes(self, **changes: float | int | bool | None) -> ScanSettings:
        """A copy with the given values changed (None leaves a value as it is), validated."""
        given = {k: v for k, v in changes.items() if v is not None}
        unknown = set(given) - set(asdict(self))
        if unknown:
            raise ScanError("scan.bad_setting", name=", ".join(sorted(unknown)), value="?")
        return replace(self, **given).validate()  # type: ignore[arg-type]

    def as_options(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


HOSPITAL = ScanSettings().validate()

LAB = replace(
    HOSPITAL,
    profile="lab",
    rate=200_000.0,
    global_concurrency=8192,
    per_host_concurrency=4096,
    initial_timeout=0.5,
    min_timeout=0.15,
    max_timeout=1.5,
    udp_wait=1.0,
    target_rate=1_000_000.0,
    adaptive=False,
).validate()

PROFILES: dict[str, ScanSettings] = {"hospital": HOSPITAL, "lab": LAB}


def profile(name: str) -> ScanSettings:
    try:
        return PROFILES[name]
    except KeyError:
        raise ScanError(
            "scan.unknown_profile", name=name, allowed=", ".join(sorted(PROFILES))
        ) from None

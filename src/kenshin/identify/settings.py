"""How hard identification tries: time and byte bounds, probes per port, connections per host."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdentifySettings:
    """Bounds for every wait and read of the identification stage.

    The defaults are polite enough for a hospital's edge and still fast on a lab:
    every read stops at ``banner_bytes``; every wait stops at its timeout; a port is
    given up (reported as unknown, low confidence) after ``port_timeout`` seconds.
    """

    connect_timeout: float = 3.0
    banner_wait: float = 2.0  # how long a silent port may stay silent before we speak
    read_timeout: float = 3.0  # first byte of an answer to a probe
    idle_timeout: float = 0.3  # after data, this long without more ends the answer
    port_timeout: float = 30.0  # the whole identification of one port
    banner_bytes: int = 16_384  # cap of one answer kept in memory
    http_body_bytes: int = 65_536  # cap of one HTTP answer (page, favicon, static file)
    max_probes: int = 8  # TCP probes tried on one port after the banner wait
    max_udp_probes: int = 40  # UDP probes sent (at once, one datagram each) to one port
    max_http_requests: int = 16  # HTTP requests on one port (paths, redirects, favicon)
    concurrency_per_host: int = 8  # ports identified at once on one host
    udp_retries: int = 1  # extra sends of a UDP probe that got no answer
    tls_min_version: str = "TLSv1"  # oldest protocol offered, appliances are often old

    def __post_init__(self) -> None:
        for name in (
            "connect_timeout",
            "banner_wait",
            "read_timeout",
            "idle_timeout",
            "port_timeout",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in (
            "banner_bytes",
            "http_body_bytes",
            "max_probes",
            "max_http_requests",
            "concurrency_per_host",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.udp_retries < 0:
            raise ValueError("udp_retries must not be negative")


# The test lab: fast answers, more probes; a long port timeout so a banner trickling
# in one byte per second (the lab's "slow" host) is still read to its end.
LAB_SETTINGS = IdentifySettings(
    connect_timeout=1.0,
    banner_wait=1.0,
    read_timeout=1.5,
    idle_timeout=0.15,
    port_timeout=60.0,
    max_probes=12,
    concurrency_per_host=32,
)

"""One order of confidence (high, medium, inferred, low) for every rule that compares two.

The priority model lowers an inferred version by 1.0 and a low-confidence one by 1.5, so
an inferred version is the surer of the two: the fusion stage (a product's surest
identification), the known-vulnerability check (the weaker of match and version) and the
merging of findings (the weakest of an issue) must read it the same way.
"""

from __future__ import annotations

from kenshin.assess.dedupe import merged_confidence
from kenshin.assess.priority import CONFIDENCE_LOWER
from kenshin.domain import (
    Confidence,
    Finding,
    FindingCategory,
    FindingSubject,
    HostResult,
    PortResult,
    PortState,
    Protocol,
    ServiceIdentity,
    Severity,
)
from kenshin.identify.fusion import fuse_host

SURE_FIRST = (Confidence.HIGH, Confidence.MEDIUM, Confidence.INFERRED, Confidence.LOW)


def test_doubt_orders_every_confidence_as_the_priority_model_lowers_it() -> None:
    assert sorted(Confidence, key=lambda c: c.doubt) == list(SURE_FIRST)
    assert sorted(Confidence, key=CONFIDENCE_LOWER.__getitem__) == list(SURE_FIRST)


def _port(number: int, confidence: Confidence) -> PortResult:
    identity = ServiceIdentity(
        service="https",
        product="Ivanti Connect Secure",
        cpe=("cpe:2.3:a:ivanti:connect_secure:*:*:*:*:*:*:*:*",),
        confidence=confidence,
    )
    return PortResult(Protocol.TCP, number, PortState.OPEN, identity=identity)


def test_a_product_seen_inferred_and_low_is_as_sure_as_the_inferred_sighting() -> None:
    host = HostResult(
        "198.18.20.20", (_port(443, Confidence.LOW), _port(8443, Confidence.INFERRED))
    )
    (device,) = fuse_host(host)
    (component,) = device.components
    assert component.confidence is Confidence.INFERRED


def test_an_issue_merged_from_inferred_and_low_findings_is_low() -> None:
    def finding(confidence: Confidence) -> Finding:
        return Finding(
            check_id="exposure.x",
            category=FindingCategory.EXPOSURE,
            severity=Severity.LOW,
            title_ja="x",
            title_en="x",
            subject=FindingSubject(address="198.18.20.20"),
            confidence=confidence,
        )

    merged = merged_confidence([finding(Confidence.LOW), finding(Confidence.INFERRED)])
    assert merged is Confidence.LOW

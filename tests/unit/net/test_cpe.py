"""CPE names read once, escapes respected: the knowledge base, identification, nmap XML."""

from __future__ import annotations

import pytest

from kenshin.domain import Confidence, PortResult, PortState, Protocol, ServiceIdentity
from kenshin.domain.device import Component
from kenshin.identify.fusion import _product_key
from kenshin.net import cpe
from kenshin.scan.export import _cpe22, _cpe23
from kenshin.vulndb.cpe import CPE, CPEError

ESCAPED = r"cpe:2.3:a:foo:bar\:baz:1.0:*:*:*:*:*:*:*"


def test_an_escaped_colon_stays_inside_its_value() -> None:
    values = cpe.parse_formatted(ESCAPED)
    assert len(values) == 11
    assert values[1:4] == ("foo", "bar:baz", "1.0")
    assert cpe.bind(dict(zip(cpe.ATTRIBUTES, values, strict=True))) == ESCAPED
    assert cpe.is_valid_formatted(ESCAPED)


def test_the_knowledge_base_reads_the_same_value() -> None:
    parsed = CPE.parse(ESCAPED)
    assert (parsed.vendor, parsed.product, parsed.version) == ("foo", "bar:baz", "1.0")
    assert parsed.bind() == ESCAPED
    with pytest.raises(CPEError):
        CPE.parse("cpe:2.3:a:foo:bar\\")


def test_nmap_uri_keeps_an_escaped_value_whole() -> None:
    uri = _cpe22(ESCAPED)
    assert uri == "cpe:/a:foo:bar%3Abaz:1.0"
    assert _cpe23(uri) == ESCAPED
    assert _cpe22("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*") == "cpe:/a:openbsd:openssh:9.2p1"
    assert _cpe22("not a cpe") == "not a cpe"


def test_identification_reads_vendor_and_product_through_escapes() -> None:
    identity = ServiceIdentity(
        service="http",
        product="bar:baz",
        version="1.0",
        cpe=(ESCAPED,),
        confidence=Confidence.HIGH,
        evidence="test",
    )
    port = PortResult(Protocol.TCP, 80, PortState.OPEN, identity=identity)
    assert _product_key(port) == ("a", "foo", "bar:baz", "1.0")


@pytest.mark.parametrize(
    "bad",
    [
        "cpe:2.3:a:foo:bar:1.0",  # too few attributes
        "cpe:2.3:x:foo:bar:1.0:*:*:*:*:*:*:*",  # no such part
        "cpe:2.3:a:foo::1.0:*:*:*:*:*:*:*",  # an empty value
        "cpe:/z:foo",
    ],
)
def test_malformed_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a CPE"):
        cpe.parse(bad)


def test_a_device_component_binds_its_name_with_escapes() -> None:
    component = Component(vendor="foo", product="bar:baz", name="Bar Baz")
    assert component.cpe() == r"cpe:2.3:a:foo:bar\:baz:*:*:*:*:*:*:*:*"
    assert CPE.parse(component.cpe()).product == "bar:baz"

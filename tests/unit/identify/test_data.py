"""The identification data files: every rule compiles, every CPE template renders to a
valid CPE 2.3 name, every file says its source, and bad data is refused clearly."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from kenshin.identify import IdentifyError, load_knowledge
from kenshin.identify import rules as r
from kenshin.net.cpe import escape_value, parse_formatted
from kenshin.net.cpe import is_valid_formatted as is_valid_cpe23

DATA = resources.files("kenshin.identify") / "data"


def test_every_data_file_states_its_source() -> None:
    for entry in DATA.iterdir():
        if entry.name.endswith(".yaml"):
            head = entry.read_text(encoding="utf-8")[:3000]
            assert re.search(r"(?i)source", head), entry.name
            assert "2026" in head, entry.name


def test_knowledge_loads_and_is_consistent() -> None:
    knowledge = load_knowledge()
    names = {p.name for p in knowledge.probes}
    assert {"banner", "tls", "http-get", "snmp-v2c-sysdescr", "ike-main-mode"} <= names
    for rule in knowledge.rules:
        assert rule.probes <= names, rule.id
        assert rule.service, rule.id
        assert " " not in rule.service, rule.id
    for fingerprint in knowledge.http_fingerprints:
        assert set(fingerprint.infer) <= set(knowledge.inference), fingerprint.id
    assert len({v.prefix for v in knowledge.vendor_ids}) == len(knowledge.vendor_ids)


def _sample_values(template: str) -> dict[str, str]:
    return {
        name: "1.2" if "version" in name or name in {"base", "num"} else "x1"
        for name in re.findall(r"\{(\w+)\}", template)
    }


def test_every_cpe_template_renders_valid_cpe23() -> None:
    knowledge = load_knowledge()
    templates = [c for rule in knowledge.rules for c in rule.cpe]
    templates += [c for f in knowledge.http_fingerprints for c in f.cpe]
    templates += [c for t in knowledge.inference.values() for c in t.cpe]
    assert len(templates) > 40
    for template in templates:
        rendered = r.render_cpe(template, _sample_values(template))
        assert is_valid_cpe23(rendered), template
        assert len(parse_formatted(rendered)) == 11, template


def test_every_rule_matches_nothing_on_empty_and_random_text() -> None:
    knowledge = load_knowledge()
    noise = "lorem ipsum dolor sit amet\r\n" * 4
    for rule in knowledge.rules:
        assert rule.pattern.search("") is None, rule.id
        assert rule.pattern.search(noise) is None, rule.id


def test_inference_tables_have_dated_releases() -> None:
    tables = load_knowledge().inference
    fortios = tables["fortios.static-etag"]
    assert {x.version for x in fortios.releases} >= {"7.0.11", "7.0.12", "7.2.5", "7.4.2"}
    days = [x.built for x in fortios.releases]
    assert len(days) == len(set(days)), "two releases built the same day cannot be told apart"
    assert all(x.moment is not None for x in tables["bigip.tmui-logo-mtime"].releases)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("cpe:2.3:o:fortinet:fortios:7.0.11:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:ivanti:connect_secure:22.7:r2.3:*:*:*:*:*:*", True),
        ("cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*", True),
        ("cpe:2.3:a:debian:x:2\\+deb12u7:*:*:*:*:*:*:*", True),
        ("cpe:2.3:a:openbsd:openssh:9.2 p1:*:*:*:*:*:*:*", False),
        ("cpe:2.3:a:openbsd:openssh", False),
        ("cpe:/a:openbsd:openssh:9.2", False),
        ("cpe:2.3:x:openbsd:openssh:9.2:*:*:*:*:*:*:*", False),
    ],
)
def test_cpe23_validation(value: str, valid: bool) -> None:
    assert is_valid_cpe23(value) is valid


def test_cpe_escaping() -> None:
    assert escape_value("2+deb12u7") == "2\\+deb12u7"
    assert escape_value("IX2215") == "ix2215"
    assert escape_value("") == "*"
    assert r.render_cpe("cpe:2.3:a:x:y:{version}:*:*:*:*:*:*:*", {}) == (
        "cpe:2.3:a:x:y:*:*:*:*:*:*:*:*"
    )


def test_bad_regex_is_refused_with_the_place() -> None:
    with pytest.raises(IdentifyError) as caught:
        r._rule("test.yaml", {"id": "bad", "pattern": "([", "service": "x"}, set())
    assert "bad" in caught.value.message("en")
    assert "regex" in caught.value.message("en")


def test_bad_cpe_template_is_refused() -> None:
    with pytest.raises(IdentifyError, match="CPE"):
        r._rule(
            "test.yaml",
            {"id": "c", "pattern": "x", "service": "x", "cpe": ["cpe:2.3:a:broken"]},
            set(),
        )


def test_unknown_probe_and_decoder_are_refused() -> None:
    with pytest.raises(IdentifyError, match="unknown probes"):
        r._rule("t.yaml", {"id": "p", "pattern": "x", "service": "x", "probes": ["nope"]}, set())
    with pytest.raises(IdentifyError, match="unknown decoder"):
        r._probe("t.yaml", {"name": "p", "decoder": "nope"})
    with pytest.raises(IdentifyError, match="hexadecimal"):
        r._probe("t.yaml", {"name": "p", "payload_hex": "zz"})


def test_inference_release_without_its_date_is_refused() -> None:
    with pytest.raises(IdentifyError, match="lacks"):
        r._table(
            "t.yaml",
            {
                "id": "t",
                "product": "P",
                "decode": "etag_hex_unix",
                "resources": ["/a"],
                "releases": [{"version": "1.0"}],
            },
        )

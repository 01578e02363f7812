"""The scope gate: which engagement addresses may be probed, when, and what refusals say.

Engagement addresses here are in the lab range 198.18.0.0/15 (which the scope accepts in
place of global addresses); nothing in this file sends a packet.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kenshin
from kenshin.cli.targets import TargetStatus, address_statuses
from kenshin.domain import (
    AddressAssignment,
    AddressConfirmation,
    Authorisation,
    ConnectionKind,
    ConnectionPoint,
    DiagnosisWindow,
    Engagement,
    EngagementStatus,
    GlobalAddress,
    Institution,
)
from kenshin.scope import LabPermission, ScopeError, adhoc_scope, scope_for_engagement

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)  # 22:00 JST on 2026-12-03


def point(
    key: str,
    address: str,
    *,
    kind: ConnectionKind = ConnectionKind.INTERNET,
    in_scope: bool = True,
    internet: bool = True,
    assignment: AddressAssignment = AddressAssignment.FIXED,
    confirmations: tuple[AddressConfirmation, ...] = (),
) -> ConnectionPoint:
    return ConnectionPoint(
        key=key,
        name=key,
        kind=kind,
        in_ehr_scope=in_scope,
        scope_reason="" if in_scope else "separate guest network",
        internet_reachable=internet,
        addresses=(GlobalAddress(ip_address(address), assignment, confirmations),),
    )


def engagement(*points: ConnectionPoint, **changes: object) -> Engagement:
    base = Engagement(
        code="test-2026",
        title="test",
        institution=Institution(name="架空病院"),
        window=DiagnosisWindow(NOW - timedelta(hours=2), NOW + timedelta(hours=8)),
        authorisation=Authorisation("院長", NOW - timedelta(days=10), "承諾書"),
        connection_points=points,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_fixed_internet_address_is_a_target() -> None:
    scope = scope_for_engagement(engagement(point("CP-01", "198.18.113.10")), NOW)
    assert [str(a) for a in scope.default_targets()] == ["198.18.113.10"]
    assert scope.allows("198.18.113.10")
    assert not scope.allows("198.18.113.11")


def test_missing_authorisation_refuses_everything() -> None:
    with pytest.raises(ScopeError) as refused:
        scope_for_engagement(engagement(point("CP-01", "198.18.113.10"), authorisation=None), NOW)
    assert refused.value.key == "scope.no_authorisation"
    assert "承諾" in refused.value.message("ja")
    assert "authorisation" in refused.value.message("en")


def test_missing_window_refuses() -> None:
    with pytest.raises(ScopeError) as refused:
        scope_for_engagement(engagement(point("CP-01", "198.18.113.10"), window=None), NOW)
    assert refused.value.key == "scope.no_window"


@pytest.mark.parametrize("offset", [timedelta(hours=-3), timedelta(hours=9)])
def test_outside_the_window_refuses(offset: timedelta) -> None:
    with pytest.raises(ScopeError) as refused:
        scope_for_engagement(engagement(point("CP-01", "198.18.113.10")), NOW + offset)
    assert refused.value.key == "scope.outside_window"
    assert "JST" in refused.value.message("ja")


def test_closed_network_is_never_a_target() -> None:
    scope = scope_for_engagement(
        engagement(
            point("CP-01", "198.18.113.10"),
            point("CP-03", "198.51.100.7", kind=ConnectionKind.CLOSED_NETWORK, internet=False),
        ),
        NOW,
    )
    assert not scope.allows("198.51.100.7")
    with pytest.raises(ScopeError) as refused:
        scope.check("198.51.100.7")
    assert refused.value.key == "scope.closed_network"
    assert "閉域網" in refused.value.message("ja")


@pytest.mark.parametrize(
    ("in_scope", "internet", "kind", "status", "expected"),
    [
        (False, False, ConnectionKind.CLOSED_NETWORK, "closed", "scope.closed_network"),
        (True, False, ConnectionKind.CLOSED_NETWORK, "closed", "scope.closed_network"),
        (False, True, ConnectionKind.INTERNET, "out_of_scope", "scope.out_of_ehr_scope"),
        (True, False, ConnectionKind.REMOTE_MAINTENANCE, "not_internet", "scope.not_internet"),
    ],
)
def test_the_scope_and_the_report_give_one_reason(
    in_scope: bool, internet: bool, kind: ConnectionKind, status: str, expected: str
) -> None:
    """Both read ``ConnectionPoint.diagnosis_status``: a closed network that is also
    outside the EHR scope is refused as a closed network, and the report says the same
    (it used to say "out of scope" while the scope said "closed network")."""
    odd = point("CP-09", "198.18.113.99", kind=kind, in_scope=in_scope, internet=internet)
    scope = scope_for_engagement(engagement(point("CP-01", "198.18.113.10"), odd), NOW)
    with pytest.raises(ScopeError) as refused:
        scope.check("198.18.113.99")
    assert refused.value.key == expected
    assert odd.diagnosis_status.value == status  # what the report words


def test_out_of_ehr_scope_and_not_internet_are_excluded() -> None:
    scope = scope_for_engagement(
        engagement(
            point("CP-01", "198.18.113.10"),
            point("CP-04", "198.18.113.40", in_scope=False),
            point("CP-05", "198.18.113.50", internet=False),
        ),
        NOW,
    )
    assert scope.allows("198.18.113.10")
    for address, key in (
        ("198.18.113.40", "scope.out_of_ehr_scope"),
        ("198.18.113.50", "scope.not_internet"),
    ):
        with pytest.raises(ScopeError) as refused:
            scope.check(address)
        assert refused.value.key == key


def confirmed(at: datetime) -> tuple[AddressConfirmation, ...]:
    return (AddressConfirmation(at, "病院 情報課"),)


def test_dynamic_address_needs_a_confirmation_on_the_japan_date() -> None:
    unconfirmed = point("CP-02", "198.18.113.20", assignment=AddressAssignment.DYNAMIC)
    with pytest.raises(ScopeError) as refused:
        scope_for_engagement(engagement(unconfirmed), NOW)
    assert refused.value.key == "scope.no_targets_because"
    assert "動的IP" in refused.value.message("ja")

    today_jst = point(
        "CP-02",
        "198.18.113.20",
        assignment=AddressAssignment.DYNAMIC,
        # 2026-12-03 09:30 JST is 00:30 UTC the same day
        confirmations=confirmed(datetime(2026, 12, 3, 0, 30, tzinfo=UTC)),
    )
    assert scope_for_engagement(engagement(today_jst), NOW).allows("198.18.113.20")


def test_confirmation_on_the_previous_japan_day_does_not_count() -> None:
    # 2026-12-02 23:30 JST == 2026-12-02 14:30 UTC: yesterday in Japan
    yesterday = point(
        "CP-02",
        "198.18.113.20",
        assignment=AddressAssignment.DYNAMIC,
        confirmations=confirmed(datetime(2026, 12, 2, 14, 30, tzinfo=UTC)),
    )
    scope = scope_for_engagement(engagement(point("CP-01", "198.18.113.10"), yesterday), NOW)
    assert not scope.allows("198.18.113.20")
    with pytest.raises(ScopeError) as refused:
        scope.check("198.18.113.20")
    assert refused.value.key == "scope.dynamic_unconfirmed"
    assert "2026-12-03" in refused.value.message("ja")


def test_confirmation_later_the_same_day_does_not_count_yet() -> None:
    """The scope, ``kenshin targets list`` and the report share one rule (issue #20): a
    confirmation recorded after the moment asked about cannot have authorised it."""
    later = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # 23:00 JST, after NOW (22:00 JST)
    dynamic = point(
        "CP-02",
        "198.18.113.20",
        assignment=AddressAssignment.DYNAMIC,
        confirmations=confirmed(later),
    )
    scope = scope_for_engagement(engagement(point("CP-01", "198.18.113.10"), dynamic), NOW)
    assert not scope.allows("198.18.113.20")
    address = dynamic.addresses[0]
    assert address.confirmation_for(NOW) is None
    assert address.confirmation_for(later) == address.confirmations[0]
    statuses = {str(s.address): s for s in address_statuses(engagement(dynamic), NOW)}
    assert statuses["198.18.113.20"].status is TargetStatus.NOT_CONFIRMED
    assert address_statuses(engagement(dynamic), later)[0].status is TargetStatus.CONFIRMED_TODAY


def test_utc_date_differs_but_japan_date_is_today() -> None:
    # scan at 2026-12-03 00:30 JST (2026-12-02 15:30 UTC); confirmed 00:10 JST the same day
    now = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    dynamic = point(
        "CP-02",
        "198.18.113.20",
        assignment=AddressAssignment.DYNAMIC,
        confirmations=confirmed(datetime(2026, 12, 2, 15, 10, tzinfo=UTC)),
    )
    e = engagement(
        dynamic, window=DiagnosisWindow(now - timedelta(hours=1), now + timedelta(hours=1))
    )
    assert scope_for_engagement(e, now).allows("198.18.113.20")


def test_foreign_address_is_refused_with_how_to_authorise() -> None:
    scope = scope_for_engagement(engagement(point("CP-01", "198.18.113.10")), NOW)
    with pytest.raises(ScopeError) as refused:
        scope.check("192.0.2.99")
    assert refused.value.key == "scope.not_in_engagement"
    assert "承諾" in refused.value.message("ja")
    with pytest.raises(ScopeError):
        scope.select([ip_address("198.18.113.10"), ip_address("192.0.2.99")])


def test_private_address_in_an_engagement_is_not_probed() -> None:
    scope = scope_for_engagement(
        engagement(point("CP-01", "198.18.113.10"), point("CP-06", "10.1.2.3")), NOW
    )
    with pytest.raises(ScopeError) as refused:
        scope.check("10.1.2.3")
    assert refused.value.key == "scope.not_global"


def test_adhoc_scope_is_loopback_only() -> None:
    scope = adhoc_scope(env={})
    assert scope.allows("127.0.0.1")
    assert scope.allows("127.200.1.1")
    assert scope.allows("::1")
    for address in ("198.18.0.1", "192.0.2.1", "10.0.0.1", "8.8.8.8", "::ffff:8.8.8.8", "fe80::1"):
        assert not scope.allows(address), address
    with pytest.raises(ScopeError) as refused:
        scope.check("198.18.0.1")
    assert refused.value.key == "scope.adhoc_refused"
    assert "KENSHIN_LAB_TARGETS" in refused.value.message("en")


def test_lab_range_needs_an_explicit_setting() -> None:
    assert not adhoc_scope(env={"KENSHIN_LAB_TARGETS": "yes"}).allows("198.18.0.1")
    assert adhoc_scope(env={"KENSHIN_LAB_TARGETS": "1"}).allows("198.19.255.254")
    lab = adhoc_scope(LabPermission(), env={})
    assert lab.allows("198.18.0.1")
    assert not lab.allows("198.20.0.1")
    assert not lab.allows("192.0.2.1")


kinds = st.sampled_from(list(ConnectionKind))
assignments = st.sampled_from(list(AddressAssignment))


@st.composite
def points(draw: st.DrawFn, index: int) -> ConnectionPoint:
    kind = draw(kinds)
    internet = draw(st.booleans()) and kind is not ConnectionKind.CLOSED_NETWORK
    confirmation_times = draw(
        st.lists(
            st.datetimes(
                min_value=datetime(2026, 12, 1),
                max_value=datetime(2026, 12, 5),
                timezones=st.just(UTC),
            ),
            max_size=2,
        )
    )
    return point(
        f"CP-{index:02d}",
        f"198.18.113.{index}",
        kind=kind,
        in_scope=draw(st.booleans()),
        internet=internet,
        assignment=draw(assignments),
        confirmations=tuple(AddressConfirmation(t, "x") for t in confirmation_times),
    )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda n: st.tuples(*[points(i + 1) for i in range(n)])
    )
)
def test_every_engagement_address_follows_the_rules(drawn: tuple[ConnectionPoint, ...]) -> None:
    e = engagement(*drawn)
    expected = set()
    for p in drawn:
        address = p.addresses[0]
        dynamic_ok = address.assignment is not AddressAssignment.DYNAMIC or any(
            (c.confirmed_at + timedelta(hours=9)).date() == datetime(2026, 12, 3).date()
            and c.confirmed_at <= NOW
            for c in address.confirmations
        )
        if p.is_diagnosis_candidate and dynamic_ok:
            expected.add(str(address.address))
    try:
        scope = scope_for_engagement(e, NOW)
    except ScopeError:
        assert not expected
        return
    allowed = {str(a) for a in scope.default_targets()}
    assert allowed == expected
    for p in drawn:
        assert scope.allows(p.addresses[0].address) == (str(p.addresses[0].address) in expected)
    assert not scope.allows("127.0.0.1")


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda n: st.tuples(*[points(i + 1) for i in range(n)])
    ),
    st.sampled_from(list(EngagementStatus)),
)
def test_a_closed_engagement_has_no_target(
    drawn: tuple[ConnectionPoint, ...], status: EngagementStatus
) -> None:
    """Whatever its lines, authorised and inside its window: closed, it allows no address
    (the refusal is the one closed-engagement sentence); any other status leaves the
    scope to its lines."""
    e = engagement(*drawn, point("CP-99", "198.18.113.99"), status=status)
    if status is not EngagementStatus.CLOSED:
        assert scope_for_engagement(e, NOW).allows("198.18.113.99")
        return
    with pytest.raises(ScopeError) as refused:
        scope_for_engagement(e, NOW)
    assert refused.value.key == "engagement.closed"
    assert "test-2026" in refused.value.message("ja")


def test_the_lab_range_is_defined_once() -> None:
    """Only the scope says what the lab range is; every other module asks it."""
    source = Path(kenshin.__file__).parent
    definitions = re.compile(r"""(?:Network|ip_network)\(\s*["']198\.18\.0\.0/15""")
    found = sorted(
        str(path.relative_to(source))
        for path in source.rglob("*.py")
        if definitions.search(path.read_text(encoding="utf-8"))
    )
    assert found == ["scope/_scope.py"]


@pytest.mark.parametrize("group", ["224.0.1.1", "239.1.1.1", "ff0e::1", "ff02::1"])
def test_a_multicast_group_in_an_engagement_is_not_probed(group: str) -> None:
    """Python calls multicast groups global; the WAN reader already refused them as a
    device's own address, the scope took them as targets (ff02::1: the whole local link)."""
    scope = scope_for_engagement(
        engagement(point("CP-01", "198.18.113.10"), point("CP-06", group)), NOW
    )
    with pytest.raises(ScopeError) as refused:
        scope.check(group)
    assert refused.value.key == "scope.not_global"

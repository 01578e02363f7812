"""Adaptive pacing: lowered on loss or falling answers, raised back, never above the ceiling."""

from __future__ import annotations

from kenshin.scan import HOSPITAL, LAB
from kenshin.scan.engine import pacer, target_pacing
from kenshin.scan.pacing import AdaptiveRate, RateChange, TargetPacing, TokenBucket


def test_loss_halves_the_rate_and_calm_raises_it_back_to_the_ceiling() -> None:
    seen: list[RateChange] = []
    pace = AdaptiveRate(300.0, interval=0.0, on_change=seen.append)
    pace.observe(answered=1, dropped=1)
    assert pace.rate == 150.0
    assert seen[-1].reason == "loss"
    for _ in range(20):
        pace.reserve(1)
    assert pace.rate == 300.0  # back up, and no further
    assert all(change.new <= 300.0 for change in seen)
    assert [c.reason for c in seen].count("recovered") == 4  # +37.5 four times
    assert pace.changes == seen
    assert seen[0].as_dict()["from"] == 300.0


def test_rate_never_falls_below_its_floor() -> None:
    pace = AdaptiveRate(320.0, interval=0.0)
    for _ in range(30):
        pace.observe(dropped=1)
    assert pace.rate == 20.0  # a sixteenth of the ceiling
    assert pace.floor == 20.0


def test_answers_falling_to_half_lowers_the_rate() -> None:
    pace = AdaptiveRate(300.0, interval=0.0)
    pace.observe(answered=40)
    pace.reserve(40)  # every probe answered: the share to compare with
    assert pace.rate == 300.0
    pace.observe(answered=4)
    pace.reserve(40)  # a tenth answered (a router rate-limiting its ICMP errors, or drops)
    assert pace.rate == 150.0
    assert pace.changes[-1].reason == "answers-fell"


def test_a_host_that_never_answers_does_not_slow_the_scan() -> None:
    pace = AdaptiveRate(300.0, interval=0.0)
    for _ in range(50):
        pace.reserve(40)  # a filtered host: silence is its normal answer
    assert pace.rate == 300.0
    assert not pace.changes


def test_quiet_intervals_without_sends_change_nothing() -> None:
    pace = AdaptiveRate(300.0, interval=3600.0)
    pace.observe(dropped=1)  # evaluated only once the interval has passed
    assert pace.rate == 300.0


def test_the_hospital_profile_paces_adaptively_under_its_per_target_ceiling() -> None:
    changes: list[RateChange] = []
    hospital = pacer(HOSPITAL, 1, changes)
    assert isinstance(hospital, AdaptiveRate)
    assert hospital.ceiling == HOSPITAL.target_rate
    # the fleet grows with its targets, up to the profile's cap for the whole machine
    four = pacer(HOSPITAL, 4, changes)
    assert isinstance(four, AdaptiveRate)
    assert four.ceiling == 4 * HOSPITAL.target_rate
    many = pacer(HOSPITAL, 10_000, changes)
    assert isinstance(many, AdaptiveRate)
    assert many.ceiling == HOSPITAL.rate
    narrow = pacer(HOSPITAL.with_changes(rate=1000.0, target_rate=100.0), 3, changes)
    assert isinstance(narrow, AdaptiveRate)
    assert narrow.ceiling == 300.0
    assert pacer(LAB, 2, changes) is None  # the lab profile keeps the engines' own bucket
    fixed = pacer(LAB.with_changes(target_rate=10.0), 2, changes)
    assert type(fixed) is TokenBucket
    assert fixed.rate == 20.0


def test_a_lasting_change_in_answers_slows_the_scan_only_for_a_while() -> None:
    """Ports 1-1024 answer with resets, the rest are dropped by a firewall: not congestion."""
    pace = AdaptiveRate(320.0, interval=0.0)
    for _ in range(5):
        pace.observe(answered=40)
        pace.reserve(40)
    lowered = 0.0
    for _ in range(30):
        pace.reserve(40)  # silence from here on
        lowered = min(lowered or pace.rate, pace.rate)
    assert lowered < 320.0  # it did slow down at first
    assert pace.rate == 320.0  # and came back once silence was the new normal


def test_each_target_is_spaced_on_its_own() -> None:
    spacing = TargetPacing(3, rate=100.0)  # at most one probe per 10 ms to any one target
    assert spacing.take(0, now=5.0) == 0.0
    assert abs(spacing.take(0, now=5.004) - 0.006) < 1e-9  # not yet, and nothing booked
    assert spacing.take(1, now=5.004) == 0.0  # another target is not held back
    assert spacing.take(0, now=5.010) == 0.0
    assert spacing.take(2, count=3, now=5.010) == 0.0  # three datagrams book three slots
    assert spacing.take(2, now=5.030) > 0
    assert spacing.take(2, now=5.040) == 0.0


def test_targets_are_paced_only_where_the_fleet_rate_could_exceed_their_limit() -> None:
    hospital = target_pacing(HOSPITAL, 4)
    assert hospital is not None
    assert hospital.rate == HOSPITAL.target_rate
    assert target_pacing(LAB, 4) is None  # one target may take the whole lab rate
    assert target_pacing(HOSPITAL.with_changes(rate=HOSPITAL.target_rate), 4) is None

"""The scan plan: default coverage, the estimate and its basis, the window check, --fit-window."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kenshin.cli.demo import _for_today, demo_file
from kenshin.domain import DiagnosisWindow, Protocol
from kenshin.intake import read_file
from kenshin.scan import HOSPITAL, LAB, ScanError, TcpMode, ranked_ports
from kenshin.scan.plan import (
    DEFAULT_UDP_TOP,
    default_ports,
    estimate,
    fit_to_window,
    priority_order,
)
from kenshin.scan.ports import ALL_PORTS
from kenshin.store import EngagementRepository, open_store

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("isolated_env")


def test_default_coverage_is_every_tcp_port_and_the_top_100_udp_ports() -> None:
    tcp, udp = default_ports()
    assert tcp == ALL_PORTS
    assert len(udp) == DEFAULT_UDP_TOP == 100
    for port in (500, 4500, 1194, 1701, 161, 123, 53, 5060, 1900):
        assert port in udp


def test_estimate_states_its_basis() -> None:
    tcp, udp = default_ports()
    bound = estimate(2, len(tcp), udp, HOSPITAL, TcpMode.SYN)
    assert bound.tcp_probes == 2 * 65535
    assert bound.rate == 600  # each address at its 300/s, side by side
    # two passes of 131070 probes at 600/s, plus UDP and the waits: under ten minutes
    assert 2 * 131070 / 600 < bound.scan_seconds < 2 * 131070 / 600 + 120
    basis = bound.basis("en")
    assert "131070 TCP probes" in basis
    assert "200 UDP ports" in basis
    assert "each sent 2 times" in basis
    assert "日本語" not in basis
    assert "131070" in bound.basis("ja")


def test_connect_mode_estimate_is_bounded_by_connections() -> None:
    syn = estimate(1, 65535, (), HOSPITAL, TcpMode.SYN)
    connect = estimate(1, 65535, (), HOSPITAL, TcpMode.CONNECT)
    # 8 connections per host, each silent port holding one for 2 s: 4 ports/s
    assert connect.tcp_rate == 4
    assert connect.seconds > syn.seconds


def test_per_target_ceiling_bounds_the_rate() -> None:
    slow = HOSPITAL.with_changes(rate=1000.0, target_rate=100.0)
    assert estimate(2, 10, (), slow, TcpMode.SYN).rate == 200
    assert estimate(20, 10, (), slow, TcpMode.SYN).rate == 1000


def test_a_plan_that_cannot_end_in_the_window_is_refused_with_its_estimate() -> None:
    tcp, udp = default_ports()
    with pytest.raises(ScanError) as refused:
        fit_to_window(
            6,
            tcp,
            udp,
            HOSPITAL,
            TcpMode.SYN,
            now=NOW,
            window_end=NOW + timedelta(minutes=5),
        )
    assert refused.value.key == "scan.plan_exceeds_window"
    minutes = refused.value.params["minutes"]
    assert isinstance(minutes, int)
    assert minutes > 5
    english = refused.value.message("en")
    assert f"up to {minutes} min" in english
    assert "393210 TCP probes" in english
    assert "--fit-window" in english
    assert "Nothing was sent" in english
    assert f"最大 {minutes} 分" in refused.value.message("ja")


def test_a_plan_inside_the_window_or_without_one_passes() -> None:
    tcp, udp = default_ports()
    roomy = fit_to_window(
        2, tcp, udp, HOSPITAL, TcpMode.SYN, now=NOW, window_end=NOW + timedelta(hours=4)
    )
    assert roomy.fits
    assert not roomy.cut
    assert roomy.tcp_ports == tcp
    adhoc = fit_to_window(6, tcp, udp, HOSPITAL, TcpMode.SYN, now=NOW, window_end=None)
    assert adhoc.fits


def test_fit_window_keeps_ranked_ports_first() -> None:
    tcp, udp = default_ports()
    cut = fit_to_window(
        6,
        tcp,
        udp,
        HOSPITAL,
        TcpMode.SYN,
        now=NOW,
        window_end=NOW + timedelta(minutes=5),
        fit=True,
    )
    assert cut.cut
    assert cut.fits
    assert cut.dropped > 0
    assert cut.estimate.seconds <= 5 * 60
    ranked_tcp = ranked_ports(Protocol.TCP)
    assert set(ranked_tcp) <= set(cut.tcp_ports)  # every ranked TCP port kept
    assert set(udp) <= set(cut.udp_ports)  # then the ranked UDP ports
    assert len(cut.tcp_ports) < 65535  # the unranked rest is what was cut
    assert list(cut.tcp_ports) == sorted(cut.tcp_ports)


def test_fit_window_refuses_when_not_one_port_fits() -> None:
    with pytest.raises(ScanError) as refused:
        fit_to_window(
            2,
            (22, 443),
            (),
            HOSPITAL,
            TcpMode.SYN,
            now=NOW,
            window_end=NOW + timedelta(seconds=5),
            fit=True,
        )
    assert refused.value.key == "scan.plan_exceeds_window"


def test_priority_order_puts_ranked_before_the_rest() -> None:
    ordered = priority_order((1, 443, 541, 65000), (53, 40000))
    assert ordered[0] == (Protocol.TCP, 443)
    assert ordered.index((Protocol.UDP, 53)) < ordered.index((Protocol.TCP, 1))
    assert ordered[-1] == (Protocol.TCP, 65000)


def test_lab_profile_is_not_adaptive_and_hospital_is() -> None:
    assert HOSPITAL.adaptive
    assert not LAB.adaptive
    assert HOSPITAL.ceiling(1) == 300


def test_cli_refuses_a_plan_that_cannot_fit_before_any_packet(tmp_path: Path) -> None:
    """The demo engagement with 5 minutes of window left: the whole range cannot fit.

    The emergency stop file is raised too, so that even a wrong plan check could not
    send anything to the (not running) lab addresses.
    """
    db = tmp_path / "k.sqlite3"
    store = open_store(f"sqlite:///{db}")
    engagement = _for_today(read_file(demo_file()), {})
    now = datetime.now(UTC)
    engagement = dataclasses.replace(
        engagement, window=DiagnosisWindow(now - timedelta(hours=1), now + timedelta(minutes=5))
    )
    with store.session() as session:
        EngagementRepository(session).save(engagement)
    store.dispose()
    stop_file = tmp_path / "EMERGENCY-STOP"
    stop_file.write_text("test\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kenshin", "--lang", "en", "scan", engagement.code, "--no-progress"],
        capture_output=True,
        text=True,
        env=dict(
            os.environ,
            COLUMNS="300",
            KENSHIN_DB_URL=f"sqlite:///{db}",
            KENSHIN_STOP_FILE=str(stop_file),
        ),
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    said = " ".join(result.stderr.split())
    assert "cannot end inside the diagnosis window" in said
    assert "TCP probes" in said
    assert "min estimated" in said

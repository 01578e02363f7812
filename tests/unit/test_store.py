"""The engagement store on SQLite and PostgreSQL: migrations, round trips, constraints."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from kenshin.domain import (
    AddressConfirmation,
    AuditEvent,
    AuditOutcome,
    Engagement,
    Finding,
    FindingCategory,
    FindingStatus,
    FindingSubject,
    Severity,
    Upgrade,
)
from kenshin.store import (
    AuditLog,
    EngagementRepository,
    FindingRepository,
    StoreError,
    finding_fingerprint,
    open_store,
)
from kenshin.store.models import ConnectionPointRow, DeviceRow, GlobalAddressRow


def test_migrations_build_the_schema_from_empty(store_url: str) -> None:
    store = open_store(store_url)
    assert store.current_revision() == store.head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "engagements",
        "connection_points",
        "devices",
        "terminals",
        "findings",
        "audit_events",
        "global_addresses",
        "address_confirmations",
    } <= tables
    store.upgrade()  # a second run is a no-op
    store.dispose()


def test_the_models_describe_the_migrated_database_exactly(store_url: str) -> None:
    """Alembic compares the migrated schema with every model (all rooms' tables): nothing
    to add, drop or rename — names of constraints included, types too."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from kenshin.store.models import Base

    store = open_store(store_url)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    store.dispose()
    assert differences == []


def test_round_trip_keeps_every_field(store_url: str, demo_engagement: Engagement) -> None:
    store = open_store(store_url)
    with store.session() as session:
        assert EngagementRepository(session).save(demo_engagement) is True
    with store.session() as session:
        loaded = EngagementRepository(session).get(demo_engagement.code)
    assert loaded == demo_engagement
    store.dispose()


def test_reimport_updates_and_never_duplicates(store_url: str, demo_engagement: Engagement) -> None:
    store = open_store(store_url)
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
    renamed = dataclasses.replace(
        demo_engagement,
        title="改題",
        devices=tuple(
            dataclasses.replace(d, model="FortiGate 80F") if d.key == "DEV-01" else d
            for d in demo_engagement.devices
        ),
    )
    with store.session() as session:
        assert EngagementRepository(session).save(renamed) is False
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(DeviceRow)) == len(
            demo_engagement.devices
        )
        assert session.scalar(select(func.count()).select_from(ConnectionPointRow)) == len(
            demo_engagement.connection_points
        )
        loaded = EngagementRepository(session).get(demo_engagement.code)
    assert loaded.title == "改題"
    assert next(d for d in loaded.devices if d.key == "DEV-01").model == "FortiGate 80F"
    store.dispose()


def test_confirmations_accumulate(store_url: str, demo_engagement: Engagement) -> None:
    store = open_store(store_url)
    point = demo_engagement.point("CP-02")
    address = dataclasses.replace(
        point.addresses[0],
        confirmations=(AddressConfirmation(datetime(2026, 12, 3, 11, 0, tzinfo=UTC), "情報 太郎"),),
    )
    changed = dataclasses.replace(
        demo_engagement,
        connection_points=tuple(
            dataclasses.replace(p, addresses=(address,)) if p.key == "CP-02" else p
            for p in demo_engagement.connection_points
        ),
    )
    with store.session() as session:
        EngagementRepository(session).save(changed)
        EngagementRepository(session).save(changed)
    with store.session() as session:
        loaded = EngagementRepository(session).get(demo_engagement.code)
    assert loaded.point("CP-02").addresses[0].confirmations == address.confirmations
    store.dispose()


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        ("UPDATE connection_points SET kind = 'satellite' WHERE key = 'CP-01'", "kind vocabulary"),
        (
            "UPDATE connection_points SET internet_reachable = TRUE WHERE key = 'CP-03'",
            "closed network on the internet",
        ),
        (
            "UPDATE connection_points SET scope_reason = '' WHERE key = 'CP-04'",
            "out of scope without a reason",
        ),
        ("UPDATE connection_points SET key = 'CP-01' WHERE key = 'CP-02'", "duplicate key"),
        ("UPDATE global_addresses SET assignment = 'both'", "assignment vocabulary"),
        (
            "UPDATE devices SET version_unavailable_reason = '' WHERE key = 'DEV-03'",
            "not obtained without a reason",
        ),
        ("UPDATE devices SET managed_vendor_id = 999999 WHERE key = 'DEV-01'", "foreign key"),
        ("UPDATE engagements SET terminal_limit = 0", "terminal limit"),
    ],
)
def test_the_database_itself_refuses_nonsense(
    store_url: str, demo_engagement: Engagement, statement: str, why: str
) -> None:
    store = open_store(store_url)
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA foreign_keys=ON"))
        with pytest.raises(IntegrityError):
            connection.execute(text(statement))
    store.dispose()


def _finding(**changes: object) -> Finding:
    base = Finding(
        check_id="exposure.telnet",
        category=FindingCategory.EXPOSURE,
        severity=Severity.HIGH,
        title_ja="Telnetがインターネットに公開されています",
        title_en="Telnet is reachable from the internet",
        subject=FindingSubject(address="198.18.20.20", port=23, protocol="tcp"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_findings_are_deduplicated_and_keep_triage(
    store_url: str, demo_engagement: Engagement
) -> None:
    store = open_store(store_url)
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
        findings = FindingRepository(session)
        findings.record(
            "demo-2026",
            [
                _finding(),
                _finding(
                    check_id="firmware.cve",
                    subject=FindingSubject(device_key="DEV-01"),
                    cves=("CVE-2023-27997",),
                    kev=True,
                    severity=Severity.CRITICAL,
                    upgrade=Upgrade(
                        "FortiOS", "7.0.12", "fortios", "更新まで SSL-VPN を停止してください。"
                    ),
                ),
            ],
        )
    with store.session() as session:
        findings = FindingRepository(session)
        findings.set_status("demo-2026", finding_fingerprint(_finding()), FindingStatus.ACCEPTED)
        findings.record("demo-2026", [_finding(evidence="banner: login:")])
    with store.session() as session:
        listed = FindingRepository(session).list("demo-2026")
    assert [f.check_id for f in listed] == ["firmware.cve", "exposure.telnet"]
    telnet = listed[1]
    assert telnet.status is FindingStatus.ACCEPTED
    assert telnet.evidence == "banner: login:"
    assert listed[0].subject.device_key == "DEV-01"
    assert listed[0].upgrade == Upgrade(
        "FortiOS", "7.0.12", "fortios", "更新まで SSL-VPN を停止してください。"
    )
    assert telnet.upgrade is None
    with store.session() as session, pytest.raises(StoreError):
        FindingRepository(session).set_status(
            "demo-2026", finding_fingerprint(_finding()), FindingStatus.FALSE_POSITIVE
        )
    store.dispose()


def test_audit_log_outlives_its_engagement(store_url: str, demo_engagement: Engagement) -> None:
    store = open_store(store_url)
    with store.session() as session:
        EngagementRepository(session).save(demo_engagement)
        AuditLog(session).record(
            AuditEvent(
                actor="surveyor",
                action="scan.start",
                outcome=AuditOutcome.STARTED,
                at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
                engagement_code="demo-2026",
                targets=("198.18.10.10",),
                details={"ports": "1-65535"},
            )
        )
    with store.session() as session:
        EngagementRepository(session).delete("demo-2026")
    with store.session() as session:
        events = AuditLog(session).events("demo-2026")
        assert session.scalar(select(func.count()).select_from(GlobalAddressRow)) == 0
    assert len(events) == 1
    assert events[0].targets == ("198.18.10.10",)
    assert events[0].at == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    store.dispose()


def test_missing_engagement_is_a_clear_error(store_url: str) -> None:
    store = open_store(store_url)
    with store.session() as session, pytest.raises(StoreError) as raised:
        EngagementRepository(session).get("nope")
    assert "nope" in raised.value.message("ja")
    assert "engagement list" in raised.value.message("en")
    store.dispose()


def test_a_store_from_a_newer_kenshin_is_refused_in_words(store_url: str) -> None:
    store = open_store(store_url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from_kenshin_2'"))
    store.dispose()
    with pytest.raises(StoreError) as raised:
        open_store(store_url)
    assert raised.value.key == "store.newer_schema"
    assert "from_kenshin_2" in raised.value.message("ja")
    assert "newer kenshin" in raised.value.message("en")

"""2026-11-26: the engagement store (institutions, engagements, their survey records,
findings and the audit log)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kenshin.store.migrations.helpers import create_indexes, drop_indexes, references, timestamps

revision = "0001_engagement_store"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("prefecture", sa.String(length=20), nullable=False),
        sa.Column("bed_count", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "bed_count IS NULL OR bed_count >= 0", name=op.f("ck_institutions_beds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
    )
    op.create_table(
        "engagements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("survey_start", sa.Date(), nullable=True),
        sa.Column("survey_end", sa.Date(), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auth_approved_by", sa.String(length=200), nullable=True),
        sa.Column("auth_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auth_document_ref", sa.String(length=200), nullable=False),
        sa.Column("terminal_limit", sa.Integer(), nullable=False),
        *timestamps(),
        sa.CheckConstraint(
            "status IN ('draft', 'hearing', 'surveying', 'diagnosing', 'reporting', 'closed')",
            name=op.f("ck_engagements_status"),
        ),
        sa.CheckConstraint(
            "(auth_approved_by IS NULL) = (auth_approved_at IS NULL)",
            name=op.f("ck_engagements_auth_complete"),
        ),
        sa.CheckConstraint(
            "survey_start IS NULL OR survey_end IS NULL OR survey_end >= survey_start",
            name=op.f("ck_engagements_survey_order"),
        ),
        sa.CheckConstraint("terminal_limit >= 1", name=op.f("ck_engagements_terminal_limit")),
        sa.CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_end > window_start",
            name=op.f("ck_engagements_window_order"),
        ),
        references("engagements", "institution_id", "institutions", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagements")),
        sa.UniqueConstraint("code", name=op.f("uq_engagements_code")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=True),
        sa.Column("engagement_code", sa.String(length=64), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('started', 'succeeded', 'failed', 'refused', 'interrupted')",
            name=op.f("ck_audit_events_outcome"),
        ),
        references("audit_events", "engagement_id", "engagements", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    create_indexes("audit_events", "at", "engagement_id")

    op.create_table(
        "terminals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("hostname", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "role IN ('ehr', 'departmental', 'other')", name=op.f("ck_terminals_role")
        ),
        references("terminals", "engagement_id", "engagements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminals")),
        sa.UniqueConstraint(
            "engagement_id", "hostname", name=op.f("uq_terminals_engagement_id_hostname")
        ),
        sa.UniqueConstraint("engagement_id", "key", name=op.f("uq_terminals_engagement_id_key")),
    )
    create_indexes("terminals", "engagement_id")

    op.create_table(
        "vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("manages", sa.Text(), nullable=False),
        references("vendors", "engagement_id", "engagements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
        sa.UniqueConstraint("engagement_id", "key", name=op.f("uq_vendors_engagement_id_key")),
    )
    create_indexes("vendors", "engagement_id")

    op.create_table(
        "connection_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("in_ehr_scope", sa.Boolean(), nullable=False),
        sa.Column("scope_reason", sa.Text(), nullable=False),
        sa.Column("internet_reachable", sa.Boolean(), nullable=False),
        sa.Column("carrier", sa.String(length=200), nullable=False),
        sa.Column("holder_kind", sa.String(length=16), nullable=False),
        sa.Column("holder_vendor_id", sa.Integer(), nullable=True),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "holder_kind <> 'vendor' OR holder_vendor_id IS NOT NULL",
            name=op.f("ck_connection_points_holder_vendor"),
        ),
        sa.CheckConstraint(
            "holder_kind IN ('hospital', 'vendor', 'other')",
            name=op.f("ck_connection_points_holder_kind"),
        ),
        sa.CheckConstraint(
            "in_ehr_scope OR scope_reason <> ''",
            name=op.f("ck_connection_points_out_of_scope_reason"),
        ),
        sa.CheckConstraint(
            "kind <> 'closed_network' OR NOT internet_reachable",
            name=op.f("ck_connection_points_closed_not_internet"),
        ),
        sa.CheckConstraint(
            "kind IN ('internet', 'remote_maintenance', 'closed_network', 'vpn', 'wireless', 'other')",
            name=op.f("ck_connection_points_kind"),
        ),
        references("connection_points", "engagement_id", "engagements", "CASCADE"),
        references("connection_points", "holder_vendor_id", "vendors", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_points")),
        sa.UniqueConstraint(
            "engagement_id", "key", name=op.f("uq_connection_points_engagement_id_key")
        ),
    )
    create_indexes("connection_points", "engagement_id")

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        references("contacts", "engagement_id", "engagements", "CASCADE"),
        references("contacts", "vendor_id", "vendors", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    create_indexes("contacts", "engagement_id", "vendor_id")

    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("vendor_name", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("firmware_version", sa.String(length=200), nullable=False),
        sa.Column("firmware_version_normalised", sa.String(length=200), nullable=False),
        sa.Column("version_source", sa.String(length=16), nullable=True),
        sa.Column("version_unavailable_reason", sa.Text(), nullable=False),
        sa.Column("managed_kind", sa.String(length=16), nullable=False),
        sa.Column("managed_vendor_id", sa.Integer(), nullable=True),
        sa.Column("managed_name", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "managed_kind <> 'vendor' OR managed_vendor_id IS NOT NULL",
            name=op.f("ck_devices_managed_vendor"),
        ),
        sa.CheckConstraint(
            "managed_kind IN ('hospital', 'vendor', 'other')", name=op.f("ck_devices_managed_kind")
        ),
        sa.CheckConstraint(
            "role IN ('router', 'utm', 'firewall', 'ips', 'ids', 'vpn_gateway', 'wireless_ap', 'other')",
            name=op.f("ck_devices_role"),
        ),
        sa.CheckConstraint(
            "version_source IS NULL OR version_source <> 'not_obtained' OR version_unavailable_reason <> ''",
            name=op.f("ck_devices_unavailable_reason"),
        ),
        sa.CheckConstraint(
            "version_source IS NULL OR version_source IN ('vendor', 'hospital', 'onsite', 'banner', 'snmp', 'not_obtained')",
            name=op.f("ck_devices_version_source"),
        ),
        references("devices", "engagement_id", "engagements", "CASCADE"),
        references("devices", "managed_vendor_id", "vendors", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("engagement_id", "key", name=op.f("uq_devices_engagement_id_key")),
    )
    create_indexes("devices", "engagement_id")

    op.create_table(
        "device_connection_points",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("connection_point_id", sa.Integer(), nullable=False),
        references("device_connection_points", "connection_point_id", "connection_points", "CASCADE"),
        references("device_connection_points", "device_id", "devices", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "device_id", "connection_point_id", name=op.f("pk_device_connection_points")
        ),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("check_id", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("title_ja", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("description_ja", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("remediation_ja", sa.Text(), nullable=False),
        sa.Column("remediation_en", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("cves", sa.JSON(), nullable=False),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.Column("ransomware", sa.Boolean(), nullable=False),
        sa.Column("cvss", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("protocol", sa.String(length=3), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("terminal_id", sa.Integer(), nullable=True),
        sa.Column("connection_point_id", sa.Integer(), nullable=True),
        *timestamps(),
        sa.CheckConstraint(
            "category IN ('vulnerability', 'backdoor', 'account', 'exposure', 'configuration')",
            name=op.f("ck_findings_category"),
        ),
        sa.CheckConstraint(
            "confidence IN ('high', 'medium', 'low', 'inferred')",
            name=op.f("ck_findings_confidence"),
        ),
        sa.CheckConstraint(
            "protocol IS NULL OR protocol IN ('tcp', 'udp')", name=op.f("ck_findings_protocol")
        ),
        sa.CheckConstraint(
            "severity IN ('critical', 'high', 'medium', 'low', 'info')",
            name=op.f("ck_findings_severity"),
        ),
        sa.CheckConstraint(
            "status <> 'false_positive' OR status_reason <> ''",
            name=op.f("ck_findings_false_positive_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'fixed', 'false_positive')",
            name=op.f("ck_findings_status"),
        ),
        sa.CheckConstraint(
            "address IS NOT NULL OR device_id IS NOT NULL OR terminal_id IS NOT NULL OR connection_point_id IS NOT NULL",
            name=op.f("ck_findings_has_subject"),
        ),
        sa.CheckConstraint(
            "cvss IS NULL OR (cvss >= 0 AND cvss <= 10)", name=op.f("ck_findings_cvss")
        ),
        sa.CheckConstraint(
            "port IS NULL OR (port >= 0 AND port <= 65535)", name=op.f("ck_findings_port")
        ),
        references("findings", "connection_point_id", "connection_points", "CASCADE"),
        references("findings", "device_id", "devices", "CASCADE"),
        references("findings", "engagement_id", "engagements", "CASCADE"),
        references("findings", "terminal_id", "terminals", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint(
            "engagement_id", "fingerprint", name=op.f("uq_findings_engagement_id_fingerprint")
        ),
    )
    create_indexes("findings", "engagement_id")

    op.create_table(
        "global_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("connection_point_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("assignment", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "assignment IN ('fixed', 'dynamic', 'unknown')",
            name=op.f("ck_global_addresses_assignment"),
        ),
        references("global_addresses", "connection_point_id", "connection_points", "CASCADE"),
        references("global_addresses", "engagement_id", "engagements", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_global_addresses")),
        sa.UniqueConstraint(
            "engagement_id", "address", name=op.f("uq_global_addresses_engagement_id_address")
        ),
    )
    create_indexes("global_addresses", "connection_point_id", "engagement_id")

    op.create_table(
        "address_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=200), nullable=False),
        references("address_confirmations", "address_id", "global_addresses", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_confirmations")),
    )
    create_indexes("address_confirmations", "address_id")


def downgrade() -> None:
    drop_indexes("address_confirmations", "address_id")

    op.drop_table("address_confirmations")
    drop_indexes("global_addresses", "engagement_id", "connection_point_id")

    op.drop_table("global_addresses")
    drop_indexes("findings", "engagement_id")

    op.drop_table("findings")
    op.drop_table("device_connection_points")
    drop_indexes("devices", "engagement_id")

    op.drop_table("devices")
    drop_indexes("contacts", "vendor_id", "engagement_id")

    op.drop_table("contacts")
    drop_indexes("connection_points", "engagement_id")

    op.drop_table("connection_points")
    drop_indexes("vendors", "engagement_id")

    op.drop_table("vendors")
    drop_indexes("terminals", "engagement_id")

    op.drop_table("terminals")
    drop_indexes("audit_events", "engagement_id", "at")

    op.drop_table("audit_events")
    op.drop_table("engagements")
    op.drop_table("institutions")

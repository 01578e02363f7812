"""Machine-readable exports: findings.json (our own) and defectdojo.json.

``findings.json`` (schema ``kenshin.findings/1``) carries both languages, the priority
with the model's steps, every merged evidence, the owner, the update a vulnerability asks
for (``upgrade``: product, first fixed version, version scheme; ``null`` otherwise), the
device and connection point, the device's one fix (``fix_version``, the version the
tables and summary name), the suggested due date, the evidence in words, and the
checklist results.

``defectdojo.json`` follows DefectDojo's "Generic Findings Import" JSON format
(docs.defectdojo.com, supported_tools/parsers/file/generic): a ``findings`` list whose
items need ``title``, ``severity`` (Critical/High/Medium/Low/Info) and ``description``,
with optional ``mitigation``, ``impact``, ``cve``, ``cvssv3_score``, ``known_exploited``,
``ransomware_used``, ``fix_version``, ``date``, ``active``, ``verified``, ``false_p``,
``risk_accepted``, ``is_mitigated``, ``unique_id_from_tool``, ``vuln_id_from_tool``,
``service``, ``component_name``, ``component_version``, ``tags`` and ``endpoints``
(dicts with host/port/protocol). We map our priority (not the raw severity) onto
DefectDojo's severity, so both tools rank the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kenshin.assess import AssessedFinding, Priority
from kenshin.report.sections.context import jst
from kenshin.report.sections.items import FindingItem
from kenshin.report.view import ReportView

FINDINGS_SCHEMA = "kenshin.findings/1"
_DOJO_SEVERITY = {
    Priority.URGENT: "Critical",
    Priority.HIGH: "High",
    Priority.MEDIUM: "Medium",
    Priority.LOW: "Low",
    Priority.INFO: "Info",
}


def _finding_json(view: ReportView, finding: AssessedFinding, item: FindingItem) -> dict[str, Any]:
    lead = finding.finding
    upgrade = item.upgrade
    return {
        "id": finding.id,
        "priority": finding.priority.value,
        "priority_label": item.priority_label,
        "score": finding.decision.score,
        "priority_steps": [
            {"step": key.removeprefix("assess.step."), "value": value}
            for key, value in finding.decision.steps
        ],
        "area": finding.area.value,
        "category": lead.category.value,
        "severity": lead.severity.value,
        "target": finding.target,
        "subject": {
            "address": finding.address,
            "device": finding.device_key,
            "terminal": finding.terminal_key,
            "connection_point": finding.point_key,
        },
        "device_label": next((f.device for f in finding.merged if f.device), ""),
        "title": {"ja": lead.title_ja, "en": lead.title_en},
        "description": {"ja": lead.description_ja, "en": lead.description_en},
        "remediation": {"ja": lead.remediation_ja, "en": lead.remediation_en},
        "upgrade": (
            {
                "product": upgrade.product,
                "fixed_version": upgrade.fixed_version,
                "scheme": upgrade.scheme,
            }
            if upgrade
            else None
        ),
        "cves": list(finding.cves),
        "cvss": finding.cvss,
        "kev": finding.kev,
        "ransomware": finding.ransomware,
        "internet_exposed": finding.internet_exposed,
        "asset_weight": finding.asset.value,
        "confidence": lead.confidence.value,
        "status": lead.status.value,
        "status_reason": lead.status_reason,
        "owner": {
            "kind": finding.owner.kind.value,
            "name": finding.owner.name,
            "vendor": finding.owner.vendor_key,
        },
        "device": item.device_label or None,
        "connection_point": item.point_label or None,
        "fix_version": item.fix_version or None,  # the device's one update (report/fixes.py)
        "due": item.due.isoformat() if item.due else None,
        "evidence_summary": list(item.plain_evidence),
        "checks": list(finding.check_ids),
        "evidence": [
            {"check": e.check_id, "subject": e.subject, "text": e.text} for e in finding.evidence
        ],
    }


def findings_document(view: ReportView) -> dict[str, Any]:
    items = {item.id: item for item in view.items}
    report = view.input
    return {
        "schema": FINDINGS_SCHEMA,
        "engagement": report.engagement.code,
        "institution": report.engagement.institution.name,
        "generated_at": report.generated_at.isoformat(),
        "kenshin": report.versions.kenshin,
        "knowledge": [{"name": k.name, "version": k.version} for k in report.versions.knowledge],
        "judgement": view.summary.judgement_level,
        # each part of the survey and how much of it was done: "counts" of zero from a
        # part not done are "not done", never "no problems"
        "survey_parts": [{"part": p.key, "state": p.state.value} for p in view.summary.parts],
        "counts": {row.key: row.count for row in view.summary.priority_counts},
        "findings": [_finding_json(view, f, items[f.id]) for f in view.findings],
        "checklist": {
            "edition": view.checklist.name_ja,
            "published": view.checklist.published,
            "items": [
                {
                    "id": r.item.id,
                    "ref": r.item.ref,
                    "status": r.status.value,
                    "reason": {
                        "ja": view.checklist_table.lines[i].reason if view.lang == "ja" else "",
                        "en": view.checklist_table.lines[i].reason if view.lang == "en" else "",
                    },
                    "findings": list(r.finding_ids),
                }
                for i, r in enumerate(view.checklist_results)
            ],
        },
    }


def _dojo_finding(view: ReportView, finding: AssessedFinding, item: FindingItem) -> dict[str, Any]:
    lead = finding.finding
    description = item.description or item.title
    evidence = "\n\n".join(f"[{e.check_id}] {e.subject}\n{e.text}" for e in finding.evidence)
    record: dict[str, Any] = {
        "title": f"{item.title} — {finding.target}",
        "severity": _DOJO_SEVERITY[finding.priority],
        "description": description + (f"\n\n{evidence}" if evidence else ""),
        "mitigation": item.remediation,
        "impact": view.t("report.f.basis") + ": " + " / ".join(item.reasons),
        "severity_justification": (
            f"kenshin priority {finding.priority.value} ({finding.decision.score})"
        ),
        "date": jst(view.input.generated_at, with_time=False),
        "active": finding.is_open,
        "verified": lead.confidence.value == "high",
        "false_p": lead.status.value == "false_positive",
        "risk_accepted": lead.status.value == "accepted",
        "is_mitigated": lead.status.value == "fixed",
        "unique_id_from_tool": f"{view.input.engagement.code}:{finding.id}",
        "vuln_id_from_tool": lead.check_id,
        "known_exploited": finding.kev,
        "ransomware_used": finding.ransomware,
        "tags": [finding.area.value, lead.category.value, f"owner:{finding.owner.kind.value}"],
    }
    if finding.cves:
        record["cve"] = finding.cves[0]
        if len(finding.cves) > 1:
            record["references"] = ", ".join(finding.cves)
    if finding.cvss is not None:
        record["cvssv3_score"] = finding.cvss
    upgrade = item.upgrade
    if upgrade is not None:
        record["fix_version"] = upgrade.fixed_version  # this finding's own fix
    subject = lead.subject
    if finding.address:
        endpoint: dict[str, Any] = {"host": finding.address}
        port_subject = next((f.subject for f in finding.merged if f.subject.port is not None), None)
        if port_subject is not None:
            endpoint["port"] = port_subject.port
            endpoint["protocol"] = port_subject.protocol or "tcp"
        record["endpoints"] = [endpoint]
    elif subject.device_key or finding.device_key or finding.terminal_key:
        record["component_name"] = finding.target
    return record


def defectdojo_document(view: ReportView) -> dict[str, Any]:
    items = {item.id: item for item in view.items}
    return {
        "name": f"kenshin {view.input.engagement.code}",
        "type": "kenshin",
        "findings": [_dojo_finding(view, f, items[f.id]) for f in view.findings],
    }


def write_json(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

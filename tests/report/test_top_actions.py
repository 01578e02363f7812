"""The summary's top actions: one update per device and product, not one per CVE."""

from __future__ import annotations

from dataclasses import replace

from report_fixtures import demo_report_input

from kenshin.domain import Engagement, Finding, FindingCategory, FindingSubject, Severity, Upgrade
from kenshin.report import build_view, render_html
from kenshin.report.sections.actions import Action

UTM = FindingSubject(address="198.18.10.10", port=443, protocol="tcp")
VPN = FindingSubject(address="198.18.20.20", port=443, protocol="tcp")


def _cve(
    cve: str,
    subject: FindingSubject,
    fixed: str | None,
    steps: str = "",
    *,
    ransomware: bool = False,
    product: str = "FortiOS",
) -> Finding:
    advice = f"{fixed} 以降（同じ系列の修正版）へ更新してください。{steps}" if fixed else ""
    return Finding(
        check_id="vulnerability.cve",
        category=FindingCategory.VULNERABILITY,
        severity=Severity.CRITICAL,
        title_ja=f"{cve}: 脆弱性",
        title_en=f"{cve}: a vulnerability",
        subject=subject,
        remediation_ja=advice or "修正版の有無と適用方法をベンダに確認してください。",
        remediation_en=f"Upgrade to {fixed} or later. {steps}" if fixed else "Ask the vendor.",
        cves=(cve,),
        kev=True,
        ransomware=ransomware,
        cvss=9.8,
        upgrade=Upgrade(product, fixed, "fortios", steps, f"en: {steps}" if steps else "")
        if fixed
        else None,
    )


def _actions(
    engagement: Engagement, findings: tuple[Finding, ...], lang: str = "ja"
) -> tuple[Action, ...]:
    base = demo_report_input(engagement, with_scan_findings=False)
    view = build_view(replace(base, findings=findings), lang)
    return view.summary.top_actions


def test_one_device_many_cves_make_one_update_to_the_highest_fixed_version(
    demo_engagement: Engagement,
) -> None:
    findings = (
        _cve(
            "CVE-2023-27997",
            UTM,
            "7.0.12",
            "更新まで SSL-VPN を停止してください。",
            ransomware=True,
        ),
        _cve("CVE-2024-21762", UTM, "7.0.14", "更新まで SSL-VPN を停止してください。"),
        _cve("CVE-2022-42475", UTM, "7.0.9", "管理画面を公開しないでください。", ransomware=True),
    )
    (action,) = _actions(demo_engagement, findings)
    # 7.0.14, not 7.0.9 (the highest as strings)
    assert action.text == (
        "FortiOS を 7.0.14 以降（同じ系列の修正版）へ更新してください — "
        "既知の脆弱性 3 件（KEV 3 件、ランサムウェア 2 件）を解消"
    )
    assert action.steps == (
        "更新まで SSL-VPN を停止してください。",
        "管理画面を公開しないでください。",
    )
    assert sorted(item.cves[0] for item in action.shown) == [
        "CVE-2022-42475",
        "CVE-2023-27997",
        "CVE-2024-21762",
    ]
    (english,) = _actions(demo_engagement, findings, "en")
    assert english.text == (
        "Upgrade FortiOS to 7.0.14 or later (the fixed release of the same line) — "
        "resolves 3 known vulnerabilities (3 in CISA KEV, 2 used by ransomware)"
    )
    assert english.steps == (
        "en: 更新まで SSL-VPN を停止してください。",
        "en: 管理画面を公開しないでください。",
    )


def test_different_devices_stay_separate(demo_engagement: Engagement) -> None:
    findings = (
        _cve("CVE-2023-27997", UTM, "7.0.12"),
        _cve("CVE-2024-21762", UTM, "7.0.14"),
        _cve("CVE-2024-00001", VPN, "7.0.15"),
        _cve("CVE-2024-00002", VPN, "7.0.16"),
    )
    actions = _actions(demo_engagement, findings)
    assert len(actions) == 2
    by_target = {a.lead.target: a.text for a in actions}
    utm, vpn = (next(t for k, t in by_target.items() if ip in k) for ip in ("10.10", "20.20"))
    assert "7.0.14 以降" in utm
    assert "既知の脆弱性 2 件" in utm
    assert "7.0.16 以降" in vpn
    assert "既知の脆弱性 2 件" in vpn


def test_fixes_on_different_lines_are_each_named(demo_engagement: Engagement) -> None:
    findings = (
        _cve("CVE-2023-27997", UTM, "7.0.12"),
        _cve("CVE-2024-21762", UTM, "7.2.5"),
        _cve("CVE-2024-23113", UTM, "7.2.10"),
    )
    (action,) = _actions(demo_engagement, findings)
    # the 7.0 line's fix is 7.0.14: the device's firmware row (fixed 7.0.14) counts too, so
    # the summary names the version the firmware table names
    assert action.text == (
        "FortiOS を修正版へ更新してください（7.0 系は 7.0.14 以降、7.2 系は 7.2.10 以降）"
        "— 既知の脆弱性 3 件（KEV 3 件）を解消"
    )
    (english,) = _actions(demo_engagement, findings, "en")
    assert "(7.0.14 or later on the 7.0 line; 7.2.10 or later on the 7.2 line)" in english.text


def test_findings_without_a_fixed_version_or_alone_keep_their_own_fix(
    demo_engagement: Engagement,
) -> None:
    findings = (
        _cve("CVE-2023-27997", UTM, "7.0.12"),
        _cve("CVE-2024-21762", UTM, "7.0.14"),
        _cve("CVE-2025-00001", UTM, None),
        _cve("CVE-2025-0282", VPN, "22.7R2.5", "整合性チェックツールで確認してください。"),
    )
    actions = _actions(demo_engagement, findings)
    texts = sorted(a.text for a in actions)
    assert len(actions) == 3
    assert "修正版の有無と適用方法をベンダに確認してください。" in texts
    # one CVE with a fix: its own sentence, the steps already in it
    assert (
        "22.7R2.5 以降（同じ系列の修正版）へ更新してください。"
        "整合性チェックツールで確認してください。" in texts
    )
    alone = next(a for a in actions if "22.7R2.5" in a.text)
    assert alone.steps == ()
    assert any(t.startswith("FortiOS を 7.0.14 以降") for t in texts)


def test_the_summary_shows_the_update_and_its_steps(demo_engagement: Engagement) -> None:
    findings = (
        _cve("CVE-2023-27997", UTM, "7.0.12", "更新まで SSL-VPN を停止してください。"),
        _cve("CVE-2024-55591", UTM, "7.0.17", "管理画面をインターネットに公開しないでください。"),
    )
    base = demo_report_input(demo_engagement, with_scan_findings=False)
    html = render_html(build_view(replace(base, findings=findings), "ja"))
    summary = html[html.index('<ol class="actions">') :]
    summary = summary[: summary.index("</ol>\n")]
    assert summary.count("<li>") == 1 + 2  # one action, two steps
    assert "FortiOS を 7.0.17 以降（同じ系列の修正版）へ更新してください" in summary
    assert "<li>管理画面をインターネットに公開しないでください。</li>" in summary
    assert "CVE-2023-27997" in summary
    assert "CVE-2024-55591" in summary

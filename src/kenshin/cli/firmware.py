"""``kenshin firmware``: check device firmware against known vulnerabilities; read outputs."""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from kenshin.cli._common import CliError, load, print_json
from kenshin.cli._options import JsonOpt, KbOpt, Opt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli.vulndb import match_table
from kenshin.domain import refuse_closed
from kenshin.firmware import check_engagement, parse_device_output
from kenshin.intake.engagement_file import cannot_read
from kenshin.store import FindingRepository
from kenshin.vulndb import open_knowledge_base
from kenshin.vulndb.model import FirmwareCheck

app = typer.Typer(no_args_is_help=True)


def _print_upgrades(result: FirmwareCheck) -> None:
    """The one update that fixes the table (per release line when fixes span lines)."""
    t = STATE.t
    for upgrade in result.upgrades():
        lines = upgrade.fixed_per_line
        if len(lines) == 1:
            (fixed,) = lines.values()
            text = t(
                "vulndb.fw.upgrade", product=upgrade.product, fixed=fixed, count=upgrade.resolves
            )
        else:
            named = [
                t("vulndb.fw.line", line=".".join(map(str, k)), fixed=v) for k, v in lines.items()
            ]
            text = t(
                "vulndb.fw.upgrade_lines",
                product=upgrade.product,
                lines=("、" if STATE.lang == "ja" else "; ").join(named),
                count=upgrade.resolves,
            )
        console.print(text)
    unfixed = len({m.cve for m in result.matches if not m.fixed_version})
    if unfixed:
        console.print(t("vulndb.fw.unfixed", count=unfixed))


@app.command("check")
def check(
    engagement: Annotated[str | None, typer.Argument()] = None,
    device: Annotated[list[str] | None, typer.Option("--device")] = None,
    vendor: Opt = None,
    product: Opt = None,
    version: Opt = None,
    allow_unparsed: Annotated[
        bool,
        typer.Option("--allow-unparsed"),
    ] = False,
    kb: KbOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Check one firmware (--vendor/--product/--version) or the devices of an engagement."""
    with closing(open_knowledge_base(kb)) as base:
        if engagement is None:
            if not vendor or not product:
                raise CliError(
                    "cli.bad_choice",
                    value="--vendor/--product",
                    allowed="ENGAGEMENT or --vendor and --product",
                )
            result = base.check_firmware(vendor, product, version)
            if version and result.status == "version_unknown" and not allow_unparsed:
                raise CliError(
                    "firmware.unparsed_version", version=version, product=f"{vendor} {product}"
                )
            if as_json:
                print_json(result.to_dict())
                return
            console.print(result.message(STATE.lang))
            if result.matches:
                console.print(match_table(result.matches, console, wide=wide))
                _print_upgrades(result)
            return
        loaded = load(engagement)
        refuse_closed(loaded)  # its findings are stored: a closed engagement takes none
        if device:
            unknown = set(device) - {d.key for d in loaded.devices}
            if unknown:
                raise CliError("cli.missing", key=", ".join(sorted(unknown)))
            loaded = type(loaded)(
                **{
                    **loaded.__dict__,
                    "devices": tuple(d for d in loaded.devices if d.key in device),
                }
            )
        findings = check_engagement(loaded, base)
    with STATE.store().session() as session:
        stored = FindingRepository(session).record(engagement, findings)
    if as_json:
        print_json(
            [
                {
                    "device": f.subject.device_key,
                    "check_id": f.check_id,
                    "category": f.category,
                    "severity": f.severity,
                    "title_ja": f.title_ja,
                    "title_en": f.title_en,
                    "cves": list(f.cves),
                    "kev": f.kev,
                    "ransomware": f.ransomware,
                    "cvss": f.cvss,
                    "confidence": f.confidence,
                    "remediation_ja": f.remediation_ja,
                    "remediation_en": f.remediation_en,
                    "evidence": f.evidence,
                }
                for f in findings
            ]
        )
        return
    for f in findings:
        console.print(f"[bold]{f.severity.value}[/] {f.title(STATE.lang)}")
    console.print(STATE.t("firmware.stored", count=stored, code=engagement))


@app.command("parse")
def parse(
    files: Annotated[list[str], typer.Argument()],
    as_json: JsonOpt = False,
) -> None:
    """Find vendor, model, firmware version and WAN addresses in device outputs."""
    results = []
    for file in files:
        try:
            text = (
                sys.stdin.read() if file == "-" else Path(file).read_text("utf-8", errors="replace")
            )
        except OSError as exc:
            raise cannot_read(file, exc) from None
        results.append((file, parse_device_output(text)))
    if as_json:
        if len(results) == 1:
            print_json(results[0][1].to_dict())
        else:
            print_json([{"file": name, **parsed.to_dict()} for name, parsed in results])
    else:
        for name, parsed in results:
            if len(results) > 1:
                console.print(f"[bold]{name}[/]")
            console.print(parsed.message(STATE.lang))
            if parsed.version_line:
                console.print(f"  {parsed.version_line}")
            for wan in parsed.wan:
                console.print(f"WAN: {wan.address}  ({wan.line})")
    if not all(parsed.found for _, parsed in results):
        raise typer.Exit(1)

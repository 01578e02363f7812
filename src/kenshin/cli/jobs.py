"""``kenshin jobs``: background jobs (in this process, or on Celery workers with a broker).

``jobs scan`` queues a scan job; ``list`` / ``show`` read the ``jobs`` table (every
worker writes there); ``retry`` submits a failed or cancelled job again; ``cancel``
ends one job; ``stop`` is the global emergency stop: every worker's probing halts
within seconds (``--clear`` lifts it).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kenshin.app.jobs import cancel_job
from kenshin.app.scans import start_scan
from kenshin.cli._common import json_or_empty, print_json, say
from kenshin.cli._jobs import follow
from kenshin.cli._options import JsonOpt, WideOpt
from kenshin.cli._state import STATE, console
from kenshin.cli._tables import Cell, fit_table, named_columns
from kenshin.jobs import JobRunner, JobState, JobStatus, runner_for
from kenshin.jobs.inprocess import InProcessRunner
from kenshin.jobs.shared import clear_stop, raise_stop, stop_reason
from kenshin.scan.pacing import EmergencyStop
from kenshin.scope import current_actor

app = typer.Typer(
    no_args_is_help=True,
)

JobIdArg = Annotated[str, typer.Argument()]


def _runner() -> JobRunner:
    """The runner over this command's store, with the pipeline its scan jobs run."""
    return runner_for(STATE.store(), STATE.scan_pipeline())


def _document(status: JobStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "kind": status.spec.kind.value,
        "engagement": status.spec.engagement_code,
        "params": dict(status.spec.params),
        "requested_by": status.spec.requested_by,
        "state": status.state.value,
        "progress": round(status.progress, 4),
        "message": status.message,
        "created_at": status.created_at,
        "started_at": status.started_at,
        "finished_at": status.finished_at,
        "result": dict(status.result),
        "error": status.error,
    }


@app.command("scan")
def scan(
    engagement: Annotated[str | None, typer.Argument()] = None,
    target: Annotated[list[str] | None, typer.Option("--target", "-t")] = None,
    ports: Annotated[str | None, typer.Option("--ports", "-p")] = None,
    top: Annotated[int | None, typer.Option("--top-ports")] = None,
    udp_ports: Annotated[str | None, typer.Option("--udp-ports")] = None,
    mode: Annotated[str, typer.Option("--mode")] = "auto",
    profile_name: Annotated[str, typer.Option("--profile")] = "hospital",
    rate: Annotated[float | None, typer.Option("--rate")] = None,
    per_host: Annotated[int | None, typer.Option("--per-host")] = None,
    unit_ports: Annotated[int | None, typer.Option("--unit-ports")] = None,
    identify: Annotated[bool, typer.Option("--identify/--no-identify")] = True,
    wait: Annotated[bool, typer.Option("--wait")] = False,
    as_json: JsonOpt = False,
) -> None:
    """スキャンをジョブとして登録 / Queue a scan job."""
    params: dict[str, str] = {
        "targets": ",".join(target or []),
        "mode": mode,
        "profile": profile_name,
        "identify": str(identify).lower(),
    }
    optional = {
        "ports": ports,
        "top_ports": top,
        "udp_ports": udp_ports,
        "rate": rate,
        "per_host": per_host,
        "unit_ports": unit_ports,
    }
    params.update({k: str(v) for k, v in optional.items() if v is not None})
    store = STATE.store()
    runner = runner_for(store, STATE.scan_pipeline())
    job_id = start_scan(store, runner, engagement, params, actor=current_actor())
    if wait or isinstance(runner, InProcessRunner):
        if not as_json:
            say("jobs.cli.submitted", id=job_id)
        status = follow(runner, job_id, show=not as_json)
        _show(status, as_json)
        if status.state is not JobState.SUCCEEDED:
            raise typer.Exit(1)
        return
    if as_json:
        print_json({"id": job_id})
    else:
        say("jobs.cli.submitted", id=job_id)


@app.command("list")
def list_jobs(
    engagement: Annotated[str | None, typer.Option("--engagement", "-e")] = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """ジョブの一覧 / List jobs (queued, running, paused, ended)."""
    statuses = _runner().list(engagement)
    if json_or_empty(as_json, [_document(s) for s in statuses], "jobs.cli.none"):
        return
    # the ID stays whole (it is copied into jobs show/retry); the message goes first
    drops = {"kind": 1, "progress": 1, "created": 2, "message": 3}
    names = ("id", "kind", "engagement", "state", "progress", "created", "message")
    columns = named_columns(STATE.t, "jobs.cli.col", names, drops, whole={"id"})
    rows: list[list[Cell]] = [
        [
            s.id,
            s.spec.kind.value,
            s.spec.engagement_code or "-",
            s.state.value,
            f"{s.progress * 100:.0f}%",
            s.created_at.isoformat(timespec="seconds"),
            s.error or s.message,
        ]
        for s in statuses
    ]
    title = STATE.t("jobs.cli.list_title")
    console.print(fit_table(console, columns, rows, lang=STATE.lang, title=title, wide=wide))
    reason = stop_reason(STATE.store())
    if reason is not None:
        say("jobs.cli.stop_is_raised", reason=reason.strip())


def _show(status: JobStatus, as_json: bool) -> None:
    """One job as JSON, or as ``key: value`` lines."""
    if as_json:
        print_json(_document(status))
        return
    for key, value in _document(status).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
        console.print(f"{key}: {value if value not in (None, '') else '-'}")


@app.command("show")
def show(
    job_id: JobIdArg,
    as_json: JsonOpt = False,
) -> None:
    """ジョブの詳細 / Show one job."""
    _show(_runner().status(job_id), as_json)


@app.command("retry")
def retry(
    job_id: JobIdArg,
    as_json: JsonOpt = False,
) -> None:
    """失敗したジョブを再実行 / Submit a failed or cancelled job again."""
    new_id = _runner().retry(job_id)
    if as_json:
        print_json({"id": new_id, "retry_of": job_id})  # `jobs submit --json`'s shape
        return
    say("jobs.cli.retried", id=job_id, new=new_id)


@app.command("cancel")
def cancel(job_id: JobIdArg) -> None:
    """ジョブを取り消す / Cancel a job (a running scan stops sending)."""
    store = STATE.store()
    cancel_job(store, runner_for(store, STATE.scan_pipeline()), job_id, actor=current_actor())
    say("jobs.cli.cancelled", id=job_id)


@app.command("stop")
def stop(
    clear: Annotated[bool, typer.Option("--clear")] = False,
    reason: Annotated[str, typer.Option("--reason")] = "",
) -> None:
    """緊急停止: 全ワーカーの送信を止める / Global emergency stop of every worker's probing."""
    store = STATE.store()
    local = EmergencyStop()
    if clear:
        cleared = clear_stop(store)
        cleared = local.clear_file() or cleared
        say("jobs.cli.stop_cleared" if cleared else "jobs.cli.stop_absent")
        return
    actor = current_actor()
    raise_stop(store, reason or f"raised by {actor}", actor)
    local.raise_file(f"raised by {actor}\n")
    say("jobs.cli.stop_raised", where=store.display_url())

"""Run several emulators of one lab host in one process (inside the host's namespace).

``python -m kenshin.lab._runner SPEC.json`` where the file lists
``[{"name": ..., "emulator": ..., "host": ..., "port": ..., "options": {...}}]``. Each
emulator's ``serve(host, port, **options)`` (the contract of ``kenshin.lab.emulators``)
runs as a task of one asyncio loop; SIGTERM ends them all; an emulator that fails
(a bad option, a port in use) ends the runner with exit code 3 and its reason on stderr.
One process per host instead of one per emulator keeps the lab's start fast.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from kenshin.lab.emulators import spec_of


async def _one(spec: dict[str, Any], failed: list[str], stop: asyncio.Event) -> None:
    try:
        serve = spec_of(spec["emulator"]).serve_function()
        await serve(spec["host"], int(spec["port"]), **spec["options"])
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # one broken emulator stops the runner: the lab reports it
        print(f"FAILED {spec['name']}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        failed.append(spec["name"])
        stop.set()


async def _main(specs: list[dict[str, Any]]) -> int:
    stop = asyncio.Event()
    failed: list[str] = []
    tasks = [asyncio.create_task(_one(spec, failed, stop)) for spec in specs]
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 3 if failed else 0


def main(argv: list[str]) -> int:
    specs = json.loads(Path(argv[0]).read_text("utf-8"))
    return asyncio.run(_main(specs))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

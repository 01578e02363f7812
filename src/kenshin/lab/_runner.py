"""Run several emulators of one lab host in one process (inside the host's namespace).

``python -m kenshin.lab._runner SPEC.json`` where the file lists
``[{"name": ..., "emulator": ..., "host": ..., "port": ..., "options": {...}}]``. Each
emulator's ``serve(host, port, **options)`` (the contract of ``kenshin.lab.emulators``)
runs as a task of one asyncio loop; SIGTERM ends them all. One process per host instead
of one per emulator keeps the lab's start fast.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any


def _serve_function(name: str) -> Callable[..., Awaitable[None]]:
    registry: Any = importlib.import_module("kenshin.lab.emulators").EMULATORS
    entry = registry[name]
    if hasattr(entry, "serve_function"):
        serve: Callable[..., Awaitable[None]] = entry.serve_function()
        return serve
    module_serve: Callable[..., Awaitable[None]] = importlib.import_module(
        f"kenshin.lab.emulators.{name}"
    ).serve
    return module_serve


async def _one(spec: dict[str, Any]) -> None:
    try:
        serve = _serve_function(spec["emulator"])
        await serve(spec["host"], int(spec["port"]), **spec["options"])
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # report and let the lab see the socket missing
        print(f"FAILED {spec['name']}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


async def _main(specs: list[dict[str, Any]]) -> None:
    tasks = [asyncio.create_task(_one(spec)) for spec in specs]
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def main(argv: list[str]) -> int:
    specs = json.loads(Path(argv[0]).read_text("utf-8"))
    asyncio.run(_main(specs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

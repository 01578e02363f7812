"""Run one emulator as a process: ``python -m kenshin.lab.emulators NAME --host H --port P``.

Prints ``READY <name> <protocol> <host> <port>`` on stdout (one line per socket, flushed)
once it listens; exits 0 on SIGTERM or SIGINT, 2 on a bad name or option.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from kenshin.lab.emulators import EMULATORS, settings, spec_of
from kenshin.lab.emulators._common import on_listening
from kenshin.lab.emulators._errors import EmulatorError


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kenshin.lab.emulators",
        description="Run one test-lab protocol emulator until SIGTERM.",
    )
    parser.add_argument("name", help="one of: " + ", ".join(sorted(EMULATORS)))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None, help="default: the emulator's own")
    parser.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
    )
    return parser.parse_args(argv)


def _options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise EmulatorError("lab_emulators.option_syntax", text=pair)
        options[key] = value
    return options


async def _run(name: str, host: str, port: int, options: dict[str, str]) -> None:
    serve = spec_of(name).serve_function()

    def ready(emulator: str, protocol: str, address: tuple[Any, ...]) -> None:
        print(f"READY {emulator} {protocol} {address[0]} {address[1]}", flush=True)

    on_listening.set(ready)
    task = asyncio.create_task(serve(host, port, **options))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    try:
        spec = spec_of(args.name)
        options = _options(args.option)
        settings(args.name, options)
        port = spec.default_port if args.port is None else args.port
        asyncio.run(_run(args.name, args.host, port, options))
    except EmulatorError as exc:
        print(exc.message("en"), file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the address is in use or not on this host
        print(f"{args.name}: cannot listen on {args.host} port {args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

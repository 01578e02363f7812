"""Faithful protocol emulators for the test lab: servers no Debian package provides.

Each emulator is a module ``kenshin.lab.emulators.<name>`` with
``async def serve(host: str, port: int, **options: str) -> None`` that runs until
cancelled. ``EMULATORS`` lists them (name → ``EmulatorSpec``); ``start()`` runs one
in-process and says where it listens; ``python -m kenshin.lab.emulators NAME --host H
--port P [--option key=value ...]`` runs one as a process.

What each emulator says comes from public protocol specifications and vendors'
documentation; the per-product data (banners, paths, headers, per-release values) lives
in ``data/*.yaml``, each file naming its source and date.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from kenshin.lab.emulators._common import on_listening
from kenshin.lab.emulators._errors import EmulatorError

Transport = Literal["tcp", "udp", "tcp+udp"]
Serve = Callable[..., Coroutine[Any, Any, None]]
#: Seconds ``start()`` waits for an emulator to listen.
START_SECONDS = 15.0


@dataclass(frozen=True)
class EmulatorSpec:
    """What the registry knows about one emulator."""

    name: str
    module: str
    protocol: Transport
    default_port: int
    description: str
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def serve_function(self) -> Serve:
        serve: Serve = importlib.import_module(self.module).serve
        return serve


def _spec(
    name: str,
    protocol: Transport,
    port: int,
    description: str,
    **options: str,
) -> tuple[str, EmulatorSpec]:
    return name, EmulatorSpec(
        name=name,
        module=f"kenshin.lab.emulators.{name}",
        protocol=protocol,
        default_port=port,
        description=description,
        options=MappingProxyType(dict(options)),
    )


EMULATORS: Mapping[str, EmulatorSpec] = MappingProxyType(
    dict(
        [
            _spec(
                "fortigate",
                "tcp",
                443,
                "Fortinet FortiGate SSL-VPN portal (optionally the admin UI) over HTTPS",
                version="7.0.11",
                model="FGT60F",
                admin_ui="false",
                serial="",
            ),
            _spec(
                "telnet_router",
                "tcp",
                23,
                "Telnet login of a router (YAMAHA RTX, NEC UNIVERGE IX or Cisco IOS)",
                flavor="yamaha",
                password="",
                model="",
                firmware="",
            ),
            _spec(
                "rdp",
                "tcp",
                3389,
                "Microsoft RDP listener: X.224 Connection Confirm with RDP_NEG_RSP",
                nla="true",
                hostname="WIN-7K2QH4M1R0B",
            ),
            _spec(
                "ike",
                "udp",
                500,
                "IPsec IKE responder (IKEv1 Main Mode, IKEv2 IKE_SA_INIT; NAT-T on 4500)",
                vendor="generic",
                natt="auto",
            ),
        ]
    )
)


def settings(name: str, given: Mapping[str, str]) -> dict[str, str]:
    """The options of emulator ``name``: its defaults overlaid with ``given``.

    Raises ``EmulatorError`` for an unknown emulator or option.
    """
    spec = spec_of(name)
    unknown = sorted(set(given) - set(spec.options))
    if unknown:
        raise EmulatorError(
            "lab_emulators.unknown_option",
            name=name,
            option=unknown[0],
            known=", ".join(sorted(spec.options)) or "-",
        )
    merged = dict(spec.options)
    merged.update({key: str(value) for key, value in given.items()})
    return merged


def spec_of(name: str) -> EmulatorSpec:
    try:
        return EMULATORS[name]
    except KeyError:
        raise EmulatorError(
            "lab_emulators.unknown", name=name, known=", ".join(sorted(EMULATORS))
        ) from None


@dataclass
class RunningEmulator:
    """An emulator running as a task of the current event loop."""

    name: str
    task: asyncio.Task[None]
    #: (protocol, host, port) of every socket it listens on.
    addresses: list[tuple[str, str, int]]

    @property
    def port(self) -> int:
        return self.addresses[0][2]

    @property
    def host(self) -> str:
        return self.addresses[0][1]

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def start(
    name: str, host: str = "127.0.0.1", port: int = 0, **options: str
) -> RunningEmulator:
    """Run emulator ``name`` in this event loop and return once it listens.

    ``port=0`` picks a free port (for ``tcp+udp`` emulators, the same number for both).
    """
    spec = spec_of(name)
    settings(name, options)  # fail early on a bad option name
    serve = spec.serve_function()
    expected = 2 if spec.protocol == "tcp+udp" else 1
    addresses: list[tuple[str, str, int]] = []
    ready = asyncio.Event()

    def listening(_name: str, protocol: str, address: tuple[Any, ...]) -> None:
        addresses.append((protocol, str(address[0]), int(address[1])))
        if len(addresses) >= expected:
            ready.set()

    token = on_listening.set(listening)
    try:
        task = asyncio.create_task(serve(host, port, **options), name=f"emulator-{name}")
    finally:
        on_listening.reset(token)
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait(
        {task, waiter}, timeout=START_SECONDS, return_when="FIRST_COMPLETED"
    )
    waiter.cancel()
    if task in done:
        task.result()  # raises what made it stop
        raise EmulatorError("lab_emulators.unknown", name=name, known="(it stopped at once)")
    if not ready.is_set():
        task.cancel()
        raise TimeoutError(f"emulator {name} did not listen within {START_SECONDS} s")
    return RunningEmulator(name=name, task=task, addresses=addresses)


@contextmanager
def running(
    name: str, host: str = "127.0.0.1", port: int = 0, **options: str
) -> Iterator[RunningEmulator]:
    """Run emulator ``name`` on its own event loop in a background thread.

    For blocking callers (tests, benchmarks, the loopback lab): yields once the emulator
    listens and stops it (and its thread) on exit.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=f"emulator-{name}", daemon=True)
    thread.start()
    try:
        emulator = asyncio.run_coroutine_threadsafe(
            start(name, host, port, **options), loop
        ).result(30)
        try:
            yield emulator
        finally:
            asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


__all__ = [
    "EMULATORS",
    "EmulatorError",
    "EmulatorSpec",
    "RunningEmulator",
    "running",
    "settings",
    "start",
]

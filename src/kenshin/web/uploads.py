"""Uploaded files: read with a size limit, recognised by their first bytes, parsed apart.

The extension a browser sends says nothing; the content decides (``kenshin.filetypes``).
Anything not of the wanted kinds is refused before any importer sees it, so nothing is
stored. A file that passes is parsed in a child process with a time limit
(``parse_apart``): a thread cannot be stopped, a process can.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import anyio
from fastapi import UploadFile

from kenshin.filetypes import FileKind as Kind
from kenshin.filetypes import check_workbook_archive, sniff
from kenshin.web.accounts import WebError

__all__ = [
    "MAX_FILES",
    "Kind",
    "off_the_loop",
    "parse_apart",
    "read_limited",
    "read_upload",
    "sniff",
]

MAX_FILES = 20
PARSERS_AT_ONCE = 2  # parsing threads; the event loop keeps answering everyone else
STARTUP_SECONDS = 60.0  # starting the fork server the first time imports the parsers
_STARTED = "started"
# Parsers start from a fork server that has the importers (and this module, which runs
# them) loaded: a fresh, single-threaded process (never a fork of the busy server) that
# starts in milliseconds, not in the second it takes to import the web app again.
_CHILDREN = multiprocessing.get_context("forkserver")
_CHILDREN.set_forkserver_preload(["__main__", "kenshin.intake", __name__])

_T = TypeVar("_T")
_parsers: anyio.CapacityLimiter | None = None


async def off_the_loop(work: Callable[[], _T]) -> _T:
    """Run ``work`` (parsing, importing) in a worker thread, at most a few at a time.

    A handler that parses inside ``async def`` holds every other request while it works;
    here only the uploader waits.
    """
    global _parsers
    if _parsers is None:
        _parsers = anyio.CapacityLimiter(PARSERS_AT_ONCE)
    return await anyio.to_thread.run_sync(work, limiter=_parsers)


async def parse_apart(work: Callable[..., _T], *args: Any, name: str, seconds: float) -> _T:
    """``work(*args)`` in a child process, killed after ``seconds``; its result or its error.

    ``work`` and its arguments travel to the child and the result back (picklable, a
    module-level function). A parser that runs out of time is killed, and the uploader
    is told so (``WebError``); the event loop never waits on it.
    """
    outcome = await off_the_loop(lambda: _run_apart(work, args, seconds))
    if outcome is None:
        raise WebError("web.upload.too_slow", name=name, seconds=f"{seconds:g}")
    done, value = outcome
    if not done:
        raise value
    result: _T = value
    return result


def _run_child(sending: Connection, work: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the child: send ``(True, result)`` or ``(False, the exception)`` to the parent."""
    sending.send(_STARTED)
    try:
        outcome: tuple[bool, Any] = (True, work(*args))
    except Exception as exc:  # every failure travels back to the request
        outcome = (False, exc)
    try:
        sending.send(outcome)
    except Exception as exc:  # a result or an error that does not pickle
        sending.send((False, RuntimeError(f"parser failed: {exc!r}")))
    finally:
        sending.close()


def _run_apart(
    work: Callable[..., Any], args: tuple[Any, ...], seconds: float
) -> tuple[bool, Any] | None:
    """Start the child and wait (in a worker thread: starting it may wait for the fork
    server) for its outcome; ``None`` when time ran out.

    The clock starts when the child says it has started: starting a process on a busy
    machine is not the file's fault. The child is killed and reaped whatever happens,
    so none outlives its request.
    """
    receiving, sending = _CHILDREN.Pipe(duplex=False)
    child = _CHILDREN.Process(target=_run_child, args=(sending, work, args), daemon=True)
    try:
        child.start()
        sending.close()
        if not receiving.poll(STARTUP_SECONDS):
            return None
        try:
            receiving.recv()  # _STARTED
            if not receiving.poll(seconds):
                return None
            outcome: tuple[bool, Any] = receiving.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            return (False, RuntimeError(f"parser exited with code {child.exitcode}"))
        return outcome
    finally:
        sending.close()
        if child.pid is not None:  # started
            if child.is_alive():
                child.kill()
            child.join()
        receiving.close()


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The whole file if it is not empty and within ``limit``; ``WebError`` if not."""
    data = await upload.read(limit + 1)
    name = upload.filename or "-"
    if not data:
        raise WebError("web.upload.empty", name=name)
    if len(data) > limit:
        raise WebError("web.upload.too_large", name=name, limit=f"{limit // 1024} KiB")
    return data


async def read_upload(upload: UploadFile, limit: int, *kinds: Kind) -> bytes:
    """The whole file if it is within ``limit`` and one of ``kinds``; ``WebError`` if not."""
    data = await read_limited(upload, limit)
    kind = sniff(data)
    if kind not in kinds:
        raise WebError(
            "web.upload.wrong_type",
            name=upload.filename or "-",
            wanted=", ".join(k.value for k in kinds),
        )
    if kind is Kind.WORKBOOK:
        check_workbook_archive(data, upload.filename or "-")
    return data

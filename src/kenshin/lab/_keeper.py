"""Keep a lab up in the background for ``kenshin lab up`` until ``kenshin lab down``.

``python -m kenshin.lab._keeper PROFILE`` starts the lab, records itself as the lab's
owner (``keeper: true`` in the slot's state file) and waits for SIGTERM, SIGINT or SIGHUP;
then it stops the lab's processes and removes its namespaces. If the keeper is killed
outright, the next lab start (or ``kenshin lab down``) cleans up what it left.
"""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

from kenshin.lab._lab import Lab
from kenshin.lab._model import LabError


def main(argv: list[str]) -> int:
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _stop)
    try:
        lab = Lab.start(argv[0], keeper=True)
    except LabError as exc:
        print(f"FAILED {exc.message('en')}", file=sys.stderr, flush=True)
        return 2
    try:
        print(f"READY {lab.slot}", flush=True)
        while not stop.wait(3600):
            pass
    finally:
        lab.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Compact probe state: one byte per (target index, port index), sealed sparsely when done.

A scan of many addresses must cost memory in proportion to the probes in flight, not
to Python objects per address and port. ``PortTable`` keeps the outcomes of one
protocol keyed by the plan's target index and port index: a target's row is a
``bytearray`` of one-byte outcome codes (0 = no outcome yet), allocated on its first
result. Targets are worked through in groups of at most ``WINDOW_CELLS`` cells (see
``groups``); once a group is finished and the plan has more than one group, each of its
rows is sealed into a sparse form (the most common code and the ports that differ), so
a 16,384-address full-port plan never holds 16,384 tables of 65,535 states at once.
"""

from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kenshin.domain import PortState

WINDOW_CELLS = 1 << 24
"""Cells (target × port) of one group of targets in flight: 16 MiB of dense rows at most."""
_NO_INDEX = 0xFFFF


class Outcomes:
    """(state, reason) pairs as one-byte codes, shared by every table of a scan.

    Code 0 means "no outcome yet"; at most 254 distinct pairs, further reasons of a
    state fold into ``(state, "other")``.
    """

    def __init__(self) -> None:
        self.pairs: list[tuple[PortState, str]] = [(PortState.CLOSED, "")]
        self._codes: dict[tuple[PortState, str], int] = {}
        self._lock = threading.Lock()

    def code(self, state: PortState, reason: str) -> int:
        key = (state, reason)
        found = self._codes.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._codes.get(key)
            if found is not None:
                return found
            if len(self.pairs) >= 255:
                key = (state, "other")
                found = self._codes.get(key)
                if found is not None:
                    return found
            self.pairs.append(key)
            self._codes[key] = len(self.pairs) - 1
            return len(self.pairs) - 1

    def open_codes(self) -> list[int]:
        return [c for c, (state, _r) in enumerate(self.pairs) if c and state is PortState.OPEN]


@dataclass(frozen=True, slots=True)
class _Sealed:
    """A finished row: the commonest code, and the port indexes (and codes) that differ."""

    common: int
    indexes: array[int]
    codes: bytes

    def get(self, j: int) -> int:
        for position, index in enumerate(self.indexes):
            if index == j:
                return self.codes[position]
        return self.common

    def dense(self, width: int) -> bytearray:
        row = bytearray([self.common]) * width
        for index, code in zip(self.indexes, self.codes, strict=True):
            row[index] = code
        return row


def _seal(row: bytearray) -> _Sealed:
    present = set(row)
    common = max(present, key=row.count)
    other = re.compile(b"[^" + re.escape(bytes([common])) + b"]")
    indexes = array("I")
    codes = bytearray()
    for match in other.finditer(row):
        indexes.append(match.start())
        codes.append(row[match.start()])
    return _Sealed(common, indexes, bytes(codes))


class PortTable:
    """Outcomes of one protocol for every (target, port) of a plan, compactly.

    ``targets`` and ``ports`` are the plan's own sequences (not copied). Writes come
    from one thread per cell (scan threads own disjoint cells); allocating a row takes
    a lock so two threads never allocate the same row twice.
    """

    def __init__(self, targets: Sequence[str], ports: Sequence[int], outcomes: Outcomes) -> None:
        self.targets = targets
        self.ports = tuple(ports)
        self.outcomes = outcomes
        self.width = len(self.ports)
        self._port_index = array("H", [_NO_INDEX]) * 65536
        for j, port in enumerate(self.ports):
            self._port_index[port] = j
        self.rows: list[bytearray | _Sealed | None] = [None] * len(targets)
        self._lock = threading.Lock()
        self.prefilled = 0
        self.prefilled_open = 0

    # -- indexes --------------------------------------------------------------------
    def port_index(self, port: int) -> int:
        """The index of ``port`` in the plan, or -1 when the plan does not hold it."""
        j = self._port_index[port] if 0 <= port < 65536 else _NO_INDEX
        return -1 if j == _NO_INDEX else j

    def groups(self) -> Iterator[range]:
        """Target index ranges of at most ``WINDOW_CELLS`` cells each, in plan order."""
        size = max(1, WINDOW_CELLS // max(1, self.width))
        for start in range(0, len(self.targets), size):
            yield range(start, min(start + size, len(self.targets)))

    @property
    def grouped(self) -> bool:
        return len(self.targets) * self.width > WINDOW_CELLS

    # -- cells ----------------------------------------------------------------------
    def row(self, i: int) -> bytearray:
        """Target ``i``'s dense row, allocated (or unsealed) on first use."""
        current = self.rows[i]
        if isinstance(current, bytearray):
            return current
        with self._lock:
            current = self.rows[i]
            if isinstance(current, bytearray):
                return current
            dense = bytearray(self.width) if current is None else current.dense(self.width)
            self.rows[i] = dense
            return dense

    def get(self, i: int, j: int) -> int:
        current = self.rows[i]
        if current is None:
            return 0
        if isinstance(current, bytearray):
            return current[j]
        return current.get(j)

    def set(self, i: int, j: int, code: int) -> bool:
        """Record ``code`` for (target i, port j) unless it has one; True when recorded."""
        row = self.row(i)
        if row[j]:
            return False
        row[j] = code
        return True

    def seal(self, targets: range) -> None:
        """Turn the finished rows of ``targets`` into their sparse form."""
        for i in targets:
            current = self.rows[i]
            if isinstance(current, bytearray):
                self.rows[i] = _seal(current)

    # -- reading --------------------------------------------------------------------
    def results(self, i: int) -> list[tuple[int, PortState, str]]:
        """``(port, state, reason)`` of every port of target ``i`` with an outcome."""
        current = self.rows[i]
        if current is None:
            return []
        row = current if isinstance(current, bytearray) else current.dense(self.width)
        pairs = self.outcomes.pairs
        ports = self.ports
        return [(ports[j], *pairs[code]) for j, code in enumerate(row) if code]

    def count(self, codes: Sequence[int] | None = None) -> int:
        """Cells holding any outcome (or one of ``codes``)."""
        total = 0
        for current in self.rows:
            if current is None:
                continue
            if isinstance(current, bytearray):
                if codes is None:
                    total += self.width - current.count(0)
                else:
                    total += sum(current.count(c) for c in codes)
                continue
            wanted = (lambda c: c != 0) if codes is None else (lambda c: c in codes)
            total += (self.width - len(current.indexes)) * wanted(current.common)
            total += sum(1 for c in current.codes if wanted(c))
        return total


class AddressIndex:
    """The plan index of an IPv4 address (four packed bytes), with no object per address.

    Built from the scan's array of destination addresses by target index (0: no route,
    never found). A plan that is one run of consecutive addresses (a CIDR block, the
    usual case) is looked up by subtraction; any other by binary search in a sorted copy.
    A dict of 16,384 packed addresses costs about 1.6 MB; this costs nothing or 128 KB.
    """

    def __init__(self, values: array[int]) -> None:
        self._values = values
        self._first = values[0] if values else 0
        self._run = bool(self._first) and all(
            value == self._first + i for i, value in enumerate(values)
        )
        self._keys = array("I")
        self._order = array("I")
        if not self._run:
            known = (i for i, value in enumerate(values) if value)
            self._order = array("I", sorted(known, key=values.__getitem__))
            self._keys = array("I", (values[i] for i in self._order))

    def get(self, packed: bytes) -> int | None:
        value = int.from_bytes(packed, "big")
        if self._run:
            i = value - self._first
            return i if 0 <= i < len(self._values) else None
        k = bisect_left(self._keys, value)
        if k < len(self._keys) and self._keys[k] == value:
            return self._order[k]
        return None

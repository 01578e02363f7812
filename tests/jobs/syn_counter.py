"""Counts TCP SYNs arriving at one lab address, from inside the lab host's namespace.

Run as ``ip netns exec <namespace> python syn_counter.py ADDRESS OUTFILE``: writes the
arrival time (epoch seconds) of every TCP SYN (without ACK) to ADDRESS, one per line,
until it is terminated. The packet layout is the IPv4 header (RFC 791) followed by the
TCP header (RFC 9293), whose 14th byte holds the flags.
"""

from __future__ import annotations

import signal
import socket
import sys
import time

ETH_P_IP = 0x0800


def main() -> None:
    address, out = sys.argv[1], sys.argv[2]
    wanted = socket.inet_aton(address)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    sock.settimeout(0.5)
    running = True

    def stop(_signum: int, _frame: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    deadline = time.monotonic() + 600  # bounded: never counts for more than 10 minutes
    with open(out, "w", encoding="ascii", buffering=1) as sink:
        sink.write("ready\n")
        while running and time.monotonic() < deadline:
            try:
                packet = sock.recv(128)
            except TimeoutError:
                continue
            except InterruptedError:
                continue
            if len(packet) < 20 or packet[9] != 6 or packet[16:20] != wanted:
                continue
            header = (packet[0] & 0x0F) * 4
            if len(packet) < header + 14:
                continue
            flags = packet[header + 13]
            if flags & 0x02 and not flags & 0x10:
                sink.write(f"{time.time():.6f}\n")


if __name__ == "__main__":
    main()

"""Kernel message polling that cannot sleep through a message (book build and notebook tests).

Executing a notebook, nbclient waits for each cell's reply with one ``await socket.poll(T)`` on
the kernel's shell socket, ``T`` being the whole cell timeout, and for its output with an
unbounded poll on the IOPub socket. pyzmq's asyncio poll wakes only when the socket's
notification descriptor (ZMQ_FD) becomes readable. That descriptor is edge-triggered: it
signals a *change* of the socket's state, and a message can be queued on the socket without a
new signal, e.g. when the socket's state was read elsewhere between the message's arrival and
the event loop's look at the descriptor. The poll then sleeps until ``T`` has passed, finds the
message on its final non-blocking check and returns it: the cell "stalls" for the whole cell
timeout with both processes idle, and the notebook's outputs are unharmed. ZeroMQ's
documentation asks every user of ZMQ_FD to re-check ZMQ_EVENTS instead of relying on the
signal alone.

:func:`install` makes jupyter_client's asynchronous channel poll in slices of at most
:data:`SLICE` seconds, each ending in that non-blocking check, with the caller's deadline kept:
a missed signal costs at most one slice. Each message that was already waiting when a slice
timed out is counted in :data:`MISSED` (channel, seconds since the kernel sent it), so a build
reports how often the signal was missed instead of hiding it.
"""

from __future__ import annotations

import datetime
import os
import time
from queue import Empty

SLICE = 1.0
#: (channel name, seconds between the kernel's send and the client's receipt) per missed signal
MISSED: list[tuple[str, float]] = []
_installed = False
_mode = ""
_CHANNEL = {2: "iopub (SUB)", 5: "shell/control/stdin (DEALER)"}  # zmq.SUB, zmq.DEALER


def _age(msg) -> float:
    date = msg.get("header", {}).get("date")
    if not isinstance(date, datetime.datetime):
        return float("nan")
    if date.tzinfo is None:
        date = date.replace(tzinfo=datetime.timezone.utc)
    return (datetime.datetime.now(datetime.timezone.utc) - date).total_seconds()


async def _get_msg(self, timeout: float | None = None):
    """``AsyncZMQSocketChannel.get_msg`` that re-checks the socket at least every SLICE seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = SLICE if deadline is None else min(SLICE, deadline - time.monotonic())
        wait_ms = max(int(left * 1000), 0)
        start = time.monotonic()
        ready = await self.socket.poll(wait_ms)
        if ready:
            msg = await self._recv()
            if wait_ms > 0 and time.monotonic() - start >= 0.99 * left:
                # found by the poll's final check after its timer fired: the wake-up was missed
                age = _age(msg)
                if not age < 0.5 * SLICE:  # arrived long before the timer (or undated)
                    MISSED.append((_CHANNEL.get(self.socket.type, str(self.socket.type)), age))
            return msg
        if deadline is not None and time.monotonic() >= deadline:
            raise Empty


async def _get_msg_watched(self, timeout: float | None = None):
    """jupyter_client's own single poll, recording messages that waited over a second in the
    socket before the poll returned them (a missed wake-up that cost a stall)."""
    timeout_ms = None if timeout is None else int(timeout * 1000)
    start = time.monotonic()
    ready = await self.socket.poll(timeout_ms)
    if not ready:
        raise Empty
    msg = await self._recv()
    age = _age(msg)
    if time.monotonic() - start > SLICE and age > SLICE:
        MISSED.append((_CHANNEL.get(self.socket.type, str(self.socket.type)), age))
    return msg


def install() -> None:
    """Patch ``jupyter_client.channels.AsyncZMQSocketChannel.get_msg`` (idempotent).

    ``DUALKIT_KERNEL_POLL=off`` in the environment leaves jupyter_client as it is;
    ``DUALKIT_KERNEL_POLL=watch`` keeps its single poll but records each message that waited
    more than a second in the socket (to measure the stalls that the re-check prevents).
    """
    global _installed, _mode
    mode = os.environ.get("DUALKIT_KERNEL_POLL", "").lower()
    if _installed or mode == "off":
        return
    from jupyter_client.channels import AsyncZMQSocketChannel

    AsyncZMQSocketChannel.get_msg = (  # type: ignore[method-assign]
        _get_msg_watched if mode == "watch" else _get_msg)
    _mode = "watch" if mode == "watch" else "re-check"
    _installed = True


def report() -> str:
    """One line on the missed wake-ups seen in this process."""
    if not _installed:
        return "kernel polling: jupyter_client's own (DUALKIT_KERNEL_POLL=off)"
    if _mode == "watch":
        return (f"kernel polling (watch, jupyter_client's single poll): {len(MISSED)} stalled "
                f"message(s): " + ", ".join(f"{c} {a:.1f} s" for c, a in MISSED))
    if not MISSED:
        return "kernel polling: no missed wake-up"
    worst = max((a for _, a in MISSED if a == a), default=float("nan"))
    channels = ", ".join(sorted({c for c, _ in MISSED}))
    return (f"kernel polling: {len(MISSED)} message(s) found only by the periodic re-check "
            f"(missed wake-ups on {channels}; oldest {worst:.1f} s after the kernel sent it)")

"""The notebook client's poll cannot sleep through a message (dualkit/_kernel_poll.py).

The book build and the notebook tests wait for kernel replies through jupyter_client's
asynchronous channel. A read of the socket's state (ZMQ_EVENTS) between a message's arrival
and the event loop's look at the socket's edge-triggered descriptor (ZMQ_FD) consumes the
wake-up: pyzmq's asyncio poll then sleeps until its timeout. These tests provoke exactly that
and check that the patched channel finds the message within one re-check slice, keeps the
caller's deadline, and counts the missed wake-up.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import pytest
import zmq
import zmq.asyncio
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.session import Session

from dualkit import _kernel_poll


async def _round_trip(read_events_elsewhere: bool, timeout: float):
    """A DEALER channel (the client's shell) asks, a ROUTER (the kernel) answers after 0.2 s."""
    _kernel_poll.install()
    ctx = zmq.asyncio.Context()
    kernel_ctx = zmq.Context()
    router = kernel_ctx.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(zmq.DEALER)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    session = Session(key=b"")
    channel = AsyncZMQSocketChannel(dealer, session)
    try:
        session.send(dealer, "kernel_info_request", {})
        ident = router.recv_multipart()[0]

        async def answer():
            await asyncio.sleep(0.2)
            session.send(router, "kernel_info_reply", {}, ident=ident)
            if read_events_elsewhere:
                time.sleep(0.05)  # delivered; the event loop has not looked at ZMQ_FD yet
                zmq.Socket.shadow(dealer.underlying).get(zmq.EVENTS)  # consumes the wake-up

        task = asyncio.ensure_future(answer())
        start = time.monotonic()
        try:
            msg = await channel.get_msg(timeout=timeout)
        finally:
            await task
        return msg, time.monotonic() - start
    finally:
        dealer.close(0)
        router.close(0)
        ctx.term()
        kernel_ctx.term()


def test_reply_found_within_one_slice_after_a_missed_wake_up():
    before = len(_kernel_poll.MISSED)
    msg, took = asyncio.run(_round_trip(read_events_elsewhere=True, timeout=30))
    assert msg["msg_type"] == "kernel_info_reply"
    assert took < _kernel_poll.SLICE + 1.0          # not the 30 s timeout
    assert len(_kernel_poll.MISSED) == before + 1    # counted, not hidden
    assert "missed wake-up" in _kernel_poll.report()


def test_reply_without_a_missed_wake_up_is_immediate_and_not_counted():
    before = len(_kernel_poll.MISSED)
    msg, took = asyncio.run(_round_trip(read_events_elsewhere=False, timeout=30))
    assert msg["msg_type"] == "kernel_info_reply"
    assert took < 0.2 + 0.5
    assert len(_kernel_poll.MISSED) == before


@pytest.mark.medium
def test_deadline_is_kept():
    async def wait_for_nothing():
        _kernel_poll.install()
        ctx = zmq.asyncio.Context()
        sock = ctx.socket(zmq.DEALER)
        sock.connect("tcp://127.0.0.1:9")  # nothing answers
        try:
            start = time.monotonic()
            with pytest.raises(Empty):
                await AsyncZMQSocketChannel(sock, Session(key=b"")).get_msg(timeout=1.5)
            return time.monotonic() - start
        finally:
            sock.close(0)
            ctx.term()

    took = asyncio.run(wait_for_nothing())
    assert 1.4 <= took < 2.5

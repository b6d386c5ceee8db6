"""Sending at the pace Twilio allows each sender number, across every worker.

Twilio queues what a number sends beyond its rate (an ordinary long code: about one SMS a
second; outbound calls: one a second per account unless raised) and fails what waits too
long; pacing here keeps the workers under that rate. The count is shared through
`centre.ratelimit` (Redis when `REDIS_URL` is set, else the database), in windows of one
second per sender and channel. A rate of 0 means no pacing.
"""

from __future__ import annotations

import time
from datetime import timedelta

from centre import ratelimit

WINDOW = timedelta(seconds=1)
WAIT_SECONDS = 2.0  # longer than that, the job is put back in the queue instead


def take_turn(channel: str, sender: str, per_second: float) -> bool:
    """Wait for a turn of `sender` on `channel`; return False if none came within two seconds."""
    if per_second <= 0:
        return True
    give_up = time.monotonic() + WAIT_SECONDS
    key = f"pace:{channel}:{sender}"
    while True:
        if ratelimit.hit(key, WINDOW) <= per_second:
            return True
        ratelimit.release(key)  # a turn not taken is not counted
        if time.monotonic() >= give_up:
            return False
        time.sleep(min(0.05, 1 / per_second))

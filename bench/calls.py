"""The benchmark's callers: signed webhooks, calls at the main menu, and the steps they made."""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import sqlalchemy as sa

from bench.load import raw_request
from ivr.driver import ENTRY_PATH, HttpTransport, PhoneCall, Transport, sign
from ivr.models import Call

ENGLISH_KEY = "7"
REPEAT_KEY = "*"
DIALLED = "+33805000000"
STEP_PATH = "/ivr/step"


def random_caller(rng: random.Random) -> str:
    """Return a French mobile number, different for (almost) every call."""
    return f"+336{rng.randrange(10**8):08d}"


def _new_sid(rng: random.Random) -> str:
    return "CA" + f"{rng.getrandbits(128):032x}"


def _form(call_sid: str, caller: str, **extra: str) -> dict[str, str]:
    """Return the form Twilio posts for this call (the driver's standard fields)."""
    phone = PhoneCall(
        HttpTransport("http://unused"), "", caller=caller, to=DIALLED, call_sid=call_sid
    )
    return phone.params(**extra)


def voice_requests(host: str, token: str, count: int, rng: random.Random) -> list[bytes]:
    """Return `count` signed `POST /ivr/voice` requests, each for a call never seen before."""
    url = f"http://{host}{ENTRY_PATH}"
    requests = []
    for _ in range(count):
        form = _form(_new_sid(rng), random_caller(rng))
        requests.append(raw_request(host, ENTRY_PATH, form, sign(token, url, form)))
    return requests


@dataclass(frozen=True)
class MenuCall:
    """A call waiting at the main menu: its ids and the step its next request must carry."""

    call_sid: str
    caller: str
    action: str  # the gather's action URL, e.g. /ivr/step?s=3&l=en
    step: int

    def action_at(self, step: int) -> str:
        """Return the action URL with the step number `step`."""
        parts = urlsplit(self.action)
        query = [(k, str(step) if k == "s" else v) for k, v in parse_qsl(parts.query)]
        return f"{parts.path}?{urlencode(query)}"


def call_at_menu(
    transport: Transport, token: str, caller: str, call_sid: str, *keys: str
) -> MenuCall:
    """Dial one call through `transport`, choose English, press `keys`; return where it waits."""
    phone = PhoneCall(transport, token, caller=caller, to=DIALLED, call_sid=call_sid)
    phone.dial()
    turn = phone.press(ENGLISH_KEY)
    for key in keys:
        turn = phone.press(key)
    action = turn.gather["action"] if turn.gather else ""
    query = dict(parse_qsl(urlsplit(action).query))
    if urlsplit(action).path != STEP_PATH or query.get("l") != "en" or "s" not in query:
        raise RuntimeError(f"call {call_sid} is not at an English menu: {turn.text!r}")
    return MenuCall(call_sid, caller, action, int(query["s"]))


def _to_main_menu(base_url: str, token: str, caller: str, call_sid: str) -> MenuCall:
    return call_at_menu(HttpTransport(base_url), token, caller, call_sid)


def open_main_menus(
    base_url: str, token: str, count: int, rng: random.Random, parallel: int = 8
) -> list[MenuCall]:
    """Dial `count` calls over HTTP and choose English, leaving each at the main menu."""
    identities = [(random_caller(rng), _new_sid(rng)) for _ in range(count)]
    pool = ThreadPoolExecutor(max_workers=parallel)
    try:
        return list(pool.map(lambda who: _to_main_menu(base_url, token, *who), identities))
    finally:
        pool.shutdown(cancel_futures=True)  # on error or Ctrl-C, dial no more calls


def step_batches(
    host: str, token: str, calls: Sequence[MenuCall], threads: int, per_call: int
) -> list[list[bytes]]:
    """Return, per wrk thread, `per_call` consecutive "*" steps of each of its own calls.

    Thread t owns the calls i with i % threads == t. Its requests go round-robin over its
    calls (request j is call j % n at step s + j // n), so as long as a thread has more
    calls than connections, a call never has two requests in flight and every request
    carries the step the call will be at when it arrives.
    """
    batches: list[list[bytes]] = []
    for thread in range(threads):
        own = calls[thread::threads]
        batch = []
        for offset in range(per_call):
            for call in own:
                path = call.action_at(call.step + offset)
                form = _form(call.call_sid, call.caller, Digits=REPEAT_KEY)
                batch.append(
                    raw_request(host, path, form, sign(token, f"http://{host}{path}", form))
                )
        batches.append(batch)
    return batches


def current_steps(engine: sa.Engine, call_sids: Sequence[str]) -> dict[str, int]:
    """Return the step number each of these calls stands at in the database."""
    steps: dict[str, int] = {}
    with engine.connect() as connection:
        for start in range(0, len(call_sids), 1000):
            chunk = list(call_sids[start : start + 1000])
            query = sa.select(Call.call_sid, Call.step).where(Call.call_sid.in_(chunk))
            steps.update({sid: step for sid, step in connection.execute(query)})
    return steps


def count_calls(engine: sa.Engine) -> int:
    """Return how many call rows the database holds."""
    with engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(Call)) or 0)

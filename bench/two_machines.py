"""Two app instances behind a real load balancer, on one PostgreSQL and one Redis.

The web tier is meant to be stateless; this proves it where it counts. Two gunicorn processes
(one sync worker each, their own ports: two machines), HAProxy in round robin in front of them,
one PostgreSQL database of their own and one Redis. A simulated Twilio posts signed webhooks to
the public URL (through the balancer, which stands in for the TLS terminator), so each call's
consecutive webhooks land on alternate instances. Checked:

- every phone path completes: language, main menu, guide, case status, queue, callback, complaint;
- signatures validate behind the balancer (TRUSTED_PROXIES=1, PUBLIC_URL) and only there;
- the case-lookup limit is counted once across both instances (in Redis), and so is the staff
  login throttle; a staff session holds on both instances (no sticky sessions);
- a step delivered again (a retry after a lost answer) on the other instance acts once;
- killing one instance mid-call loses no call: the next webhook lands on the other and carries on.

By hand (about 20 s; needs haproxy, PostgreSQL and Redis):

    python bench/two_machines.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/two_machines_bench \
        --redis-url redis://127.0.0.1:6379/5

The database's name must contain "bench": it is dropped and created afresh. tests/test_two_machines.py
runs the same scenarios under pytest (`make test`, in CI's PostgreSQL run).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import time_machine  # noqa: E402
from flask import Flask  # noqa: E402

from app import create_app  # noqa: E402
from bench.servers import HOST, Gunicorn, Server, ServerError  # noqa: E402
from cases.models import CaseLookup  # noqa: E402
from centre import languages  # noqa: E402
from centre.check_digit import luhn_check_digit  # noqa: E402
from centre.extensions import db  # noqa: E402
from ivr.driver import PhoneCall, Turn, sign  # noqa: E402
from ivr.models import Call  # noqa: E402
from staff import accounts  # noqa: E402
from tickets.models import Ticket  # noqa: E402

BALANCER = "haproxy"
# A working Tuesday, 10:00 in Casablanca: the instances' clocks start here (and tick), so the
# centre is open and the agents' queue takes callers whatever today's date is.
CLOCK = "2026-12-01T10:00:00+00:00"
CLOCK_VARIABLE = "TWO_MACHINES_CLOCK"
PUBLIC_URL = "https://centre.example.org"  # what Twilio calls, and signs
TOKEN = "two-machines-auth-token"  # noqa: S105 (signs the simulated webhooks only)
INSTANCES = ("a", "b")
DIALLED = "+33805000000"
REFERENCE = "100000001" + luhn_check_digit("100000001")  # the one case imported
UNKNOWN_REFERENCE = "100000002" + luhn_check_digit("100000002")  # well-formed, no such case
BIRTH = "05031984"
SERVED_BY = "x-served-by"
READY_SECONDS = 20.0


def balancer_binary() -> str | None:
    """Return the path of the haproxy binary, or None when it is not installed."""
    return shutil.which(BALANCER) or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)),
        None,
    )


def instance() -> Flask:
    """Create the app for one gunicorn worker, its clock moved to TWO_MACHINES_CLOCK (ticking).

    TWO_MACHINES_CLOCK is "<ISO instant>@<monotonic time>": the instant it was when the system's
    monotonic clock (one for every process, and never moved by time_machine, even under
    TEST_CLOCK_AT) read that. Every instance keeps the same offset, so their clocks agree as
    NTP-kept machines' do (a session signed on one is not "from the future" on the other).
    """
    setting = os.environ.get(CLOCK_VARIABLE, "")
    if setting:
        instant, _, anchor = setting.partition("@")

        def shared_now() -> datetime:
            return datetime.fromisoformat(instant) + timedelta(
                seconds=time.monotonic() - float(anchor)
            )

        coordinates = time_machine.travel(shared_now(), tick=True).start()
        # The clock starts ticking a moment after it was read: on a busy machine, long enough
        # (tenths of a second) for a CSRF token made on one instance at the turn of a second
        # to be "from the future" on the other, which refuses the form. Catch up exactly.
        for _ in range(5):
            error = shared_now() - datetime.now(UTC)
            if abs(error) < timedelta(milliseconds=1):
                break
            coordinates.shift(error)
    return create_app()


def haproxy_config(bind: str, servers: dict[str, int]) -> str:
    """Return HAProxy's configuration: round robin over `servers`, the public origin's headers.

    `bind` is HAProxy's: "127.0.0.1:8080", or "fd@5" for a socket it inherits.
    """
    backends = "\n".join(
        f"    server {name} {HOST}:{server_port} check inter 200ms fall 1 rise 2"
        for name, server_port in servers.items()
    )
    return f"""\
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    # A dead instance refuses the connection, or drops it unanswered: send the request again,
    # to the other one. Safe for webhooks: the app recognises a step it has already taken.
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response

frontend public
    bind {bind}
    # TLS ends here in production (bind :443 ssl crt ...); the app learns the scheme, the host
    # and the caller's address from these headers, trusting exactly one proxy (TRUSTED_PROXIES=1).
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    # The instances are reached by an internal name: only the forwarded headers carry the
    # public one (so the app must trust them, and only from the one proxy, to check signatures).
    http-request set-header Host app.internal
    http-request del-header X-Forwarded-Port
    option forwardfor
    http-response set-header {SERVED_BY} %[srv_name]
    default_backend app

backend app
    balance roundrobin
{backends}
"""


class Balancer(Server):
    """HAProxy in the foreground, in a process group of its own, for a `with` block."""

    def __init__(self, servers: dict[str, int], directory: Path) -> None:
        """Describe the balancer in front of `servers` (name: port)."""
        binary = balancer_binary()
        if binary is None:
            raise ServerError(f"{BALANCER} is not installed (apt-get install {BALANCER})")
        self.binary = binary
        self.servers = servers
        self.config = directory / "haproxy.cfg"
        self.log = directory / "haproxy.log"

    def _command(self, descriptor: int) -> list[str]:
        """Write the configuration binding the inherited socket; return HAProxy's command."""
        self.config.write_text(haproxy_config(f"fd@{descriptor}", self.servers))
        return [self.binary, "-db", "-f", str(self.config)]

    def _wait_until_ready(self) -> None:
        """Wait until HAProxy accepts connections."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServerError(f"haproxy exited:\n{self.log.read_text(errors='replace')}")
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 1):
                return
            time.sleep(0.05)
        raise ServerError(f"haproxy did not listen within {READY_SECONDS:.0f} s")


class BalancedTransport:
    """Post what Twilio sends to the public URL through the balancer; note which instance answered."""

    base_url = PUBLIC_URL

    def __init__(self, balancer_port: int) -> None:
        """Reach the public origin at the balancer's loopback port."""
        self.balancer_port = balancer_port
        self.served: list[str] = []

    def post(self, url: str, data: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
        """POST `data` to `url` (on the public origin) through the balancer."""
        parts = urlsplit(url)
        public = urlsplit(PUBLIC_URL)
        if (parts.scheme, parts.netloc) != (public.scheme, public.netloc):
            raise AssertionError(f"the app sent Twilio to {url!r}, not to {PUBLIC_URL}")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        status, head, body = post_form(
            f"http://{HOST}:{self.balancer_port}{target}",
            data,
            {**headers, "Host": public.netloc},
        )
        self.served.append(head.get(SERVED_BY, "?"))
        return status, head.get("content-type", ""), body


def post_form(
    url: str, data: dict[str, str], headers: dict[str, str]
) -> tuple[int, dict[str, str], str]:
    """POST a form with urllib; return the status, the headers (lower-case names) and the body."""
    request = urllib.request.Request(url, data=urlencode(data).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, _lowered(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, _lowered(error.headers.items()), error.read().decode()


def _lowered(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Return the headers by lower-case name (HAProxy sends HTTP/1.1 names in lower case)."""
    return {name.lower(): value for name, value in headers}


def _settings(database_url: str, redis_url: str, prefix: str) -> dict[str, str]:
    """Return the settings both instances run with (and the harness's own app reads)."""
    return {
        "APP_ENV": "production",
        # Workers serve cold: the guide's seven indexes (11 s of CPU a worker) are not what
        # this proves, and would stretch every start in CI.
        "WARM_CACHES": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,  # the shared counters and the job queue (nothing works it here)
        "REDIS_PREFIX": prefix,
        "SECRET_KEY": "two-machines-secret-key",
        "PHONE_HASH_KEY": "two-machines-phone-key",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": "",  # nothing leaves the machine
        "TRUSTED_PROXIES": "1",
        "PUBLIC_URL": PUBLIC_URL,
        "HOLD_MUSIC_URL": "",
        "LOG_LEVEL": "WARNING",
        # On one machine gunicorn would trust X-Forwarded-Proto from loopback by itself; on two
        # it would not: leave that to the app (TRUSTED_PROXIES), as in production.
        "FORWARDED_ALLOW_IPS": "",
    }


def _case_csv(path: Path) -> Path:
    path.write_text(
        "reference,birth_date,service,status,updated_at,phone,language,missing_documents,"
        "consulate,expected_date\n"
        f"{REFERENCE},1984-03-05,passport,in_review,2026-11-20T10:00:00+01:00,+33612345678,fr,,"
        "Paris,2026-12-15\n",
        encoding="utf-8",
    )
    return path


class TwoMachines:
    """The whole set-up for a `with` block: database, Redis prefix, two instances, the balancer."""

    def __init__(
        self,
        database_url: str,
        redis_url: str,
        prefix: str | None = None,
        directory: Path | None = None,
    ) -> None:
        """Describe the set-up; nothing starts before `with`."""
        url = sa.make_url(database_url)
        if not url.drivername.startswith("postgresql") or "bench" not in (url.database or ""):
            raise SystemExit(
                f"refusing {url.render_as_string()}: a PostgreSQL 'bench' database only"
            )
        self.database_url = database_url
        self.redis_url = redis_url
        # Every Redis key of the run under one prefix of its own, deleted at the end.
        self.prefix = prefix or f"two-machines-{secrets.token_hex(4)}:"
        self.directory = directory or Path(tempfile.mkdtemp(prefix="two-machines-"))
        self.env = _settings(database_url, redis_url, self.prefix)
        self.app: Flask | None = None
        self.servers: dict[str, Gunicorn] = {}
        self.balancer: Balancer | None = None
        self._stack = contextlib.ExitStack()

    # --- starting and stopping -------------------------------------------------------------

    def __enter__(self) -> TwoMachines:
        """Prepare the database, start both instances and the balancer."""
        try:
            self._prepare_database()
            env = {**os.environ, **self.env, CLOCK_VARIABLE: f"{CLOCK}@{time.monotonic()}"}
            for name in INSTANCES:
                server = Gunicorn(
                    "bench.two_machines:instance()",
                    workers=1,
                    env=env,
                    cwd=ROOT,
                    log=self.directory / f"instance-{name}.log",
                )
                self.servers[name] = self._stack.enter_context(server)
            ports = {name: server.port for name, server in self.servers.items()}
            self.balancer = self._stack.enter_context(Balancer(ports, self.directory))
            self._wait_until_balanced()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop everything started, forget the Redis keys of this run."""
        self._stack.close()
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(self.redis_url)
            keys = list(client.scan_iter(match=self.prefix + "*"))
            # The job queue's: Huey names them huey.<kind>.<name>, without the punctuation.
            bare = self.prefix.replace("-", "").replace(":", "")
            keys += list(client.scan_iter(match=f"huey.*.{bare}*"))
            if keys:
                client.delete(*keys)
            client.close()
        if self.app is not None:
            with self.app.app_context():
                db.engine.dispose()

    def _prepare_database(self) -> None:
        """Create the database afresh, migrate it, seed the calendar, the guide and one case."""
        url = sa.make_url(self.database_url)
        maintenance = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with maintenance.connect() as connection:
                name = maintenance.dialect.identifier_preparer.quote(url.database or "")
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                connection.execute(sa.text(f"CREATE DATABASE {name}"))
        finally:
            maintenance.dispose()
        config: dict[str, Any] = {
            key: value for key, value in self.env.items() if key != "DATABASE_URL"
        }
        # The harness's own app seeds and reads; it runs no job (production would refuse that).
        config.update(
            APP_ENV="bench",
            SQLALCHEMY_DATABASE_URI=self.database_url,
            TRUSTED_PROXIES=1,
            JOBS_URL="immediate",
        )
        self.app = create_app(config)
        with time_machine.travel(CLOCK, tick=False), self.app.app_context():
            runner = self.app.test_cli_runner()
            done = runner.invoke(args=["setup"])
            if done.exit_code != 0:  # the schema, the hours, 2026-2027's holidays, the guide
                raise ServerError(f"flask setup failed: {done.output}")
            done = runner.invoke(
                args=["cases", "import", str(_case_csv(self.directory / "cases.csv"))]
            )
            if done.exit_code != 0:
                raise ServerError(f"cases import failed: {done.output}")

    def _wait_until_balanced(self) -> None:
        """Wait until the balancer sends requests to both instances (an unsigned POST: a 403)."""
        assert self.balancer is not None
        url = f"http://{HOST}:{self.balancer.port}/ivr/voice"
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            seen = {post_form(url, {}, {})[1].get(SERVED_BY) for _ in range(2 * len(INSTANCES))}
            if seen == set(INSTANCES):
                return
            time.sleep(0.2)
        raise ServerError("the balancer never sent requests to both instances")

    # --- what the scenarios use ------------------------------------------------------------

    def transport(self) -> BalancedTransport:
        """Return a transport to the public URL through the balancer."""
        assert self.balancer is not None
        return BalancedTransport(self.balancer.port)

    def phone(self, caller: str | None = None) -> PhoneCall:
        """Return a new caller (a French mobile number unless given) calling through the balancer."""
        number = caller or f"+336{secrets.randbelow(10**8):08d}"
        return PhoneCall(self.transport(), TOKEN, caller=number, to=DIALLED)

    def kill(self, name: str) -> None:
        """Kill an instance at once, workers and all, as a machine that loses power."""
        server = self.servers[name]
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        # Until nothing accepts on its port: the worker may outlive the master by a moment.
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, server.port), 0.5).close()
            except OSError:
                return
            time.sleep(0.05)
        raise ServerError(f"instance {name} still accepts connections after SIGKILL")

    def read(self, query: Callable[[], Any]) -> Any:
        """Run `query` in the harness's own app context (the shared database, Redis)."""
        assert self.app is not None
        with self.app.app_context():
            try:
                return query()
            finally:
                db.session.remove()

    def errors(self) -> dict[str, int]:
        """Return how many errors each instance logged."""
        return {name: server.errors() for name, server in self.servers.items()}


# --- the scenarios: each raises AssertionError, or returns a line to print ------------------


def served_by(phone: PhoneCall) -> list[str]:
    """Return which instance answered each of the call's webhooks, in order."""
    transport = phone.transport
    assert isinstance(transport, BalancedTransport)
    return transport.served


def check_alternating(phone: PhoneCall) -> str:
    """Check every consecutive pair of the call's webhooks landed on different instances."""
    served = served_by(phone)
    assert len(served) >= 2, served
    assert all(a != b for a, b in zip(served, served[1:], strict=False)), served
    assert set(served) == set(INSTANCES), served
    return "".join(served)


def walk_to_main_menu(phone: PhoneCall, code: str) -> Turn:
    """Dial and choose `code`; check the main menu is said in that language."""
    phone.dial()
    turn = phone.press(languages.get(code).digit)
    language = languages.get(code)
    assert turn.gather is not None and turn.said, turn.xml
    assert all(s.language == language.say_language for s in turn.said), turn.xml
    return turn


def guide_path(machines: TwoMachines) -> str:
    """Language, main menu, the guide: a spoken need read part by part."""
    phone = machines.phone()
    walk_to_main_menu(phone, "fr")
    assert phone.press("1").gather is not None
    turn = phone.speak("je dois renouveler mon passeport")
    assert "passeport" in turn.text.lower() and turn.gather is not None, turn.xml
    following = phone.press("2")
    assert following.text and following.text != turn.text, following.xml
    return "guide " + check_alternating(phone)


def look_up(phone: PhoneCall, reference: str, birth: str) -> Turn:
    """At the main menu: option 2, type and confirm the reference and the birth date."""
    phone.press("2")
    phone.press(reference + "#")
    phone.press("1")
    phone.press(birth + "#")
    return phone.press("1")


def case_status_path(machines: TwoMachines) -> str:
    """Language, main menu, the case's status told after both entries are confirmed."""
    phone = machines.phone()
    walk_to_main_menu(phone, "en")
    turn = look_up(phone, REFERENCE, BIRTH)
    assert "is being examined" in turn.text, turn.text
    return "case status " + check_alternating(phone)


def queue_path(machines: TwoMachines) -> str:
    """Option 0: queued with a ticket, the wait page, bridged to an agent, hung up."""
    phone = machines.phone()
    walk_to_main_menu(phone, "ar")
    turn = phone.press("0")
    assert turn.enqueue is not None and turn.enqueue["name"] == "agents-ar", turn.xml
    wait = phone.hold(position=2, waited=40)
    assert "2" in wait.text, wait.xml
    phone.leave_queue("bridged")
    assert phone.hang_up() == 200
    row = machines.read(
        lambda: db.session.scalar(sa.select(Call).where(Call.call_sid == phone.call_sid))
    )
    assert (row.queue_result, row.outcome) == ("bridged", "escalated"), (
        row.queue_result,
        row.outcome,
    )
    return "queue " + check_alternating(phone)


def callback_path(machines: TwoMachines) -> str:
    """From the wait page: leave the queue for a callback, booked and read back."""
    phone = machines.phone()
    walk_to_main_menu(phone, "es")
    phone.press("0")
    wait = phone.hold(position=3, waited=400)
    assert wait.gather is not None, wait.xml
    assert phone.request(wait.gather["action"], Digits="1").leave
    turn = phone.left()
    kinds = machines.read(
        lambda: db.session.scalars(
            sa.select(Ticket.type).where(Ticket.call_sid == phone.call_sid)
        ).all()
    )
    assert "callback" in kinds, (kinds, turn.xml)
    return "callback " + check_alternating(phone)


def complaint_path(machines: TwoMachines) -> str:
    """Option 3 then 1: a recorded complaint, its reference read back, the recording attached."""
    phone = machines.phone()
    walk_to_main_menu(phone, "de")
    phone.press("3")
    assert phone.press("1").record is not None
    turn = phone.leave_message()
    assert turn.gather is not None, turn.xml
    assert phone.recording_ready() == 200
    ticket = machines.read(
        lambda: db.session.scalar(
            sa.select(Ticket).where(Ticket.type == "complaint").order_by(Ticket.id.desc())
        )
    )
    assert ticket is not None and ", ".join(ticket.reference) in turn.text, turn.text
    assert machines.read(lambda: len(db.session.get(Ticket, ticket.id).recordings)) == 1
    return "complaint " + check_alternating(phone)


PATHS = (guide_path, case_status_path, queue_path, callback_path, complaint_path)


def signatures_behind_the_balancer(machines: TwoMachines) -> str:
    """Signed for the public URL: accepted through the balancer, refused straight at an instance."""
    phone = machines.phone()
    fields = phone.params()
    signature = sign(TOKEN, PUBLIC_URL + "/ivr/voice", fields)
    assert phone.post("/ivr/voice", fields, signature)[0] == 200
    assert phone.post("/ivr/voice", fields, signature[:-2] + "AA")[0] == 403
    # Without the balancer's headers the instance sees http://127.0.0.1:port, not the public URL.
    for name, server in machines.servers.items():
        status, _, _ = post_form(
            server.base_url + "/ivr/voice", fields, {"X-Twilio-Signature": signature}
        )
        assert status == 403, (name, status)
    return "signatures: 200 through the balancer, 403 forged, 403 straight at each instance"


def lookup_limit_across_instances(machines: TwoMachines) -> str:
    """Six failed lookups from one number, spread over both instances, refuse the seventh call."""
    guesser = f"+336{secrets.randbelow(10**8):08d}"
    landed: set[str] = set()
    calls: list[str] = []
    for _ in range(2):  # two calls of three failures (the most one call may make)
        phone = machines.phone(guesser)
        walk_to_main_menu(phone, "en")
        turn = look_up(phone, UNKNOWN_REFERENCE, BIRTH)
        for _ in range(2):
            phone.press(UNKNOWN_REFERENCE + "#")
            phone.press("1")
            phone.press(BIRTH + "#")
            turn = phone.press("1")
        assert "no more applications can be checked during this call" in turn.text, turn.text
        landed.update(served_by(phone))
        calls.append(phone.call_sid)
    assert landed == set(INSTANCES), landed
    phone = machines.phone(guesser)
    walk_to_main_menu(phone, "en")
    assert "cannot be checked from this number" in phone.press("2").text
    calls.append(phone.call_sid)
    outcomes = machines.read(
        lambda: db.session.scalars(
            sa.select(CaseLookup.outcome)
            .where(CaseLookup.call_sid.in_(calls))
            .order_by(CaseLookup.id)
        ).all()
    )
    assert outcomes == ["unknown_reference"] * 6 + ["refused"], outcomes
    client = redis.Redis.from_url(machines.redis_url)
    try:
        counted = [k for k in client.scan_iter(match=machines.prefix + "*case-lookup-fail*")]
    finally:
        client.close()
    assert counted, "the failures were not counted in Redis"
    return "lookup limit: 6 failures over both instances, the next call refused (Redis counts)"


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Hand redirects back to the caller, unfollowed (the browser below follows them itself)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Follow nothing."""
        return None


class StaffBrowser:
    """A member of staff's browser on the public origin, through the balancer: it keeps cookies."""

    def __init__(self, balancer_port: int) -> None:
        """Start with no cookie."""
        self.balancer_port = balancer_port
        self.cookies: dict[str, str] = {}
        self.served: list[str] = []
        self.opener = urllib.request.build_opener(_KeepRedirects())

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """GET `path` (or POST `form` to it); return the status, the Location and the page."""
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"http://{HOST}:{self.balancer_port}{path}",
            data=urlencode(form).encode() if form is not None else None,
            method="POST" if form is not None else "GET",
        )
        request.add_header("Host", urlsplit(PUBLIC_URL).netloc)
        request.add_header("Accept-Language", "en")
        if form is not None:  # over HTTPS, the CSRF check wants the page the form was on
            request.add_header("Referer", PUBLIC_URL + path)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            response = self.opener.open(request, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            self.served.append(response.headers.get(SERVED_BY, "?"))
            location = response.headers.get("Location", "")
            return response.status, location, response.read().decode()

    def log_in(self, email: str, password: str) -> tuple[int, str, str]:
        """Load the login form, then submit it (the two requests land on different instances)."""
        _, _, page = self.open("/staff/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, "no login form"
        token = html.unescape(found.group(1))
        return self.open(
            "/staff/login", {"csrf_token": token, "email": email, "password": password, "next": ""}
        )


STAFF_PASSWORD = "Kumquat-Harbour-Lantern-7"  # noqa: S105 (an account of the harness's own)


def staff_across_instances(machines: TwoMachines) -> str:
    """A staff session needs no sticky balancer; the login throttle counts across both instances."""
    suffix = secrets.token_hex(3)
    emails = [f"agent-{n}-{suffix}@example.org" for n in range(2)]

    def create() -> None:
        for email in emails:
            accounts.create(email, STAFF_PASSWORD, "agent", "fr", actor_email="two-machines")
        db.session.commit()

    machines.read(create)
    assert machines.balancer is not None
    member = StaffBrowser(machines.balancer.port)
    status, home, _ = member.log_in(emails[0], STAFF_PASSWORD)
    assert status == 302 and home and "/staff/login" not in home, (status, home)
    path = urlsplit(home).path
    for _ in range(2):  # the home page, on each instance in turn: still logged in
        status, location, page = member.open(path)
        assert status == 200 and 'name="password"' not in page, (status, location)
    assert set(member.served) == set(INSTANCES), member.served
    guesser = StaffBrowser(machines.balancer.port)
    for _ in range(5):
        status, _, page = guesser.log_in(emails[1], "wrong-password-123")
        assert status == 401 and "Wrong email or password." in page, status
    status, _, page = guesser.log_in(emails[1], STAFF_PASSWORD)  # right, but too late
    assert status == 401 and "Too many failed attempts." in page, status
    assert set(guesser.served) == set(INSTANCES), guesser.served
    return "staff: logged in and kept on both instances; 5 failures over both lock the account"


def a_webhook_delivered_again_on_the_other_instance(machines: TwoMachines) -> str:
    """The same step delivered twice (a retry after a lost answer), once on each instance, acts once."""
    phone = machines.phone()
    menu = walk_to_main_menu(phone, "it")
    assert menu.gather is not None
    data = phone.params(Digits="0")  # "an agent, please": a ticket and the queue
    first = phone.post(menu.gather["action"], data)
    again = phone.post(menu.gather["action"], data)
    served = served_by(phone)[-2:]
    assert served[0] != served[1], served
    assert first[0] == again[0] == 200, (first[0], again[0])
    assert first[2] == again[2], "the repeated delivery was not answered as the first"
    tickets = machines.read(
        lambda: db.session.scalar(
            sa.select(sa.func.count()).select_from(Ticket).where(Ticket.call_sid == phone.call_sid)
        )
    )
    assert tickets == 1, tickets
    return f"one step delivered on {served[0]} then on {served[1]}: the same answer, one ticket"


def killing_an_instance_mid_call(machines: TwoMachines) -> str:
    """Kill one instance halfway through a lookup: the call carries on on the other."""
    phone = machines.phone()
    walk_to_main_menu(phone, "fr")
    phone.press("2")
    phone.press(REFERENCE + "#")  # the reference read back, waiting for "1" to confirm it
    before = len(served_by(phone))
    victim = served_by(phone)[-1]  # the instance that answered the last webhook
    machines.kill(victim)
    phone.press("1")
    phone.press(BIRTH + "#")
    turn = phone.press("1")
    assert "examen" in turn.text, turn.text  # "en cours d'examen", in French
    after = served_by(phone)[before:]
    survivor = next(name for name in INSTANCES if name != victim)
    assert after and set(after) == {survivor}, after
    # New calls are answered too, all by the survivor.
    other = machines.phone()
    walk_to_main_menu(other, "nl")
    assert set(served_by(other)) == {survivor}
    return f"killed {victim} mid-call: the call went on on {survivor} ({''.join(served_by(phone))})"


SCENARIOS: Sequence[Callable[[TwoMachines], str]] = (
    *PATHS,
    signatures_behind_the_balancer,
    lookup_limit_across_instances,
    staff_across_instances,
    a_webhook_delivered_again_on_the_other_instance,
    killing_an_instance_mid_call,  # last: it leaves one instance
)


@contextlib.contextmanager
def running(database_url: str, redis_url: str) -> Iterator[TwoMachines]:
    """Start the two instances and the balancer for a `with` block."""
    with TwoMachines(database_url, redis_url) as machines:
        yield machines


def main(argv: Sequence[str] | None = None) -> int:
    """Run every scenario once; print each; exit non-zero when one fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/two_machines_bench"
        ),
        help="PostgreSQL database; its name must contain 'bench' (dropped and created afresh)",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    options = parser.parse_args(argv)
    started = time.monotonic()
    failed = 0
    with running(options.database_url, options.redis_url) as machines:
        print(
            f"two instances {dict((n, s.port) for n, s in machines.servers.items())} "
            f"behind haproxy on port {machines.balancer.port if machines.balancer else '?'} "
            f"({time.monotonic() - started:.1f} s to start)",
            flush=True,
        )
        for scenario in SCENARIOS:
            try:
                print(f"PASS {scenario(machines)}", flush=True)
            except AssertionError as error:
                failed += 1
                print(f"FAIL {scenario.__name__}: {error}", flush=True)
        print(f"errors logged by the instances: {machines.errors()} (logs in {machines.directory})")
    print(
        f"{len(SCENARIOS) - failed}/{len(SCENARIOS)} passed in {time.monotonic() - started:.1f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

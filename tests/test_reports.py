"""The supervisors' dashboard: every figure and every CSV checked against a known set of calls."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from centre.clock import CENTRE_TZ, to_storage
from centre.extensions import db
from desk import desk
from ivr.models import Call
from reports.models import ReportDay
from tickets import services
from tickets.models import Ticket

PERIOD = {"from": "2026-12-01", "to": "2026-12-03"}


class Tables(HTMLParser):
    """Collect the cells of every `<table data-figure=...>` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        attributes = dict(attrs)
        if tag == "table" and "data-figure" in attributes:
            self.current = attributes["data-figure"]
            self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("td", "th") and self.current:
            self.cell = []

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("td", "th") and self.current and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.cell is not None:
            self.cell.append(data)


def local(text: str) -> datetime:
    """Return a Moroccan wall-clock time as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=CENTRE_TZ)


@pytest.fixture
def record_call(app):  # type: ignore[no-untyped-def]
    """Return a factory of recorded calls, as the webhooks leave them once the call is over."""
    made = iter(range(1, 100_000))

    def make(
        at: str,
        language: str | None,
        country: str,
        outcome: str | None,
        wait: int | None = None,
        result: str | None = None,
        guide: str | None = None,
        caller: str | None = None,
    ) -> int:
        from centre import phones

        started = local(at)
        entered = started + timedelta(seconds=40) if wait is not None else None
        context = {"tz": "Europe/Paris"} | ({"guide_slug": guide} if guide else {})
        with app.app_context():
            call = Call(
                call_sid=f"CA{next(made):032d}",
                caller_hash=phones.keyed_hash(caller, "test-phone-key"),
                caller_masked=phones.mask(caller),
                dialled="+33805000000",
                country=country,
                language=language,
                offered="fr ar es it nl de en",
                node="goodbye",
                context=context,
                started_at=to_storage(started),
                ended_at=to_storage(started + timedelta(minutes=5)) if outcome else None,
                status="completed" if outcome else "in-progress",
                duration=300 if outcome else None,
                outcome=outcome,
                queue_entered_at=to_storage(entered) if entered else None,
                queue_left_at=to_storage(entered + timedelta(seconds=wait)) if entered else None,
                queue_result=result,
            )
            db.session.add(call)
            db.session.commit()
            return call.id

    return make


CALLER = "+33612345678"


@pytest.fixture
def known_data(app, record_call, make_user, guide, time_machine):  # type: ignore[no-untyped-def]
    """Build the known calls and tickets the dashboard is checked against."""
    record_call("2026-11-30T23:30", "fr", "FR", "self_service")  # the day before: left out
    record_call("2026-12-01T09:10", "fr", "FR", "self_service", guide="passport", caller=CALLER)
    record_call("2026-12-01T09:40", "fr", "FR", "escalated", 30, "bridged", caller=CALLER)
    record_call("2026-12-01T10:05", "ar", "ES", "abandoned", 90, "hangup")
    # 23:30 UTC on 1 December is 00:30 on the 2nd in Morocco: it counts on the 2nd.
    record_call("2026-12-02T00:30", "es", "ES", "self_service", guide="passport-collection")
    record_call("2026-12-02T14:00", "de", "DE", "escalated", 10, "bridged")
    record_call("2026-12-02T14:20", "de", "DE", "escalated", 50, "leave")
    record_call("2026-12-03T09:00", None, "FR", None)  # still in progress
    record_call("2026-12-03T11:00", "fr", "BE", "escalated", 20, "bridged", guide="passport")
    record_call("2026-12-04T00:10", "fr", "FR", "self_service")  # the day after: left out
    agent = make_user("agent", "fr ar de es")
    with app.app_context():
        from knowledge import services as guide_services
        from staff.models import StaffUser

        def ticket(kind: str, language: str, at: str, caller: str | None = None) -> int:
            time_machine.move_to(local(at), tick=False)
            opened = services.open_ticket(
                kind, language, caller, "test-phone-key", country="FR", at=local(at)
            )
            db.session.commit()
            return opened.id

        def change(ticket_id: int, at: str, status: str, note: str) -> None:
            time_machine.move_to(local(at), tick=False)
            found = db.session.get(Ticket, ticket_id)
            desk.save(found, db.session.get(StaffUser, agent.id), found.version, status, note)
            db.session.commit()

        ticket("complaint", "fr", "2026-11-30T10:00")  # before the period
        complaint = ticket("complaint", "fr", "2026-12-01T10:00", caller=CALLER)
        change(complaint, "2026-12-01T15:00", "resolved", "Answered by phone, Mr Dupont.")
        ticket("suggestion", "fr", "2026-12-02T10:00")
        ticket("escalated_call", "fr", "2026-12-01T09:40", caller=CALLER)  # never handled
        late = ticket("escalated_call", "de", "2026-12-02T14:00")
        change(late, "2026-12-02T18:00", "resolved", "Called back.")
        still_open = ticket("complaint", "ar", "2026-12-03T10:00")
        time_machine.move_to(local("2026-12-03T11:00"), tick=False)
        claimed = db.session.get(Ticket, still_open)
        me = db.session.get(StaffUser, agent.id)
        desk.assign(claimed, me, claimed.version, me)  # claiming opens it
        db.session.commit()
        time_machine.move_to(local("2026-12-02T16:00"), tick=False)
        guide_services.log_unmatched("je cherche un chameau", "fr")
        # Only followed by a request for an agent, never unmatched: not a phrase nobody answered.
        guide_services.log_agent_request("je veux parler à quelqu'un", "fr")
        time_machine.move_to(local("2026-11-20T16:00"), tick=False)
        guide_services.log_unmatched("old question", "en")
        db.session.commit()
    time_machine.move_to(local("2026-12-04T12:00"), tick=False)


EXPECTED_PAGE = {
    "calls-per-day": [
        [
            "Day",
            "Self-service only",
            "Escalated to a person",
            "Abandoned in the queue",
            "Other (failed, busy, unfinished)",
            "Total",
        ],
        ["2026-12-01", "1", "1", "1", "0", "3"],
        ["2026-12-02", "1", "2", "0", "0", "3"],
        ["2026-12-03", "0", "1", "0", "1", "2"],
    ],
    "calls-per-hour": [["Hour", "Calls"]]
    + [[f"{h:02d}:00", str({0: 1, 9: 3, 10: 1, 11: 1, 14: 2}.get(h, 0))] for h in range(24)],
    "calls-per-language": [
        ["Language", "Calls", "Share (%)"],
        ["français", "3", "37.5"],
        ["Deutsch", "2", "25"],
        ["No language chosen", "1", "12.5"],
        ["العربية", "1", "12.5"],
        ["español", "1", "12.5"],
    ],
    "calls-per-country": [
        ["Country", "Calls", "Share (%)"],
        ["France (FR)", "3", "37.5"],
        ["Germany (DE)", "2", "25"],
        ["Spain (ES)", "2", "25"],
        ["Belgium (BE)", "1", "12.5"],
    ],
    "outcomes": [
        ["Outcome", "Calls", "Share (%)"],
        ["Self-service only", "2", "25"],
        ["Escalated to a person", "4", "50"],
        ["Abandoned in the queue", "1", "12.5"],
        ["Other (failed, busy, unfinished)", "1", "12.5"],
    ],
    "queue": [
        [
            "How the caller left the queue",
            "Calls",
            "Share (%)",
            "Median wait (s)",
            "90th percentile (s)",
        ],
        ["Answered by an agent", "3", "60", "20", "28"],
        ["Hung up while waiting", "1", "20", "90", "90"],
        ["Left the queue for a callback", "1", "20", "50", "50"],
        ["Other", "0", "0", "—", "—"],
        ["All queued calls", "5", "100", "30", "74"],
    ],
    "tickets": [
        ["Type", "New", "Open", "Waiting", "Resolved", "Closed", "Total"],
        ["Complaint", "0", "1", "0", "1", "0", "2"],
        ["Suggestion", "1", "0", "0", "0", "0", "1"],
        ["Observation", "0", "0", "0", "0", "0", "0"],
        ["Callback", "0", "0", "0", "0", "0", "0"],
        ["Call for an agent", "1", "0", "0", "1", "0", "2"],
    ],
    "sla": [
        ["Type", "Met", "Breached", "Not yet due"],
        ["Complaint", "1", "0", "1"],
        ["Suggestion", "0", "0", "1"],
        ["Observation", "0", "0", "0"],
        ["Callback", "0", "0", "0"],
        ["Call for an agent", "0", "2", "0"],
    ],
    "guide": [["Service", "Calls"], ["Biometric passport", "2"], ["Collecting your passport", "1"]],
    "unmatched": [["Language", "Phrase", "Times"], ["français", "je cherche un chameau", "1"]],
    "feedback": [
        ["Day", "Complaint", "Suggestion", "Observation"],
        ["2026-12-01", "1", "0", "0"],
        ["2026-12-02", "0", "1", "0"],
        ["2026-12-03", "1", "0", "0"],
    ],
}


def as_csv(rows: list[list[str]]) -> list[list[str]]:
    """Return the page's rows as the CSV writes them (plain numbers, one decimal for shares)."""
    raw = []
    for row in rows:
        raw.append([{"—": ""}.get(value, value) for value in row])
    return raw


def dashboard_tables(client, **period: str) -> dict[str, list[list[str]]]:  # type: ignore[no-untyped-def]
    """Return every table of the dashboard page, as shown."""
    response = client.get("/reports/", query_string=period or PERIOD)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    parser = Tables()
    parser.feed(response.get_data(as_text=True))
    return parser.tables


def csv_rows(client, key: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Return one table's CSV export."""
    response = client.get(f"/reports/{key}.csv", query_string=PERIOD)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # a byte-order mark: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def summarised_days(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the days that have a summary, in order."""
    with app.app_context():
        return [
            d.isoformat()
            for d in db.session.scalars(sa.select(ReportDay.day).order_by(ReportDay.day))
        ]


@pytest.mark.parametrize("summaries", [False, True], ids=["from-the-rows", "from-day-summaries"])
def test_every_figure_of_the_dashboard_matches_the_known_calls_and_tickets(
    known_data, app, log_in, runner, summaries
):
    if summaries:
        result = runner.invoke(args=["reports", "refresh"])
        assert result.exit_code == 0, result.output
        # 3 December still has a call in progress: its figures stay live.
        assert "Days summarised: 3" in result.output
        assert "Days left to live figures (calls not ended): 1 (2026-12-03)" in result.output
        assert summarised_days(app) == ["2026-11-30", "2026-12-01", "2026-12-02"]
    else:
        assert summarised_days(app) == []
    client = log_in("supervisor", "", locale="en")
    assert dashboard_tables(client) == EXPECTED_PAGE


def test_every_csv_holds_exactly_the_table_shown(known_data, log_in):
    client = log_in("supervisor", "", locale="en")
    shown = dashboard_tables(client)
    for key, rows in shown.items():
        exported = csv_rows(client, key)
        assert len(exported) == len(rows), key
        for got, page_row in zip(exported, rows, strict=True):
            # Same cells; numbers written plainly ("25.0" in the CSV is "25" on the page).
            assert [g if not _is_number(g) else _plain(g) for g in got] == [
                "" if p == "—" else p for p in page_row
            ], key


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _plain(text: str) -> str:
    value = float(text)
    return str(int(value)) if value == int(value) else str(value)


def test_each_chart_is_an_svg_drawn_on_the_server_without_script(known_data, log_in):
    client = log_in("admin", "", locale="en")
    page = client.get("/reports/", query_string=PERIOD).get_data(as_text=True)
    assert page.count('<svg class="chart"') == len(EXPECTED_PAGE)
    assert "<script" not in page.split("<main>")[1]
    assert "Call for an agent · Breached: 2" in page  # a bar's tooltip carries its figure


def test_wait_percentiles_agree_with_the_database_own_computation(known_data, app, log_in):
    client = log_in("supervisor", "", locale="en")
    queue = dashboard_tables(client)["queue"]
    median, p90 = float(queue[-1][3]), float(queue[-1][4])
    waits = [30, 90, 10, 50, 20]
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            wait = sa.extract("epoch", Call.queue_left_at - Call.queue_entered_at)
            expected = db.session.execute(
                sa.select(
                    sa.func.percentile_cont(0.5).within_group(wait),
                    sa.func.percentile_cont(0.9).within_group(wait),
                ).where(
                    Call.queue_entered_at.is_not(None),
                    Call.started_at >= to_storage(local("2026-12-01T00:00")),
                    Call.started_at < to_storage(local("2026-12-04T00:00")),
                )
            ).one()
        else:
            deciles = statistics.quantiles(waits, n=10, method="inclusive")
            expected = (statistics.median(waits), deciles[8])
    assert (median, p90) == (pytest.approx(expected[0]), pytest.approx(expected[1]))


def test_a_month_or_more_shows_feedback_per_month(known_data, log_in):
    client = log_in("supervisor", "", locale="en")
    tables = dashboard_tables(client, **{"from": "2026-09-01", "to": "2026-12-31"})
    assert tables["feedback"] == [
        ["Month", "Complaint", "Suggestion", "Observation"],
        ["2026-09", "0", "0", "0"],
        ["2026-10", "0", "0", "0"],
        ["2026-11", "1", "0", "0"],
        ["2026-12", "2", "1", "0"],
    ]
    assert len(tables["calls-per-day"]) == 1 + 122


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ({"from": "2026-12-05", "to": "2026-12-01"}, "must end on or after"),
        ({"from": "yesterday", "to": "2026-12-01"}, "e.g. 2026-12-01"),
        ({"from": "2024-01-01", "to": "2026-12-01"}, "at most 400 days"),
    ],
)
def test_a_period_that_cannot_be_shown_is_explained(app, log_in, period, message):
    client = log_in("supervisor", "", locale="en")
    response = client.get("/reports/", query_string=period)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get("/reports/calls-per-day.csv", query_string=period).status_code == 400


def test_agents_and_editors_may_not_see_the_reports(app, log_in):
    for role in ("agent", "editor"):
        client = log_in(role, "fr")
        assert client.get("/reports/").status_code == 403
        assert client.get("/reports/queue.csv").status_code == 403
    assert log_in("supervisor", "").get("/reports/nothing.csv").status_code == 404

"""The dashboard a person reads: headline first, empty figures in one line, lists, colours, RTL."""

# ruff: noqa: F811  (the fixtures imported from test_reports)

from __future__ import annotations

import csv
import io
import re

from test_reports import PERIOD, known_data, record_call  # noqa: F401

from reports import charts


def download(client, path: str, **period: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Return a CSV download's rows, checking its byte-order mark."""
    response = client.get(path, query_string=period or PERIOD)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_period_headline_comes_before_the_charts(known_data, log_in):
    page = log_in("supervisor", "", locale="en").get("/reports/", query_string=PERIOD)
    text = page.get_data(as_text=True)
    headline = text.split('<dl class="headline"')[1].split("</dl>")[0]
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd[^>]*>([^<]+)</dd>", headline))
    assert figures["Calls"] == "8" and figures["Self-service"] == "25%"
    assert figures["Abandoned in the queue"] == "20%"  # one hung up of the five who queued
    assert figures["Tickets opened"] == "5" and figures["Deadlines missed"] == "2"
    assert figures["Satisfaction"] == "no answers yet"
    assert text.index('<dl class="headline"') < text.index('<svg class="chart"')
    assert "<details>" in text  # tables folded under their charts


def test_a_figure_with_nothing_in_it_says_so_in_one_line(app, log_in, open_hours):
    text = log_in("supervisor", "", locale="en").get("/reports/").get_data(as_text=True)
    assert text.count("Nothing in this period.") == text.count('<section class="figure"')
    assert '<svg class="chart"' not in text and "<table" not in text


def test_the_lists_of_calls_and_tickets_of_a_period_download_in_words(known_data, log_in):
    client = log_in("supervisor", "", locale="en")
    calls = download(client, "/reports/lists/calls.csv")
    assert calls[0][:4] == ["Started (Moroccan time)", "Language", "Country", "Outcome"]
    assert len(calls) == 1 + 8  # the eight calls started in the period
    assert calls[1] == [
        "2026-12-01 09:10",
        "français",
        "France (FR)",
        "Self-service only",
        "300",
        "",
        "",
    ]
    abandoned = next(row for row in calls if row[3] == "Abandoned in the queue")
    assert abandoned[5:] == ["90", "Hung up while waiting"]
    assert any(row[3] == "In progress" for row in calls)
    tickets = download(client, "/reports/lists/tickets.csv")
    assert len(tickets) == 1 + 5
    assert {row[1] for row in tickets[1:]} == {"Complaint", "Suggestion", "Call for an agent"}
    assert "Resolved" in {row[2] for row in tickets[1:]}
    french = download(log_in("supervisor", "", locale="fr"), "/reports/lists/tickets.csv")
    assert french[0][0] == "Référence" and "Résolu" in {row[2] for row in french[1:]}


def test_the_lists_are_for_supervisors_only(app, log_in):
    assert log_in("agent", "fr").get("/reports/lists/calls.csv").status_code == 403


def test_a_right_to_left_chart_is_the_mirror_image_with_labels_beside_the_bars() -> None:
    left = charts.bars("t", ["Passeport"], [("Calls", [10])])
    right = charts.bars("t", ["Passeport"], [("Calls", [10])], rtl=True)
    label = re.compile(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">Passeport</text>')
    bar = re.compile(r'<rect class="s0" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"')
    (lx, lanchor), (rx, ranchor) = label.search(left).groups(), label.search(right).groups()
    assert (lanchor, ranchor) == ("end", "start")
    assert float(lx) + float(rx) == charts.WIDTH
    (lbar, width), (rbar, _) = bar.search(left).groups(), bar.search(right).groups()
    assert float(lbar) >= float(lx) and float(rbar) + float(width) <= float(rx)  # never on a label
    assert 'direction="ltr"' in right


def test_a_long_legend_wraps_instead_of_running_off_the_chart() -> None:
    names = [f"A rather long series name number {n}" for n in range(6)]
    drawn = charts.columns("t", ["a"], [(name, [1]) for name in names])
    xs = [
        float(x) for x in re.findall(r'<rect class="s\d" x="([\d.]+)" y="[\d.]+" width="12"', drawn)
    ]
    assert len(xs) == 6 and max(xs) + 16 + charts.CHAR_WIDTH * len(names[0]) <= charts.WIDTH
    height = float(re.search(r'viewBox="0 0 720 ([\d.]+)"', drawn).group(1))
    assert height > 14 + 180 + 24 + 2 * charts.LEGEND_ROW  # more than one row of legend


def test_breached_is_the_alarm_colour_and_not_yet_due_is_not(known_data, log_in):
    text = log_in("supervisor", "", locale="en").get("/reports/", query_string=PERIOD)
    sla = text.get_data(as_text=True).split('id="sla"')[1].split("</svg>")[0]
    assert re.search(r'class="alarm"[^>]*><title>Call for an agent · Breached', sla)
    assert re.search(r'class="pending"[^>]*><title>[^<]*Not yet due', sla)

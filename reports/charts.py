"""Bar charts drawn on the server as SVG: no script, no library, colours from the stylesheet.

Right-to-left pages get the mirror image (labels on the right, bars growing leftwards,
time running from right to left), drawn with the text left as text: the SVG itself is
always laid out left to right (`direction="ltr"`), so a text anchor means the same side
whatever the page's direction. Legends wrap onto as many rows as they need.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

Series = tuple[str, Sequence[float]]
WIDTH = 720
BAR_ROW = 22  # height of a row of a horizontal chart
LEGEND_ROW = 20
CHAR_WIDTH = 7.2  # a generous average advance of the chart's 11px font, to place legends


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _scale(series: Sequence[Series], count: int, stacked: bool) -> float:
    if stacked:
        top = max((sum(values[i] for _, values in series) for i in range(count)), default=0)
    else:
        top = max((max(values, default=0) for _, values in series), default=0)
    return float(top) or 1.0


class _Canvas:
    """Places shapes and texts left to right, or mirrored for a right-to-left page."""

    def __init__(self, rtl: bool) -> None:
        self.rtl = rtl
        self.body: list[str] = []

    def rect(
        self, css: str, x: float, y: float, width: float, height: float, tip: str = ""
    ) -> None:
        """Draw a bar; `tip` is its tooltip (already escaped)."""
        left = WIDTH - x - width if self.rtl else x
        title = f"<title>{tip}</title>" if tip else ""
        self.body.append(
            f'<rect class="{css}" x="{_number(left)}" y="{_number(y)}" '
            f'width="{_number(width)}" height="{_number(height)}">{title}</rect>'
        )

    def text(self, x: float, y: float, content: str, anchor: str = "start", css: str = "") -> None:
        """Write (escaped) text anchored at `x` by its start, middle or end, mirrored if need be."""
        if self.rtl:
            x = WIDTH - x
            anchor = {"start": "end", "end": "start"}.get(anchor, anchor)
        cls = f' class="{css}"' if css else ""
        self.body.append(
            f'<text{cls} x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}">{content}</text>'
        )

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """Draw an axis line."""
        if self.rtl:
            x1, x2 = WIDTH - x1, WIDTH - x2
        self.body.append(
            f'<line class="axis" x1="{_number(x1)}" y1="{_number(y1)}" '
            f'x2="{_number(x2)}" y2="{_number(y2)}"/>'
        )

    def legend(self, series: Sequence[Series], classes: Sequence[str], y: float) -> float:
        """Draw the series' names with their colours, wrapping rows; return the height used."""
        if len(series) < 2:
            return 0.0
        x, rows = 0.0, 1
        for index, (name, _) in enumerate(series):
            width = 16 + CHAR_WIDTH * len(name) + 14
            if x and x + width > WIDTH:
                x, rows = 0.0, rows + 1
            top = y + (rows - 1) * LEGEND_ROW
            self.rect(classes[index], x, top, 12, 12)
            self.text(x + 16, top + 10, str(escape(name)))
            x += width
        return rows * LEGEND_ROW

    def svg(self, height: float, title: str) -> Markup:
        """Return the chart; every text in the body went through escape() where it was made."""
        return Markup(  # noqa: S704
            f'<svg class="chart" viewBox="0 0 {WIDTH} {_number(height)}" role="img" direction="ltr" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(self.body)}</svg>'
        )


def _classes(series: Sequence[Series], classes: Sequence[str] | None) -> list[str]:
    given = list(classes or [])
    return [given[i] if i < len(given) else f"s{i}" for i in range(len(series))]


def _tip(label: str, name: str, value: float) -> str:
    return f"{escape(label)} · {escape(name)}: {_number(value)}"


def columns(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    stacked: bool = True,
    every: int = 1,
    classes: Sequence[str] | None = None,
    rtl: bool = False,
) -> Markup:
    """Draw vertical bars, one column per label, the series stacked (or side by side)."""
    canvas, css = _Canvas(rtl), _classes(series, classes)
    count = len(labels)
    top = _scale(series, count, stacked)
    plot_top, plot_height, left = 14.0, 180.0, 44.0
    slot = (WIDTH - left) / max(count, 1)
    canvas.line(left, plot_top + plot_height, WIDTH, plot_top + plot_height)
    canvas.text(left - 4, plot_top + 4, _number(top), "end", "tick")
    canvas.text(left - 4, plot_top + plot_height, "0", "end", "tick")
    groups = 1 if stacked else max(len(series), 1)
    width = max(slot * 0.8 / groups, 0.5)
    for i, label in enumerate(labels):
        base = plot_top + plot_height
        x0 = left + slot * i + slot * 0.1
        for index, (name, values) in enumerate(series):
            value = values[i]
            height = plot_height * value / top
            x = x0 if stacked else x0 + width * index
            y = base - height if stacked else plot_top + plot_height - height
            if value:
                canvas.rect(css[index], x, y, width, height, _tip(label, name, value))
            if stacked:
                base -= height
        if i % every == 0:
            canvas.text(
                x0 + slot * 0.4, plot_top + plot_height + 14, str(escape(label)), "middle", "tick"
            )
    used = canvas.legend(series, css, plot_top + plot_height + 24)
    return canvas.svg(plot_top + plot_height + 24 + used, title)


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    stacked: bool = True,
    classes: Sequence[str] | None = None,
    rtl: bool = False,
) -> Markup:
    """Draw horizontal bars, one row per label, the series stacked (or side by side).

    Labels sit in their own column before the bars, the figures after them: never on a bar.
    """
    canvas, css = _Canvas(rtl), _classes(series, classes)
    count = len(labels)
    top = _scale(series, count, stacked)
    label_width, right = 220.0, 60.0
    span = WIDTH - label_width - right
    groups = 1 if stacked else max(len(series), 1)
    row = BAR_ROW * groups
    for i, label in enumerate(labels):
        y0 = i * row + 4
        canvas.text(label_width - 6, y0 + row / 2 + 4, str(escape(label[:30])), "end")
        x = label_width
        total = 0.0
        for index, (name, values) in enumerate(series):
            value = values[i]
            width = span * value / top
            y = y0 if stacked else y0 + BAR_ROW * index
            if value:
                canvas.rect(css[index], x, y + 2, width, BAR_ROW - 6, _tip(label, name, value))
            if stacked:
                x += width
                total += value
            else:
                canvas.text(x + width + 4, y + BAR_ROW - 8, _number(value), "start", "tick")
        if stacked:
            canvas.text(x + 4, y0 + row / 2 + 4, _number(total), "start", "tick")
    height = count * row + 8
    used = canvas.legend(series, css, height + 4)
    return canvas.svg(height + 4 + used, title)

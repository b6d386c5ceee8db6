"""Bar charts drawn on the server as SVG: no script, no library, colours from the stylesheet."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

Series = tuple[str, Sequence[float]]
WIDTH = 720
BAR_ROW = 22  # height of a row of a horizontal chart
LEGEND_ROW = 20


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _scale(series: Sequence[Series], count: int, stacked: bool) -> float:
    if stacked:
        top = max((sum(values[i] for _, values in series) for i in range(count)), default=0)
    else:
        top = max((max(values, default=0) for _, values in series), default=0)
    return float(top) or 1.0


def _legend(series: Sequence[Series], y: float) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], 0.0
    for index, (name, _) in enumerate(series):
        parts.append(
            f'<rect class="s{index}" x="{_number(x)}" y="{_number(y)}" width="12" height="12"/>'
        )
        parts.append(f'<text x="{_number(x + 16)}" y="{_number(y + 10)}">{escape(name)}</text>')
        x += 28 + 7.5 * len(name)
    return parts


def _svg(height: float, title: str, body: list[str]) -> Markup:
    # Every piece of text in `body` went through escape() where it was made.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {_number(height)}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def columns(title: str, labels: Sequence[str], series: Sequence[Series], stacked: bool = True,
            every: int = 1) -> Markup:  # fmt: skip
    """Draw vertical bars, one column per label, the series stacked (or side by side)."""
    count = len(labels)
    top = _scale(series, count, stacked)
    plot_top, plot_height, left = 14.0, 180.0, 44.0
    slot = (WIDTH - left) / max(count, 1)
    body = [
        f'<line class="axis" x1="{left}" y1="{plot_top + plot_height}" x2="{WIDTH}" y2="{plot_top + plot_height}"/>',
        f'<text class="tick" x="{left - 4}" y="{plot_top + 4}" text-anchor="end">{_number(top)}</text>',
        f'<text class="tick" x="{left - 4}" y="{plot_top + plot_height}" text-anchor="end">0</text>',
    ]
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
                body.append(
                    f'<rect class="s{index}" x="{_number(x)}" y="{_number(y)}" width="{_number(width)}" '
                    f'height="{_number(height)}"><title>{escape(label)} · {escape(name)}: {_number(value)}</title></rect>'
                )
            if stacked:
                base -= height
        if i % every == 0:
            body.append(
                f'<text class="tick" x="{_number(x0 + slot * 0.4)}" y="{plot_top + plot_height + 14}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    body += _legend(series, plot_top + plot_height + 24)
    return _svg(plot_top + plot_height + 24 + (LEGEND_ROW if len(series) > 1 else 0), title, body)


def bars(
    title: str, labels: Sequence[str], series: Sequence[Series], stacked: bool = True
) -> Markup:
    """Draw horizontal bars, one row per label, the series stacked (or side by side)."""
    count = len(labels)
    top = _scale(series, count, stacked)
    label_width, right = 220.0, 60.0
    span = WIDTH - label_width - right
    groups = 1 if stacked else max(len(series), 1)
    row = BAR_ROW * groups
    body: list[str] = []
    for i, label in enumerate(labels):
        y0 = i * row + 4
        body.append(
            f'<text x="{label_width - 6}" y="{_number(y0 + row / 2 + 4)}" text-anchor="end">'
            f"{escape(label[:34])}</text>"
        )
        x = label_width
        total = 0.0
        for index, (name, values) in enumerate(series):
            value = values[i]
            width = span * value / top
            y = y0 if stacked else y0 + BAR_ROW * index
            if value:
                body.append(
                    f'<rect class="s{index}" x="{_number(x)}" y="{_number(y + 2)}" width="{_number(width)}" '
                    f'height="{BAR_ROW - 6}"><title>{escape(label)} · {escape(name)}: {_number(value)}</title></rect>'
                )
            if stacked:
                x += width
                total += value
            else:
                body.append(
                    f'<text class="tick" x="{_number(x + width + 4)}" y="{_number(y + BAR_ROW - 8)}">'
                    f"{_number(value)}</text>"
                )
        if stacked:
            body.append(
                f'<text class="tick" x="{_number(x + 4)}" y="{_number(y0 + row / 2 + 4)}">{_number(total)}</text>'
            )
    height = count * row + 8
    body += _legend(series, height + 4)
    return _svg(height + 4 + (LEGEND_ROW if len(series) > 1 else 0), title, body)

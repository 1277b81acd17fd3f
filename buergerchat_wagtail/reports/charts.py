"""Server-rendered SVG bar charts for the report: geometry here, markup in the template
``buergerchat_wagtail/admin/_bar_chart.html``. No JavaScript, no third-party service;
the table next to each chart carries the same numbers as its text alternative."""

import math
from dataclasses import dataclass

from django.utils.formats import number_format

WIDTH = 720
HEIGHT = 220
MARGIN_LEFT = 48
MARGIN_RIGHT = 8
MARGIN_TOP = 12
MARGIN_BOTTOM = 40
MAX_X_LABELS = 9


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass
class Tick:
    y: float
    label: str


@dataclass
class XLabel:
    x: float
    label: str


def nice_step(maximum, ticks=4):
    """A round step (1, 2 or 5 × 10^n) giving about ``ticks`` grid lines up to ``maximum``."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover  (the loop always returns)


def _format(value, decimals=1):
    """A number in the active language's format ("2,5" in German), without trailing zeros."""
    if float(value).is_integer():
        return number_format(int(value))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return number_format(float(text), len(text.partition(".")[2]))


def bar_chart(labels, series, *, title, description, series_names, value_format=_format, integer=False):
    """Grouped bars: ``labels`` along x, ``series`` a list of value lists (None = no value).

    ``integer``: the values are counts, so the axis has whole-number steps only (no
    "0,5 conversations"). Returns a dict for the template: sizes, bars, y ticks, x
    labels (every n-th), legend.
    """
    count = max(len(labels), 1)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    values = [v for values in series for v in values if v is not None]
    step = nice_step(max(values, default=0))
    if integer:
        step = max(1, math.ceil(step))
    top = step * max(1, math.ceil(max(values, default=0) / step))
    slot = plot_width / count
    bar_width = slot * 0.8 / max(len(series), 1)
    baseline = MARGIN_TOP + plot_height
    bars = []
    for index, label in enumerate(labels):
        for number, values_of_series in enumerate(series):
            value = values_of_series[index]
            if value is None:
                continue
            height = plot_height * value / top if top else 0
            bars.append(
                Bar(
                    x=round(MARGIN_LEFT + index * slot + slot * 0.1 + number * bar_width, 2),
                    y=round(baseline - height, 2),
                    width=round(max(bar_width - 1, 1), 2),
                    height=round(height, 2),
                    series=number,
                    title=f"{label}: {series_names[number]} {value_format(value)}",
                )
            )
    ticks = []
    decimals = max(0, -math.floor(math.log10(step)))
    number = 0
    while number * step <= top + 1e-9:
        value = number * step
        ticks.append(Tick(y=round(baseline - plot_height * value / top, 2), label=_format(value, decimals)))
        number += 1
    every = max(1, math.ceil(count / MAX_X_LABELS))
    x_labels = [
        XLabel(x=round(MARGIN_LEFT + index * slot + slot / 2, 2), label=label)
        for index, label in enumerate(labels)
        if index % every == 0
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": MARGIN_LEFT,
        "right": WIDTH - MARGIN_RIGHT,
        "baseline": baseline,
        "label_y": baseline + 18,
        "bars": bars,
        "ticks": ticks,
        "x_labels": x_labels,
        "title": title,
        "description": description,
        "legend": list(enumerate(series_names)),
    }

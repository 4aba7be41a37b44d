"""PNG charts of the statistics, drawn headless with Matplotlib's object API (no pyplot state).

`team_chart` draws a horizontal stacked bar per member (interactions by channel) with the share
of achieved goals at the end of each bar; `member_chart` draws one member's channels. Both are
sized for a phone screen and take every word from the caller, already in the viewer's language.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from models.enums import Channel
from services.stats import CHANNEL_ORDER, MemberStats, percent, row_labels

# Okabe–Ito: distinguishable with the common kinds of colour blindness.
COLOURS: Mapping[Channel, str] = {
    Channel.CALL: "#0072B2",
    Channel.MEETING: "#E69F00",
    Channel.EMAIL: "#CC79A7",
    Channel.SMS: "#D55E00",
    Channel.WHATSAPP: "#009E73",
    Channel.TELEGRAM: "#56B4E9",
    Channel.OTHER: "#999999",
}
MAX_ROWS = 20
WIDTH_INCHES = 7.0
ROW_INCHES = 0.45
TITLE_INCHES = 0.6
AXIS_INCHES = 0.6
LEGEND_ROW_INCHES = 0.32
LEFT_INCHES = 1.5
RIGHT_INCHES = 0.25
LEGEND_COLUMNS = 4
DPI = 120
BAR_HEIGHT = 0.65
FONT = 11


@dataclass(frozen=True)
class ChartTexts:
    """The words on a chart: title, channel names, «цель {share}», the axis, «and N more»."""

    title: str
    channels: Mapping[Channel, str]
    achieved: str
    axis: str
    more: str | None = None


@cache
def _glyphs() -> frozenset[int]:
    """The characters the chart font can draw."""
    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"))
    return frozenset(FT2Font(path).get_charmap())


def plain(text: str) -> str:
    """A user's text safe to draw: no mathtext (`$`), no characters the font lacks (emoji)."""
    glyphs = _glyphs()
    kept = "".join(char for char in text if ord(char) in glyphs or char == "\n")
    return re.sub(" {2,}", " ", kept.replace("$", r"\$")).strip() or "?"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # Light compression: the file is a few dozen KB either way, and encoding was the slowest step.
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _frame(rows: int, title: str, legend_rows: int = 0) -> tuple[Figure, Axes]:
    """A figure whose margins are fixed in inches: layout engines cost a redraw or two."""
    bottom = AXIS_INCHES + LEGEND_ROW_INCHES * legend_rows
    height = TITLE_INCHES + ROW_INCHES * max(rows, 1) + bottom
    figure = Figure(figsize=(WIDTH_INCHES, height))
    figure.subplots_adjust(
        left=LEFT_INCHES / WIDTH_INCHES,
        right=1 - RIGHT_INCHES / WIDTH_INCHES,
        top=1 - TITLE_INCHES / height,
        bottom=bottom / height,
    )
    figure.text(
        0.02,
        1 - 0.12 / height,
        plain(title),
        ha="left",
        va="top",
        fontsize=FONT + 2,
        weight="bold",
    )
    axes = figure.add_subplot()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=FONT)
    axes.grid(axis="x", alpha=0.3)
    axes.set_axisbelow(True)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure, axes


def _bars(axes: Axes, rows: Sequence[MemberStats], used: Sequence[Channel]) -> int:
    """Every stacked segment as one collection (a patch per segment costs a lot to draw);
    returns the longest bar."""
    shapes: list[list[tuple[float, float]]] = []
    colours: list[str] = []
    longest = 0
    for position, row in enumerate(rows):
        left = 0
        top, bottom = position - BAR_HEIGHT / 2, position + BAR_HEIGHT / 2
        for channel in used:
            width = row.channels.get(channel, 0)
            if width:
                right = left + width
                shapes.append([(left, top), (right, top), (right, bottom), (left, bottom)])
                colours.append(COLOURS[channel])
                left = right
        longest = max(longest, left)
    axes.add_collection(PolyCollection(shapes, facecolors=colours, linewidths=0))
    return longest


def team_chart(rows: Sequence[MemberStats], texts: ChartTexts) -> bytes:
    """Stacked bars of interactions by channel per member (the MAX_ROWS most active), the
    achieved share at the end of each bar."""
    # The most active members, in the order the caller gave (the table's).
    busiest = set(sorted(range(len(rows)), key=lambda i: -rows[i].interactions)[:MAX_ROWS])
    shown = [row for index, row in enumerate(rows) if index in busiest]
    used = [
        channel for channel in CHANNEL_ORDER if any(row.channels.get(channel) for row in shown)
    ]
    figure, axes = _frame(len(shown), texts.title, -(-len(used) // LEGEND_COLUMNS))
    longest = _bars(axes, shown, used) or 1
    for position, row in enumerate(shown):
        label = str(row.interactions)
        if row.interactions:
            label += " · " + texts.achieved.format(share=percent(row.achieved_share))
        axes.text(row.interactions + longest * 0.02, position, label, va="center", fontsize=FONT)
    axes.set_yticks(range(len(shown)), [plain(label) for label in row_labels(shown)])
    axes.set_ylim(len(shown) - 0.5, -0.5)
    axes.set_xlim(0, longest * 1.45)
    axes.set_xlabel(f"{texts.axis} · {texts.more}" if texts.more else texts.axis, fontsize=FONT)
    if used:
        figure.legend(
            handles=[
                Patch(color=COLOURS[channel], label=plain(texts.channels[channel]))
                for channel in used
            ],
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=min(len(used), LEGEND_COLUMNS),
            frameon=False,
            fontsize=FONT,
        )
    return _png(figure)


def member_chart(row: MemberStats, texts: ChartTexts) -> bytes:
    """One member's interactions per channel, the achieved share in the title."""
    used = [channel for channel in CHANNEL_ORDER if row.channels.get(channel)]
    share = texts.achieved.format(share=percent(row.achieved_share))
    figure, axes = _frame(len(used), f"{texts.title}\n{share}")
    positions = list(range(len(used)))
    counts = [row.channels[channel] for channel in used]
    axes.barh(positions, counts, color=[COLOURS[channel] for channel in used], height=BAR_HEIGHT)
    longest = max(counts, default=0) or 1
    for position, count in zip(positions, counts, strict=True):
        axes.text(count + longest * 0.02, position, str(count), va="center", fontsize=FONT)
    axes.set_yticks(positions, [plain(texts.channels[channel]) for channel in used])
    axes.invert_yaxis()
    axes.set_xlim(0, longest * 1.2)
    axes.set_xlabel(texts.axis, fontsize=FONT)
    return _png(figure)

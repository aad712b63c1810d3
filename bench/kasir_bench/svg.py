"""Hand-written SVG bar charts for the benchmark report (no plotting library needed)."""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "font-family='system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif'"
COLORS = {"kasir": "#2b6cb0", "baseline": "#a0aec0", "extra": "#dd6b20", "good": "#2f855a"}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str


def _fmt(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if value >= 10_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}"


def bar_panel(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str,
    *,
    notes: Sequence[str] | None = None,
    width: int = 760,
    x0: int = 0,
    y0: int = 0,
) -> tuple[str, int]:
    """Horizontal grouped bars: one group per category, one bar per series. Returns
    (svg fragment, height)."""
    # ~6.6 px per character of 12 px text, so long labels are not cut at the left edge
    label_w = max(120, int(6.6 * max((len(c) for c in categories), default=10)) + 16)
    bar_h = 16
    gap = 4
    group_gap = 14
    top = 30
    plot_w = max(200, width - label_w - 90)
    peak = max((v for s in series for v in s.values if v is not None), default=1.0) or 1.0
    parts = [
        f"<text x='{x0 + 8}' y='{y0 + 20}' font-size='15' font-weight='600' {FONT}>"
        f"{escape(title)}</text>"
    ]
    y = y0 + top
    for index, category in enumerate(categories):
        group_h = len(series) * (bar_h + gap) - gap
        parts.append(
            f"<text x='{x0 + label_w - 8}' y='{y + group_h / 2 + 4}' font-size='12' "
            f"text-anchor='end' {FONT}>{escape(category)}</text>"
        )
        for s in series:
            value = s.values[index]
            if value is not None:
                w = max(1.0, plot_w * value / peak)
                parts.append(
                    f"<rect x='{x0 + label_w}' y='{y}' width='{w:.1f}' height='{bar_h}' "
                    f"fill='{s.color}'><title>{escape(s.name)}: {_fmt(value, unit)}</title></rect>"
                )
                parts.append(
                    f"<text x='{x0 + label_w + w + 4:.1f}' y='{y + bar_h - 4}' font-size='11' "
                    f"{FONT}>{_fmt(value, unit)}</text>"
                )
            y += bar_h + gap
        y += group_gap - gap
    legend_x = x0 + label_w
    for s in series:
        parts.append(
            f"<rect x='{legend_x}' y='{y + 2}' width='12' height='12' fill='{s.color}'/>"
            f"<text x='{legend_x + 16}' y='{y + 12}' font-size='12' {FONT}>{escape(s.name)}</text>"
        )
        legend_x += 24 + 7 * len(s.name)
    y += 22
    for note in notes or ():
        parts.append(
            f"<text x='{x0 + 8}' y='{y + 10}' font-size='11' fill='#4a5568' {FONT}>"
            f"{escape(note)}</text>"
        )
        y += 16
    return "\n".join(parts), y - y0 + 8


def chart(panels: Sequence[tuple[str, Sequence[str], Sequence[Series], str, Sequence[str]]]) -> str:
    """Stack panels (title, categories, series, unit, notes) into one SVG document."""
    width = 860
    fragments = []
    y = 0
    for title, categories, series, unit, notes in panels:
        fragment, height = bar_panel(
            title, categories, series, unit, notes=notes, width=width, y0=y
        )
        fragments.append(fragment)
        y += height + 10
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{y}' "
        f"viewBox='0 0 {width} {y}'>\n<rect width='100%' height='100%' fill='white'/>\n"
        + "\n".join(fragments)
        + "\n</svg>\n"
    )

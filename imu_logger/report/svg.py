"""Hand-made SVG charts for the report: no library, no network, text escaped."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import numpy as np

SIDE_COLOURS = {"left": "#1f6fb4", "right": "#d9731a"}
ACTIVITY_COLOURS = {"walking": "#4caf50", "turn": "#8bc34a", "stairs": "#2e7d32",
                    "standing": "#ffca28", "sitting_lying": "#90a4ae", "sitting": "#90a4ae",
                    "other": "#d7ccc8"}
BAND = "#c8e6c9"


def _nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return np.array([lo]) if np.isfinite(lo) else np.array([])
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    return np.arange(np.ceil(lo / step) * step, hi + step * 1e-9, step)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


@dataclass
class Chart:
    """One SVG plot area with linear axes; elements are appended in data coordinates."""

    xlim: tuple[float, float]
    ylim: tuple[float, float]
    width: int = 1050  # the report's page width: charts span it
    height: int = 260
    xlabel: str = ""
    ylabel: str = ""
    title: str = ""
    margin: tuple[int, int, int, int] = (28, 16, 42, 56)  # top, right, bottom, left
    parts: list[str] = field(default_factory=list)

    def x(self, v) -> np.ndarray:
        t, r, b, l = self.margin
        lo, hi = self.xlim
        return l + (np.asarray(v, float) - lo) / ((hi - lo) or 1.0) * (self.width - l - r)

    def y(self, v) -> np.ndarray:
        t, r, b, l = self.margin
        lo, hi = self.ylim
        return self.height - b - (np.asarray(v, float) - lo) / ((hi - lo) or 1.0) * (self.height - t - b)

    def line(self, xs, ys, colour: str, width: float = 2.0, dash: str = "", label: str = "") -> None:
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        ok = np.isfinite(xs) & np.isfinite(ys)
        if ok.sum() < 2:
            return
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(self.x(xs[ok]), self.y(ys[ok])))
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" '
                          f'stroke-width="{width}"{d}>{self._title(label)}</polyline>')

    def band(self, xs, lo, hi, colour: str, opacity: float = 0.35, label: str = "") -> None:
        xs, lo, hi = (np.asarray(a, float) for a in (xs, lo, hi))
        ok = np.isfinite(xs) & np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() < 2:
            return
        top = [f"{a:.1f},{b:.1f}" for a, b in zip(self.x(xs[ok]), self.y(hi[ok]))]
        bot = [f"{a:.1f},{b:.1f}" for a, b in zip(self.x(xs[ok][::-1]), self.y(lo[ok][::-1]))]
        self.parts.append(f'<polygon points="{" ".join(top + bot)}" fill="{colour}" '
                          f'fill-opacity="{opacity}" stroke="none">{self._title(label)}</polygon>')

    def rect(self, x0: float, x1: float, y0: float, y1: float, colour: str, opacity: float = 1.0,
             label: str = "") -> None:
        xa, xb = sorted((float(self.x(x0)), float(self.x(x1))))
        ya, yb = sorted((float(self.y(y0)), float(self.y(y1))))
        self.parts.append(f'<rect x="{xa:.1f}" y="{ya:.1f}" width="{max(xb - xa, 0.5):.1f}" '
                          f'height="{yb - ya:.1f}" fill="{colour}" fill-opacity="{opacity}">'
                          f'{self._title(label)}</rect>')

    def points(self, xs, ys, colour: str, r: float = 3.0, labels: list[str] | None = None) -> None:
        for i, (a, b) in enumerate(zip(self.x(xs), self.y(ys))):
            if np.isfinite(a) and np.isfinite(b):
                t = self._title(labels[i]) if labels else ""
                self.parts.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r}" fill="{colour}">{t}</circle>')

    def hline(self, y: float, colour: str = "#555", dash: str = "4 3", label: str = "") -> None:
        self.line(self.xlim, (y, y), colour, 1.0, dash, label)

    def text(self, x: float, y: float, s: str, colour: str = "#222", anchor: str = "start",
             size: int = 12) -> None:
        self.parts.append(f'<text x="{float(self.x(x)):.1f}" y="{float(self.y(y)):.1f}" '
                          f'fill="{colour}" font-size="{size}" text-anchor="{anchor}">{escape(s)}</text>')

    @staticmethod
    def _title(label: str) -> str:
        return f"<title>{escape(label)}</title>" if label else ""

    def svg(self, xticks: list[tuple[float, str]] | None = None, legend: list[tuple[str, str]] = ()) -> str:
        """The finished chart as an inline <svg> element."""
        t, r, b, l = self.margin
        w, h = self.width, self.height
        axes = [f'<rect x="{l}" y="{t}" width="{w - l - r}" height="{h - t - b}" fill="none" stroke="#999"/>']
        for v in _nice_ticks(*self.ylim):
            yy = float(self.y(v))
            axes.append(f'<line x1="{l}" x2="{w - r}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#eee"/>'
                        f'<text x="{l - 6}" y="{yy + 4:.1f}" font-size="11" text-anchor="end">{_fmt(v)}</text>')
        ticks = xticks if xticks is not None else [(v, _fmt(v)) for v in _nice_ticks(*self.xlim)]
        for v, s in ticks:
            xx = float(self.x(v))
            axes.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{h - b}" y2="{h - b + 4}" stroke="#666"/>'
                        f'<text x="{xx:.1f}" y="{h - b + 16}" font-size="11" text-anchor="middle">{escape(s)}</text>')
        if self.xlabel:
            axes.append(f'<text x="{(l + w - r) / 2:.0f}" y="{h - 6}" font-size="12" '
                        f'text-anchor="middle">{escape(self.xlabel)}</text>')
        if self.ylabel:
            axes.append(f'<text transform="translate(14,{(t + h - b) / 2:.0f}) rotate(-90)" '
                        f'font-size="12" text-anchor="middle">{escape(self.ylabel)}</text>')
        legend = list(legend)
        legend_w = sum(26 + 6.5 * len(name) for _, name in legend)
        title_w = 7.5 * len(self.title)
        two_rows = bool(self.title) and bool(legend) and l + title_w + legend_w > w - r  # would overlap
        if self.title:  # shrink a title that is wider than the chart rather than clip it
            size = 13 if title_w < w - l - r else max(9, int(13 * (w - l - r) / title_w))
            axes.append(f'<text x="{l}" y="{t - (17 if two_rows else 10)}" font-size="{size}" '
                        f'font-weight="bold">{escape(self.title)}</text>')
        lx, ly = w - r - 6, t - (13 if two_rows else 20)
        for colour, name in reversed(legend):
            lx -= 26 + 6.5 * len(name)
            axes.append(f'<rect x="{lx:.0f}" y="{ly}" width="12" height="10" fill="{colour}"/>'
                        f'<text x="{lx + 16:.0f}" y="{ly + 9}" font-size="11">{escape(name)}</text>')
        clip = f"clip{id(self)}"
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
                f'role="img"><defs><clipPath id="{clip}"><rect x="{l}" y="{t}" width="{w - l - r}" '
                f'height="{h - t - b}"/></clipPath></defs>{"".join(axes)}'
                f'<g clip-path="url(#{clip})">{"".join(self.parts)}</g></svg>')


def box_stats(values: np.ndarray) -> tuple[float, float, float, float, float] | None:
    """Whisker low (p5), q1, median, q3, whisker high (p95) of finite values; None if empty."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    return tuple(float(x) for x in np.percentile(v, [5, 25, 50, 75, 95]))  # type: ignore[return-value]


def boxplot(chart: Chart, x: float, half_width: float, stats, colour: str, label: str) -> None:
    """One box (q1-q3, median line, p5-p95 whiskers) at ``x`` in data units."""
    if stats is None:
        return
    lo, q1, med, q3, hi = stats
    chart.line((x, x), (lo, q1), colour, 1.5)
    chart.line((x, x), (q3, hi), colour, 1.5)
    chart.rect(x - half_width, x + half_width, q1, q3, colour, 0.35, label)
    chart.line((x - half_width, x + half_width), (med, med), colour, 3.0, label=label)

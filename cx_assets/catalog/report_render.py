"""The daily report rendered: a markdown table for Dagster metadata, an SVG chart, an HTML page.

Rendering is plain string building over a `report.DailyReport`: an SVG bar chart (no plotting
library is installed, and a chart of a dozen bars does not need one), markdown tables and a
standalone HTML page with the chart inline (text from the data is escaped in SVG and HTML). A
day a source left missing or failing (`report_days.DayStatus`) gets a red "flagged" section in
both; `index_page` lists every covered day with its flags and a link to its page.
"""

from __future__ import annotations

import base64
import html

from cx_assets.catalog.report import DailyReport
from cx_assets.catalog.report_days import Coverage, DayStatus


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2%}"


def flags_markdown(status: DayStatus | None) -> list[str]:
    if status is None:
        return []
    if not status.flags:
        return ["**Sources:** both landed and passed (not flagged)", ""]
    return ["**FLAGGED:** " + "; ".join(status.flags), ""]


def markdown(
    report: DailyReport, *, chart_uri: str | None = None, status: DayStatus | None = None
) -> str:
    """Markdown tables of the day (and the chart as an image when `chart_uri` is given)."""
    lines = [f"### Contact centre, {report.day.isoformat()} (UTC)", ""]
    lines += flags_markdown(status)
    lines += ["| channel | type | conversations |", "| --- | --- | ---: |"]
    lines += [f"| {r.channel} | {r.type} | {r.conversations} |" for r in report.channels]
    lines += [f"| **all** | | **{report.conversations}** |", ""]
    lines += [
        "| CXone medium | interactions | avg handle s | avg talk s | avg hold s | avg wrap s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {m.medium} | {m.interactions} | {_num(m.avg_handle_s)} | {_num(m.avg_talk_s)} | "
        f"{_num(m.avg_hold_s)} | {_num(m.avg_wrap_s)} |"
        for m in report.media
    ]
    lines += [
        f"| **all** | **{report.cxone_interactions}** | **{_num(report.cxone_avg_handle_s)}** "
        "| | | |",
        "",
        "| source | registered | records received | complete records | completeness |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {c.source} | {'yes' if c.registered else 'no'} | {c.received} | {c.good} | "
        f"{_pct(c.rate)} |"
        for c in report.completeness
    ]
    if chart_uri:
        lines += ["", f"![conversations by channel and type]({chart_uri})"]
    return "\n".join(lines)


_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1")
_BAR_H, _GAP, _LABEL_W, _PLOT_W, _PAD = 22, 8, 110, 360, 16


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _bars(
    title: str, rows: list[tuple[str, list[tuple[str, float]]]], colours: dict[str, str], top: int
) -> tuple[list[str], int]:
    """One titled panel of horizontal (stacked) bars starting at `top`; returns parts, height."""
    parts = [f'<text x="{_PAD}" y="{top + 14}" font-weight="bold">{_esc(title)}</text>']
    y = top + 26
    peak = max((sum(v for _, v in segs) for _, segs in rows), default=0.0) or 1.0
    if not rows:
        parts.append(f'<text x="{_PAD}" y="{y + 15}" fill="#777">no data for this day</text>')
        return parts, 26 + _BAR_H + _GAP
    for label, segments in rows:
        parts.append(
            f'<text x="{_PAD + _LABEL_W - 6}" y="{y + 15}" text-anchor="end">{_esc(label)}</text>'
        )
        x = float(_PAD + _LABEL_W)
        for key, value in segments:
            width = _PLOT_W * value / peak
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{_BAR_H}" '
                f'fill="{colours[key]}"><title>{_esc(label)} {_esc(key)}: {value:g}</title></rect>'
            )
            x += width
        total = sum(v for _, v in segments)
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 15}">{total:,.4g}</text>')
        y += _BAR_H + _GAP
    return parts, y - top


def svg_chart(report: DailyReport) -> str:
    """A self-contained SVG: conversations by channel (stacked by type), CXone handle times."""
    types = sorted({r.type for r in report.channels})
    colours = {t: _PALETTE[i % len(_PALETTE)] for i, t in enumerate(types)}
    colours["avg handle s"] = _PALETTE[2]
    by_channel = report.by_channel()
    genesys_rows = [
        (channel, [(t, float(counts[t])) for t in types if t in counts])
        for channel, counts in sorted(by_channel.items())
    ]
    cxone_rows = [
        (m.medium, [("avg handle s", float(m.avg_handle_s or 0.0))]) for m in report.media
    ]
    title = f"Genesys conversations by channel, {report.day.isoformat()}"
    parts, height = _bars(title, genesys_rows, colours, 0)
    legend_y = height + 4
    x = _PAD + _LABEL_W
    for t in types:
        parts.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{colours[t]}"/>')
        parts.append(f'<text x="{x + 16}" y="{legend_y + 11}">{_esc(t)}</text>')
        x += 24 + 8 * len(t)
    more, cx_height = _bars(
        "CXone average handle time (s) by medium", cxone_rows, colours, legend_y + 24
    )
    parts += more
    total_h = legend_y + 24 + cx_height + _PAD
    total_w = _PAD * 2 + _LABEL_W + _PLOT_W + 60
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" height="{total_h}" '
        f'viewBox="0 0 {total_w} {total_h}" font-family="sans-serif" font-size="12" '
        f'role="img" aria-label="{_esc(title)}">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>'
    )


def svg_data_uri(svg: str) -> str:
    """`svg` as a `data:image/svg+xml;base64,…` URI (for markdown image links)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{_esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
    "margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
    ".flagged{background:#fde8e8;border-left:6px solid #e15759;padding:8px 12px}"
    ".whole{background:#e8f3e8;border-left:6px solid #59a14f;padding:8px 12px}"
)


def _flags_html(status: DayStatus | None) -> str:
    if status is None:
        return ""
    if not status.flags:
        return '<p class="whole">Sources: both landed and passed (not flagged).</p>'
    items = "".join(f"<li>{_esc(f)}</li>" for f in status.flags)
    return (
        '<div class="flagged"><strong>FLAGGED</strong>: a source is missing or failing'
        f"<ul>{items}</ul></div>"
    )


def html_page(
    report: DailyReport, *, status: DayStatus | None = None, overview_href: str | None = None
) -> str:
    """A standalone HTML page (inline SVG, no external assets) a person can open."""
    day = report.day.isoformat()
    channels = _table(
        ["channel", "type", "conversations"],
        [[r.channel, r.type, str(r.conversations)] for r in report.channels]
        + [["all", "", str(report.conversations)]],
    )
    media = _table(
        ["CXone medium", "interactions", "avg handle s", "avg talk s", "avg hold s", "avg wrap s"],
        [
            [
                m.medium,
                str(m.interactions),
                _num(m.avg_handle_s),
                _num(m.avg_talk_s),
                _num(m.avg_hold_s),
                _num(m.avg_wrap_s),
            ]
            for m in report.media
        ]
        + [["all", str(report.cxone_interactions), _num(report.cxone_avg_handle_s), "", "", ""]],
    )
    completeness = _table(
        ["source", "registered", "records received", "complete records", "completeness"],
        [
            [c.source, "yes" if c.registered else "no", str(c.received), str(c.good), _pct(c.rate)]
            for c in report.completeness
        ],
    )
    overview = f'<p><a href="{_esc(overview_href)}">Every day</a></p>' if overview_href else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Contact centre report {day}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Contact centre report, {day} (UTC)</h1>{overview}{_flags_html(status)}"
        f"{svg_chart(report)}"
        f"<h2>Genesys conversations</h2>{channels}<h2>NICE CXone handle times</h2>{media}"
        f"<h2>Data completeness</h2>{completeness}</body></html>\n"
    )


def index_page(cov: Coverage, chart_uri: str, pages: dict[str, str]) -> str:
    """Every covered day: what each source landed, its flags, and a link to its page (`pages`:
    ISO day -> relative link, for the days whose page exists)."""
    rows = []
    for d in reversed(cov.days):
        day = d.day.isoformat()
        link = f'<a href="{_esc(pages[day])}">{day}</a>' if day in pages else day
        cells = [
            str(d.genesys.conversations) if d.genesys else "none landed",
            str(d.cxone.interactions) if d.cxone else "none landed",
            f"{d.cxone.integrity:.2%}" if d.cxone else "-",
        ]
        flags = _esc("; ".join(d.flags)) or "whole"
        style = ' class="flagged"' if d.flagged else ""
        tds = "".join(f"<td>{_esc(c)}</td>" for c in cells)
        rows.append(f"<tr{style}><td>{link}</td>{tds}<td>{flags}</td></tr>")
    head = "".join(
        f"<th>{h}</th>"
        for h in ("day", "Genesys conversations", "CXone interactions", "CXone integrity", "flags")
    )
    span = f"{cov.first_day} to {cov.last_day}" if cov.days else "no day yet"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Contact centre report, every day</title><style>{_STYLE}</style></head><body>"
        f"<h1>Contact centre report, every day ({span}, UTC)</h1>"
        f"<p>{len(cov.days)} day(s) covered, {len(cov.flagged)} flagged (a source missing or "
        f"failing; CXone integrity threshold {cov.threshold:g}).</p>"
        f'<img alt="conversations per day" src="{chart_uri}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</body></html>\n"
    )

"""The evaluation report (``wandlab.ml.evaluate``) as files: report.json, a self-contained report.html with
inline SVG pictures, and each picture as its own .svg (pure Python: no plotting library, no JavaScript,
no external assets; the GUI can render the same SVG strings from ``figures``).

Every piece of text that comes from data (labels above all) goes through ``html.escape``: a gesture
called ``<script>`` is shown as text.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f77b4",
    "#8c564b",
)
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"
GOOD, BAD, MUTED, INK = "#59a14f", "#e15759", "#9aa0a6", "#202124"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{100 * float(v):.1f}%"


def _short(label: str, n: int = 18) -> str:
    return label if len(label) <= n else label[: n - 1] + "\u2026"


def _text(x: float, y: float, s: Any, size: int = 11, anchor: str = "start", fill: str = INK, extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
        f"{' ' + extra if extra else ''}>{_e(s)}</text>"
    )


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" style="{FONT}"><title>{_e(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _no_data_figure(title: str, why: str) -> str:
    return _svg(
        420,
        60,
        [
            '<rect x="0.5" y="0.5" width="419" height="59" fill="#f8f9fa" stroke="#dadce0"/>',
            _text(210, 35, why, 12, "middle", MUTED),
        ],
        title,
    )


def colours(labels: list[str]) -> dict[str, str]:
    return {lab: PALETTE[i % len(PALETTE)] for i, lab in enumerate(labels)}


# ---- pictures --------------------------------------------------------------------------------------------


def svg_confusion(ev: dict[str, Any]) -> str:
    conf = ev.get("confusion") or {}
    rows, cols, m = conf.get("rows") or [], conf.get("columns") or [], conf.get("matrix") or []
    if not m or not sum(map(sum, m)):
        return _no_data_figure("confusion matrix", "no validation takes")
    n = len(rows)
    cell = max(18.0, min(40.0, 440.0 / max(n, 1)))
    left = 12 + 6.5 * max(len(_short(r)) for r in rows)
    top = 18 + 5.0 * max(len(_short(c)) for c in cols)
    body = []
    for j, c in enumerate(cols):
        x, y = left + (j + 0.5) * cell, top - 6
        body.append(_text(x, y, _short(c), 10, "start", extra=f'transform="rotate(-45 {x:.1f} {y:.1f})"'))
    for i, r in enumerate(rows):
        total = sum(m[i])
        body.append(_text(left - 6, top + (i + 0.62) * cell, _short(r), 10, "end"))
        for j, v in enumerate(m[i]):
            frac = v / total if total else 0.0
            base = (78, 121, 167) if i == j else (225, 87, 89)
            rgb = tuple(round(255 - (255 - ch) * (0.12 + 0.88 * frac)) if v else 248 for ch in base)
            x, y = left + j * cell, top + i * cell
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                f'fill="rgb{rgb}" stroke="#fff"><title>{_e(r)} \u2192 {_e(cols[j])}: {v}</title></rect>'
            )
            if v:
                body.append(
                    _text(
                        x + cell / 2,
                        y + cell * 0.62,
                        v,
                        max(8, int(cell / 3.2)),
                        "middle",
                        "#fff" if frac > 0.55 else INK,
                    )
                )
    w, h = left + n * cell + 10, top + n * cell + 28
    body.append(_text(left + n * cell / 2, h - 8, "answer (columns) for each true label (rows)", 10, "middle", MUTED))
    return _svg(w, h, body, "confusion matrix")


def svg_per_class(ev: dict[str, Any]) -> str:
    rows = ev.get("per_class") or []
    if not rows:
        return _no_data_figure("precision and recall per class", "no validation takes")
    left, bar_w, row_h = 14 + 6.5 * max(len(_short(r["label"])) for r in rows), 260.0, 30.0
    body = [_legend_item(left, 12, "#4e79a7", "precision"), _legend_item(left + 90, 12, "#f28e2b", "recall")]
    top = 26.0
    for k in (0.0, 0.5, 1.0):
        x = left + k * bar_w
        body.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + len(rows) * row_h:.1f}" stroke="#dadce0"/>'
        )
        body.append(_text(x, top + len(rows) * row_h + 12, f"{k:.0%}", 9, "middle", MUTED))
    for i, r in enumerate(rows):
        y = top + i * row_h
        body.append(_text(left - 6, y + 18, _short(r["label"]), 10, "end"))
        for j, (key, col) in enumerate((("precision", "#4e79a7"), ("recall", "#f28e2b"))):
            v, by = r.get(key), y + 4 + j * 11
            if v is None:
                body.append(_text(left + 4, by + 9, "n/a", 9, "start", MUTED))
            else:
                body.append(
                    f'<rect x="{left:.1f}" y="{by:.1f}" width="{max(v * bar_w, 0.5):.1f}" height="10" '
                    f'fill="{col}"><title>{_e(r["label"])} {key} {_pct(v)}</title></rect>'
                )
        f1 = "" if r.get("f1") is None else f"F1 {r['f1']:.2f}  "
        body.append(_text(left + bar_w + 8, y + 18, f"{f1}n={r['support']}", 10, "start", MUTED))
    return _svg(left + bar_w + 90, top + len(rows) * row_h + 20, body, "precision and recall per class")


def _legend_item(x: float, y: float, colour: str, name: str) -> str:
    return f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>' + _text(x + 14, y, name, 10)


def _bars(
    groups: list[tuple[str, list[tuple[str, float | None, str]]]], title: str, notes: tuple[str, ...] = ()
) -> str:
    """Vertical grouped bars of fractions in [0, 1]; the series (and legend) are the first group's."""
    h, base_y, bar = 170.0, 184.0, 30.0
    series = [(name, col) for _, items in groups[:1] for name, _, col in items]
    steps = [24 + 6.3 * len(name) for name, _ in series]
    spans = [max(len(items) * (bar + 4), 6.2 * len(gname)) for gname, items in groups]
    width = 50 + sum(span + 26 for span in spans) + 10
    width = max(width, 60 + sum(steps), 60 + 5.6 * max((len(n) for n in notes), default=0))
    body = []
    for k in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = base_y - k * h
        body.append(f'<line x1="40" y1="{y:.1f}" x2="{width - 10:.1f}" y2="{y:.1f}" stroke="#eceff1"/>')
        body.append(_text(34, y + 3, f"{k:.0%}", 9, "end", MUTED))
    x0 = 50.0
    for (gname, items), span in zip(groups, spans, strict=True):
        x = x0 + (span - len(items) * (bar + 4)) / 2
        for name, v, col in items:
            if v is None:
                body.append(_text(x + bar / 2, base_y - 4, "n/a", 9, "middle", MUTED))
            else:
                body.append(
                    f'<rect x="{x:.1f}" y="{base_y - v * h:.1f}" width="{bar:.1f}" '
                    f'height="{max(v * h, 0.5):.1f}" fill="{col}">'
                    f"<title>{_e(gname)} {_e(name)} {_pct(v)}</title></rect>"
                )
                body.append(_text(x + bar / 2, base_y - v * h - 3, f"{100 * v:.0f}", 9, "middle"))
            x += bar + 4
        body.append(_text(x0 + span / 2, base_y + 14, gname, 10, "middle"))
        x0 += span + 26
    for i, (name, col) in enumerate(series):
        body.append(_legend_item(50 + sum(steps[:i]), base_y + 34, col, name))
    for i, note in enumerate(notes):
        body.append(_text(50, base_y + 52 + 14 * i, note, 10, "start", MUTED))
    return _svg(width, base_y + 44 + 14 * len(notes), body, title)


def svg_float_int8(ev: dict[str, Any]) -> str:
    fi = ev.get("float_vs_int8")
    if not fi:
        return _no_data_figure("float vs int8", "no float embeddings (the bundle has no float weights)")
    groups = [
        (
            "k-NN accuracy",
            [
                ("float model", fi.get("float_accuracy"), "#9c755f"),
                ("int8 model (board)", fi.get("int8_accuracy"), "#4e79a7"),
            ],
        )
    ]
    notes = (
        f"loss {fi['loss_points']:+.1f} points (target <= {fi['target_loss_points']:g}); "
        f"answers agree on {_pct(fi['agreement'])} of {fi['takes']} takes",
        f"embeddings: mean cosine {fi['mean_cosine']:.4f}, at most {fi['max_abs_lsb']} LSB apart",
    )
    return _bars(groups, "float vs int8", notes)


def svg_kshot(ev: dict[str, Any]) -> str:
    res = (ev.get("kshot") or {}).get("results") or []
    if not res:
        return _no_data_figure("k-shot enrollment", "too few validation takes per class for K-shot episodes")
    groups = [
        (
            f"{r['shots']}-shot, {r['ways']}-way",
            [
                ("int8 k-NN", r.get("accuracy"), "#4e79a7"),
                ("int8 k-NN open set", r.get("open_set_accuracy"), "#76b7b2"),
                ("raw 1-NN baseline", r.get("baseline_raw_1nn"), MUTED),
            ],
        )
        for r in res
    ]
    return _bars(
        groups, "k-shot enrollment accuracy", (f"{res[0]['episodes']} episodes each, on the validation takes",)
    )


def svg_idle(ev: dict[str, Any]) -> str:
    idle = ev.get("idle") or {}
    if not idle.get("windows"):
        return _no_data_figure("open-set idle", "no idle / no-motion takes to test on")
    w, left, bar_w = 520.0, 150.0, 320.0
    rate, target = float(idle["false_accepts_per_minute"]), float(idle.get("target_per_minute") or 1.0)
    scale = max(target * 2.0, rate * 1.15)
    col = GOOD if rate < target else BAD
    body = [
        _text(left - 8, 28, "false accepts / min", 10, "end"),
        f'<rect x="{left}" y="16" width="{bar_w}" height="18" fill="#f1f3f4"/>',
        f'<rect x="{left}" y="16" width="{max(rate / scale * bar_w, 0.5):.1f}" height="18" fill="{col}"/>',
        f'<line x1="{left + target / scale * bar_w:.1f}" y1="10" x2="{left + target / scale * bar_w:.1f}" '
        f'y2="40" stroke="{INK}" stroke-dasharray="3 2"/>',
        _text(left + target / scale * bar_w + 3, 50, f"target < {target:g}/min", 9, "start", MUTED),
        _text(left + bar_w + 6, 29, f"{rate:.2f}", 11),
    ]
    n = idle["windows"]
    parts = [
        ("answered none", idle.get("answered_none", 0), GOOD),
        ("no-motion class", idle.get("answered_idle_class", 0), "#76b7b2"),
        ("false accept", idle.get("false_accepts", 0), BAD),
    ]
    body.append(_text(left - 8, 82, f"{n} idle windows", 10, "end"))
    x = left
    for name, v, c in parts:
        if v:
            body.append(
                f'<rect x="{x:.1f}" y="70" width="{v / n * bar_w:.1f}" height="18" fill="{c}">'
                f"<title>{_e(name)}: {v}</title></rect>"
            )
            x += v / n * bar_w
    for i, (name, v, c) in enumerate(parts):
        body.append(_legend_item(left + 110 * i, 108, c, f"{name} {v}"))
    acc = idle.get("accepted_as") or {}
    if acc:
        listed = ", ".join(f"{k} {v}" for k, v in acc.items())
        body.append(_text(left, 128, "accepted as: " + _short(listed, 70), 10, "start", MUTED))
    return _svg(w, 138, body, "open-set false accepts on idle motion")


def svg_embedding_map(ev: dict[str, Any]) -> str:
    emap = ev.get("embedding_map") or {}
    pts = emap.get("points") or []
    if len(pts) < 2:
        return _no_data_figure("embedding map", "too few embeddings for a map")
    labels = [str(v) for v in emap["labels"]]
    kinds, pred = emap["kinds"], emap.get("predicted") or [None] * len(pts)
    known = list(ev.get("labels") or [])
    extra = {lab for lab, k in zip(labels, kinds, strict=True) if k != "idle" and lab not in known}
    cmap = colours(known + sorted(extra))
    size, pad = 400.0, 16.0
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, 1e-9)

    def at(p: list[float]) -> tuple[float, float]:
        return (
            pad + (p[0] - x0 + (span - (x1 - x0)) / 2) / span * (size - 2 * pad),
            size - pad - (p[1] - y0 + (span - (y1 - y0)) / 2) / span * (size - 2 * pad),
        )

    body = [f'<rect x="0.5" y="0.5" width="{size - 1:.0f}" height="{size - 1:.0f}" fill="#fff" stroke="#dadce0"/>']
    order = sorted(range(len(pts)), key=lambda i: {"idle": 0, "validation": 1, "reference": 2}.get(kinds[i], 1))
    for i in order:
        x, y = at(pts[i])
        answered = f" (answered {_e('none' if pred[i] is None else pred[i])})" if kinds[i] == "validation" else ""
        tip = f"<title>{_e(kinds[i])}: {_e(labels[i])}{answered}</title>"
        if kinds[i] == "idle":
            body.append(
                f'<path d="M{x - 3:.1f} {y - 3:.1f}L{x + 3:.1f} {y + 3:.1f}M{x - 3:.1f} {y + 3:.1f}'
                f'L{x + 3:.1f} {y - 3:.1f}" stroke="{MUTED}" stroke-width="1.2">{tip}</path>'
            )
        elif kinds[i] == "reference":
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="none" stroke="{cmap.get(labels[i], INK)}" '
                f'stroke-width="2">{tip}</circle>'
            )
        else:
            wrong = pred[i] != labels[i]
            stroke = f' stroke="{INK}" stroke-width="1.5"' if wrong else ""
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.6" fill="{cmap.get(labels[i], MUTED)}" '
                f'fill-opacity="0.85"{stroke}>{tip}</circle>'
            )
    lx = size + 14
    legend = list(cmap.items())[:24]
    for i, (lab, col) in enumerate(legend):
        body.append(_legend_item(lx, 16 + 16 * i, col, _short(lab, 20)))
    y = 16 + 16 * len(legend) + 10
    body.append(
        f'<circle cx="{lx + 5}" cy="{y - 4}" r="5" fill="none" stroke="{INK}" stroke-width="2"/>'
        + _text(lx + 14, y, "k-NN reference", 10)
    )
    body.append(
        f'<circle cx="{lx + 5}" cy="{y + 12}" r="3.6" fill="#fff" stroke="{INK}" stroke-width="1.5"/>'
        + _text(lx + 14, y + 16, "answered wrong / none", 10)
    )
    if "idle" in kinds:
        body.append(_text(lx, y + 32, "\u00d7", 12, "start", MUTED) + _text(lx + 14, y + 32, "idle window", 10))
    ev_ = emap.get("explained_variance") or []
    if ev_:
        body.append(
            _text(
                8,
                size + 14,
                f"PCA of the int8 embeddings: axes explain {_pct(ev_[0])} and "
                f"{_pct(ev_[1] if len(ev_) > 1 else 0)} of the variance",
                10,
                "start",
                MUTED,
            )
        )
    return _svg(size + 170, max(size + 22, y + 44), body, "embedding map")


def svg_budget(ev: dict[str, Any]) -> str:
    items = (ev.get("budget") or {}).get("items") or []
    if not items:
        return _no_data_figure("budget", "no size / arena figures")
    left, bar_w, row_h = 250.0, 260.0, 30.0
    scale = max(1.0, max((i.get("fraction") or 0) for i in items) * 1.05)
    body = []
    for k, it in enumerate(items):
        y = 10 + k * row_h
        frac = it.get("fraction") or 0.0
        body.append(_text(left - 8, y + 13, _short(it["name"], 40), 10, "end"))
        body.append(f'<rect x="{left}" y="{y}" width="{bar_w}" height="18" fill="#f1f3f4"/>')
        body.append(
            f'<rect x="{left}" y="{y}" width="{max(frac / scale * bar_w, 0.5):.1f}" height="18" '
            f'fill="{GOOD if it["within"] else BAD}"/>'
        )
        bx = left + bar_w / scale
        body.append(
            f'<line x1="{bx:.1f}" y1="{y - 2}" x2="{bx:.1f}" y2="{y + 20}" stroke="{INK}" stroke-dasharray="3 2"/>'
        )
        if it["unit"] == "bytes":
            txt = f"{it['value'] / 1024:.1f} of {it['budget'] / 1024:.1f} KB"
        else:
            txt = f"{it['value']:.2f} of {it['budget']:g} {it['unit']}" + (" (est.)" if it.get("estimate") else "")
        body.append(_text(left + bar_w + 8, y + 13, txt, 10))
    h = 10 + len(items) * row_h + 16
    body.append(_text(left, h - 4, "dashed line = budget", 9, "start", MUTED))
    return _svg(left + bar_w + 150, h, body, "size, arena and latency vs budget")


SECTIONS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("confusion", "Confusion matrix (open set)", svg_confusion),
    ("per_class", "Precision and recall per class", svg_per_class),
    ("idle", "Open set: false accepts on idle motion", svg_idle),
    ("float_int8", "Float vs int8", svg_float_int8),
    ("kshot", "K-shot enrollment", svg_kshot),
    ("embedding_map", "Embedding map (2-D projection)", svg_embedding_map),
    ("budget", "Size, arena and latency vs budget", svg_budget),
)


def figures(evaluation: dict[str, Any]) -> dict[str, str]:
    """Section id -> SVG document (for the HTML, the .svg files and the GUI's SVG renderer)."""
    out = {}
    for key, title, make in SECTIONS:
        try:
            out[key] = make(evaluation)
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as exc:
            out[key] = _no_data_figure(title, f"cannot draw: {type(exc).__name__}")
    return out


# ---- the page -------------------------------------------------------------------------------------------


def _summary(ev: dict[str, Any]) -> str:
    acc, idle, fi = ev.get("accuracy") or {}, ev.get("idle") or {}, ev.get("float_vs_int8") or {}
    budget = ev.get("budget") or {}
    rows = [
        ("classes", ", ".join(ev.get("labels") or [])),
        ("validation takes", f"{acc.get('takes', 0)} ({acc.get('unknown_takes', 0)} of unknown labels)"),
        ("open-set accuracy", _pct(acc.get("open_set"))),
        ("closed-set accuracy", _pct(acc.get("closed_set"))),
        ("known gestures rejected / wrong class", f"{_pct(acc.get('rejected'))} / {_pct(acc.get('wrong_class'))}"),
        (
            "float / int8 accuracy",
            f"{_pct(fi.get('float_accuracy'))} / {_pct(fi.get('int8_accuracy'))}" if fi else "n/a",
        ),
        (
            "idle false accepts",
            (
                f"{idle['false_accepts']} in {idle['windows']} windows = "
                f"{idle['false_accepts_per_minute']:.2f} per minute of idle motion"
            )
            if idle.get("windows")
            else "no idle takes",
        ),
        ("fits the board", "yes" if budget.get("fits") else "NO"),
        ("TFLM bit-exact", {True: "yes", False: "NO", None: "not verified"}[budget.get("bit_exact")]),
    ]
    return "<table class=summary>" + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows) + "</table>"


def _details(key: str, ev: dict[str, Any]) -> str:
    if key == "per_class":
        head = "<tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
        body = "".join(
            f"<tr><td>{_e(r['label'])}</td><td>{_pct(r['precision'])}</td><td>{_pct(r['recall'])}</td>"
            f"<td>{'n/a' if r['f1'] is None else format(r['f1'], '.3f')}</td><td>{r['support']}</td></tr>"
            for r in ev.get("per_class") or []
        )
        return f"<table>{head}{body}</table>"
    if key == "kshot":
        ks = ev.get("kshot") or {}
        rows = "".join(
            f"<tr><td>{r['shots']}</td><td>{r['ways']}</td><td>{_pct(r['accuracy'])}</td>"
            f"<td>{_pct(r['open_set_accuracy'])}</td><td>{_pct(r['baseline_raw_1nn'])}</td></tr>"
            for r in ks.get("results") or []
        )
        skipped = "".join(
            f"<p class=note>{r['shots']}-shot skipped: {_e(r['why'])}</p>" for r in ks.get("skipped") or []
        )
        return (
            "<table><tr><th>shots</th><th>ways</th><th>int8 k-NN</th><th>open set</th><th>raw 1-NN</th></tr>"
            f"{rows}</table>{skipped}<p class=note>{_e(ks.get('protocol', ''))}</p>"
        )
    if key == "idle":
        idle = ev.get("idle") or {}
        return (
            f"<p class=note>{_e(idle.get('source') or 'no idle source')}; {idle.get('minutes', 0):.2f} minutes. "
            f"{_e(idle.get('protocol', ''))}</p>"
        )
    if key == "float_int8" and ev.get("float_vs_int8"):
        return f"<p class=note>{_e(ev['float_vs_int8'].get('protocol', ''))}</p>"
    if key == "budget":
        b = ev.get("budget") or {}
        macs = b.get("macs")
        return (
            f"<p class=note>{_e(b.get('budget_name') or '')}; "
            f"{'' if macs is None else f'{macs:,} MACs per inference; '}"
            f"ops {_e(', '.join(b.get('ops') or []))}; latency is an estimate, not a measurement.</p>"
        )
    return ""


CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#202124;margin:24px;max-width:1100px}
h1{font-size:22px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #dadce0;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{padding:3px 10px;text-align:left;
border-bottom:1px solid #eceff1}table.summary th{font-weight:500;color:#5f6368}.note{color:#5f6368;font-size:12px}
.error{color:#b00020;font-weight:600}svg{max-width:100%;height:auto}"""


def render_html(evaluation: dict[str, Any], title: str = "Wandlab model evaluation") -> str:
    figs = figures(evaluation)
    parts = [
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
        f"<style>{CSS}</style></head><body><h1>{_e(title)}</h1>"
    ]
    if evaluation.get("error"):
        parts.append(f"<p class=error>evaluation failed: {_e(evaluation['error'])}</p>")
    parts.append(_summary(evaluation))
    for note in evaluation.get("notes") or []:
        parts.append(f"<p class=note>{_e(note)}</p>")
    if evaluation.get("protocol"):
        parts.append(f"<p class=note>{_e(evaluation['protocol'])}</p>")
    for key, heading, _ in SECTIONS:
        parts.append(f'<section id="{key}"><h2>{_e(heading)}</h2>{figs[key]}{_details(key, evaluation)}</section>')
    parts.append(
        f"<p class=note>report format version {_e(evaluation.get('version', '?'))}; "
        "the same figures are in report.json</p></body></html>"
    )
    return "\n".join(parts)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(evaluation: dict[str, Any], out_dir: str | Path, title: str = "Wandlab model evaluation") -> Path:
    """Write report.json, report.html and figures/<section>.svg into ``out_dir``; returns report.html."""
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    _atomic_write(out / "report.json", json.dumps(evaluation, indent=1, default=_plain) + "\n")
    for key, svg in figures(evaluation).items():
        _atomic_write(out / "figures" / f"{key}.svg", '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n")
    page = out / "report.html"
    _atomic_write(page, render_html(evaluation, title))
    return page


def _plain(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

"""The train-and-flash report as pictures: confusion matrix, per-class accuracy, float vs int8, budget.

``ReportView.show_report(data)`` takes the report stage's data dict (plain numbers and lists, as the
Qt-free pipeline yields them) and draws it; ``ReportFigures`` reads that dict in one place, so the
view never guesses at keys.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from wandlab.ui.meter_bars import NEUTRAL_COLOUR, Meter, MeterBars, kbytes

GOOD, FAIR, POOR = "#2e8b57", "#d68910", "#c0392b"
BEFORE = "The report appears here after Train & Flash."


def _get(data: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in data and data[key] is not None:
            return data[key]
    return default


@dataclass
class ReportFigures:
    labels: list[str] = field(default_factory=list)
    per_class: list[float] = field(default_factory=list)  # accuracy 0..1 per label
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), int))  # rows true, cols predicted
    predicted_labels: list[str] = field(default_factory=list)  # column names (may add "none")
    float_accuracy: float | None = None
    int8_accuracy: float | None = None
    model_bytes: int = 0
    image_bytes: int = 0  # the model as sent (model + references + header): what the board's limit applies to
    flash_budget: int = 0
    arena_bytes: int = 0
    arena_budget: int = 0
    latency_ms: float | None = None
    latency_budget_ms: float | None = None
    latency_target: str = ""
    validation_takes: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    board_model_bytes: int = 0  # what this board accepts (its Info), beside the design budget
    board_arena_bytes: int = 0
    board: str = ""
    open_set_accuracy: float | None = None  # the confusion matrix's diagonal share ("none" counts as wrong)
    warnings: list[str] = field(default_factory=list)  # what the figures do not say on their own

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ReportFigures:
        """Read the report stage's data (``train_flash``: ``{"report": {...}}``, or the report itself)."""
        data = data.get("report", data)
        labels = [str(x) for x in _get(data, "labels", "classes", default=[])]
        per = _get(data, "per_class_accuracy", "per_class", default={})
        if isinstance(per, dict):
            labels = labels or list(per)
            per_class = [float(per[lab]) if per.get(lab) is not None else float("nan") for lab in labels]
        else:
            per_class = [float(x) for x in per]
        conf = _get(data, "confusion", "confusion_matrix", default=[])
        predicted: list[str] = []
        if isinstance(conf, dict):
            labels = [str(x) for x in conf.get("rows", labels)]
            predicted = [str(x) for x in conf.get("columns", [])]
            conf = conf.get("matrix", [])
        confusion = np.asarray(conf, dtype=float)
        if confusion.ndim != 2:
            confusion = np.zeros((0, 0))
        if not predicted and confusion.size:
            predicted = labels + (["none"] if confusion.shape[1] == len(labels) + 1 else [])
        budget = _get(data, "budget", default={}) or {}
        latency = _get(data, "latency_ms")
        target = ""
        if isinstance(latency, dict):  # {target board: ms}: show the slowest one
            target, latency = max(latency.items(), key=lambda kv: kv[1], default=("", None))
        return cls(
            labels=labels,
            per_class=per_class,
            confusion=confusion,
            predicted_labels=predicted,
            float_accuracy=_opt_float(_get(data, "float_accuracy")),
            int8_accuracy=_opt_float(_get(data, "int8_accuracy")),
            model_bytes=int(_get(data, "model_bytes", default=0)),
            image_bytes=int(_get(data, "image_bytes", default=0)),
            flash_budget=int(budget.get("model_bytes", budget.get("model_flash_bytes", 0)) or 0),
            arena_bytes=int(_get(data, "arena_bytes", default=0)),
            arena_budget=int(budget.get("arena_bytes", 0) or 0),
            latency_ms=_opt_float(latency),
            latency_budget_ms=_opt_float(budget.get("latency_ms")),
            latency_target=str(target),
            validation_takes=int(_get(data, "held_out_takes", "validation_takes", default=0)),
            stage_seconds={str(k): float(v) for k, v in (_get(data, "stage_seconds", default={}) or {}).items()},
            board_model_bytes=int(budget.get("board_max_model_bytes", 0) or 0),
            board_arena_bytes=int(budget.get("board_arena_bytes", 0) or 0),
            open_set_accuracy=_opt_float(_get(data, "open_set_accuracy")),
            board=str(_get(data, "board", default="")),
            warnings=[str(w) for w in (_get(data, "warnings", default=[]) or [])],
        )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def accuracy_colour(acc: float) -> str:
    return GOOD if acc >= 0.9 else FAIR if acc >= 0.7 else POOR


class _LabelAxis(pg.AxisItem):
    """An axis whose ticks are class names at integer positions."""

    def __init__(self, orientation: str, names: list[str]) -> None:
        super().__init__(orientation)
        self.set_names(names)

    def set_names(self, names: list[str]) -> None:
        self.setTicks([[(i, n) for i, n in enumerate(names)], []])


class ConfusionPlot(QWidget):
    """Heat map of counts: rows are the true class, columns what the int8 model said ("none" last).

    Painted directly: square cells, column names turned 45 degrees so long class names never overlap.
    Correct cells are green, mistakes red, the strength the share of the row; every non-zero count is
    written in its cell.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts = np.zeros((0, 0))
        self.rows: list[str] = []
        self.cols: list[str] = []
        self.texts: list[str] = []  # the numbers drawn, row by row (tests read them)
        self.setMinimumSize(220, 200)

    def set_matrix(self, counts: np.ndarray, rows: list[str], cols: list[str]) -> None:
        self.counts = np.asarray(counts, float)
        n_rows, n_cols = self.counts.shape if self.counts.size else (0, 0)
        self.rows, self.cols = rows[:n_rows], cols[:n_cols]
        self.texts = [f"{int(v)}" for v in self.counts.reshape(-1) if v]
        self.update()

    def _geometry(self) -> tuple[float, float, float]:
        """(left, top, cell) for the current size."""
        fm = self.fontMetrics()
        left = max([fm.horizontalAdvance(r) for r in self.rows] or [0]) + 14
        col_text = max([fm.horizontalAdvance(c) for c in self.cols] or [0])
        top = col_text * 0.72 + 18
        n_rows, n_cols = self.counts.shape if self.counts.size else (1, 1)
        cell = min((self.width() - left - 24) / max(1, n_cols), (self.height() - top - 24) / max(1, n_rows))
        return left, top, max(8.0, min(cell, 64.0))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        if not self.counts.size:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, top, cell = self._geometry()
        n_rows, n_cols = self.counts.shape
        share = self.counts / np.maximum(self.counts.sum(axis=1, keepdims=True), 1)
        font = p.font()
        number_font = QFont(font)
        number_font.setPointSizeF(max(7.0, min(12.0, cell / 3.2)))
        number_font.setBold(True)
        for r in range(n_rows):
            for c in range(n_cols):
                tint = np.array([46, 139, 87]) if r == c else np.array([192, 57, 43])
                colour = (255 - share[r, c] * (255 - tint)).astype(int)
                rect = QRectF(left + c * cell, top + r * cell, cell, cell)
                p.setPen(QPen(QColor("#ffffff"), 1))
                p.setBrush(QColor(*colour) if self.counts[r, c] else QColor("#f6f7f9"))
                p.drawRect(rect)
                if self.counts[r, c]:
                    p.setFont(number_font)
                    p.setPen(QColor("#ffffff" if share[r, c] > 0.55 else "#222"))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{int(self.counts[r, c])}")
        p.setFont(font)
        p.setPen(QColor("#333"))
        for r, name in enumerate(self.rows):
            p.drawText(QRectF(0, top + r * cell, left - 8, cell),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
        for c, name in enumerate(self.cols):
            p.save()
            p.translate(left + (c + 0.5) * cell, top - 6)
            p.rotate(-45)
            p.drawText(0, 0, name)
            p.restore()
        p.setPen(QColor("#666"))
        p.drawText(QRectF(left, top + n_rows * cell + 2, n_cols * cell, 20), Qt.AlignmentFlag.AlignCenter,
                   "predicted by the board →")
        p.end()


class PerClassPlot(pg.PlotWidget):
    """One horizontal bar per class: int8 accuracy on the validation takes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.y_axis = _LabelAxis("left", [])
        super().__init__(parent, axisItems={"left": self.y_axis}, background="w")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.getPlotItem().invertY(True)
        self.setLabel("bottom", "accuracy", units="%")
        self.showGrid(x=True, y=False, alpha=0.25)
        self.bars: pg.BarGraphItem | None = None
        self.texts: list[pg.TextItem] = []

    def set_accuracies(self, labels: list[str], acc: list[float]) -> None:
        if self.bars is not None:
            self.removeItem(self.bars)
        for text in self.texts:
            self.removeItem(text)
        self.texts = []
        self.y_axis.set_names(labels)
        raw = np.asarray(acc, float) * 100
        values = np.nan_to_num(raw, nan=0.0)  # a class with no held-out takes: no bar, "–"
        brushes = [pg.mkBrush(accuracy_colour(a) if a == a else "#ccc") for a in acc]
        self.bars = pg.BarGraphItem(x0=0, y=np.arange(len(values)), width=values, height=0.65, brushes=brushes,
                                    pen=pg.mkPen(None))
        self.addItem(self.bars)
        for i, v in enumerate(values):
            caption = f"{v:.0f} %" if raw[i] == raw[i] else "no held-out takes"
            text = pg.TextItem(caption, color="#fff" if v > 25 else "#222",
                               anchor=(1.05, 0.5) if v > 25 else (-0.05, 0.5))
            text.setPos(v, i)
            self.addItem(text)
            self.texts.append(text)
        self.setXRange(0, 100, padding=0.02)
        self.setYRange(-0.5, max(0, len(values) - 0.5), padding=0)


class ReportView(QWidget):
    """Two budgets, both shown and named: the gesture-model budget (16 KB model, 8 KB arena: what the
    smallest supported board can give a model, so a model within it runs on any of them) is the dashed
    line; the connected board's own limits (its Info, as the device panel lists them; the virtual wand
    takes 256 KB) decide whether this board takes the model now. One number alone would either hide a
    model too big for a small board or disagree with the device panel without saying why."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figures: ReportFigures | None = None
        self.summary = QLabel(BEFORE)
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setPointSize(font.pointSize() + 2)
        self.summary.setFont(font)
        self.confusion = ConfusionPlot()
        self.per_class = PerClassPlot()
        self.accuracy_bars = MeterBars()
        self.budget_bars = MeterBars()
        self.board_limits = QLabel("")
        self.board_limits.setWordWrap(True)
        self.board_limits.setStyleSheet("color: #555;")

        grid = QGridLayout()
        grid.addWidget(_boxed("Confusion matrix (held-out takes)", self.confusion), 0, 0, 2, 1)
        self.confusion.setToolTip("Rows: the true label of each held-out take. Columns: what the int8 model with "
                                  "the board's k-NN said ('none': no class was close enough).")
        grid.addWidget(_boxed("Accuracy per class", self.per_class), 0, 1)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(_boxed("Float vs int8", self.accuracy_bars))
        budget = QWidget()
        budget_layout = QVBoxLayout(budget)
        budget_layout.setContentsMargins(0, 0, 0, 0)
        budget_layout.addWidget(self.budget_bars)
        budget_layout.addWidget(self.board_limits)
        side_layout.addWidget(_boxed("Fits? (dashed line: the gesture-model budget)", budget))
        grid.addWidget(side, 1, 1)
        self.per_class.setMinimumWidth(240)  # the meters below set the side's width: names and texts whole
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addLayout(grid, 1)

    def clear(self, text: str = "") -> None:
        """No report (yet): say why (before any run, during one, after one that stopped early)."""
        self.figures = None
        self.confusion.set_matrix(np.zeros((0, 0)), [], [])
        self.per_class.set_accuracies([], [])
        self.accuracy_bars.set_meters([])
        self.budget_bars.set_meters([])
        self.budget_bars.setToolTip("")
        self.board_limits.setText("")
        self.summary.setText(text or BEFORE)

    def show_report(self, data: dict[str, Any]) -> ReportFigures:
        fig = ReportFigures.from_data(data)
        self.figures = fig
        self.confusion.set_matrix(fig.confusion, fig.labels, fig.predicted_labels)
        self.per_class.set_accuracies(fig.labels, fig.per_class)
        acc = []
        if fig.float_accuracy is not None:
            acc.append(Meter("Float", fig.float_accuracy, 1.0, f"{fig.float_accuracy:.1%}", budget=False,
                             colour="#8a9bb5"))
        if fig.int8_accuracy is not None:
            loss = ((fig.float_accuracy - fig.int8_accuracy) * 100) if fig.float_accuracy is not None else None
            text = f"{fig.int8_accuracy:.1%}"
            if loss is not None:
                text += "  (no loss)" if abs(loss) < 0.05 else f"  ({-loss:+.1f} points)"
            acc.append(Meter("int8 (on board)", fig.int8_accuracy, 1.0, text, budget=False, colour=NEUTRAL_COLOUR))
        self.accuracy_bars.set_meters(acc)
        budget = []
        if fig.model_bytes:
            budget.append(_budget_meter("Model (flash)", fig.model_bytes, fig.flash_budget, kbytes))
        if fig.arena_bytes:
            budget.append(_budget_meter("Tensor arena (RAM)", fig.arena_bytes, fig.arena_budget, kbytes))
        if fig.latency_ms is not None:
            budget.append(_budget_meter("Latency", fig.latency_ms, fig.latency_budget_ms or 0.0,
                                        lambda v: f"{v:.1f} ms"))
        self.budget_bars.set_meters(budget)
        self.budget_bars.setToolTip(budget_tooltip(fig))
        self.board_limits.setText(board_limits_text(fig))
        self.summary.setText(summary_text(fig))
        return fig


def _budget_meter(name: str, value: float, limit: float, fmt: Any) -> Meter:
    if limit:
        over = value > limit
        text = f"{fmt(value)} of {fmt(limit)}" + ("  – over budget!" if over else f"  ({value / limit:.0%})")
    else:
        text = fmt(value)
    return Meter(name, value, limit or value, text, budget=bool(limit))


def board_limits_text(fig: ReportFigures) -> str:
    """The connected board's own limits (as the device panel lists them) and whether the model is within them."""
    if not fig.board_model_bytes:
        return ""
    board = fig.board or "This board"
    sent = fig.image_bytes or fig.model_bytes
    fits = sent <= fig.board_model_bytes and (not fig.board_arena_bytes or fig.arena_bytes <= fig.board_arena_bytes)
    return (f"{board}'s own limits: models up to {kbytes(fig.board_model_bytes)}, "
            f"{kbytes(fig.board_arena_bytes)} tensor arena – this model ({kbytes(sent)} as sent) "
            + ("fits." if fits else "does not fit."))


def budget_tooltip(fig: ReportFigures) -> str:
    lines = [f"Dashed line: the gesture-model budget ({kbytes(fig.flash_budget)} model, {kbytes(fig.arena_budget)} "
             "arena), what the smallest supported board gives a model: within it, the model runs on any of them."]
    if fig.board_model_bytes:
        lines.append(board_limits_text(fig))
    if fig.latency_target:
        lines.append(f"Latency: estimate for {fig.latency_target} (the slowest target board).")
    return "\n".join(lines)


def summary_text(fig: ReportFigures) -> str:
    parts = []
    headline = fig.open_set_accuracy if fig.open_set_accuracy is not None else fig.int8_accuracy
    if headline is not None:
        parts.append(f"<b style='color:{accuracy_colour(headline)}'>{headline:.0%} recognised</b> of "
                     f"{fig.validation_takes or 'the'} held-out takes (int8 + k-NN, as the board runs it)")
    known = [(a, lab) for a, lab in zip(fig.per_class, fig.labels, strict=False) if a == a]
    if known:
        acc, label = min(known)
        if acc < 0.9:
            parts.append(f"weakest: <b>{label}</b> ({acc:.0%}) – record more takes of it")
    if fig.model_bytes:
        parts.append(f"{kbytes(fig.model_bytes)} model, {kbytes(fig.arena_bytes)} arena"
                     + (f", ~{fig.latency_ms:.1f} ms per gesture" if fig.latency_ms is not None else ""))
    text = " · ".join(parts) or "No report figures."
    for warning in fig.warnings:  # e.g. figures resting on a handful of takes
        text += f"<br><span style='color:{FAIR}'>⚠ {html.escape(warning[:1].upper() + warning[1:])}</span>"
    return text


def _boxed(title: str, widget: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(6, 6, 6, 6)
    layout.addWidget(widget)
    box.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return box

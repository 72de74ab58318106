"""The full evaluation of a trained model as pictures: the SVG figures ``wandlab.ml.report_html`` draws
for the HTML report (embedding map, idle false accepts, k-shot enrollment, precision/recall ...),
shown here from the same code so the app and ``wandlab evaluate`` never disagree."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSize
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

COLUMNS = 2
MIN_WIDTH = 260
BEFORE = ("The full evaluation of the model appears here once Train & Flash has trained and verified one: "
          "embedding map, false accepts on idle motion, few-shot enrollment, precision and recall per class.")


class _Figure(QSvgWidget):
    """An SVG that keeps its aspect ratio at the column width."""

    def __init__(self, svg: str) -> None:
        super().__init__()
        self.load(QByteArray(svg.encode("utf-8")))
        size = self.renderer().defaultSize()
        self._ratio = size.height() / size.width() if size.width() > 0 else 0.75
        # Two columns fit the tab at 1280 px without a sideways scroll bar; wider windows scale them up.
        self.setMinimumSize(QSize(MIN_WIDTH, int(MIN_WIDTH * self._ratio)))

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        return int(width * self._ratio)


class EvaluationView(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.empty = QLabel(BEFORE)
        self.empty.setWordWrap(True)
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.addWidget(self.empty)
        self._grid = QGridLayout()
        self._layout.addLayout(self._grid)
        self._layout.addStretch(1)
        self.setWidget(self._body)
        self.figures: dict[str, QSvgWidget] = {}

    def show_message(self, text: str) -> None:
        """No figures, and why (before any training, during a run, after a run that stopped early)."""
        for widget in self.figures.values():
            widget.deleteLater()
        self.figures = {}
        self.empty.setText(text)
        self.empty.show()

    def show_evaluation(self, evaluation: dict[str, Any]) -> None:
        from wandlab.ml.report_html import figures

        if not evaluation or "error" in evaluation:
            reason = (evaluation or {}).get("error", "the training did not evaluate this model")
            self.show_message(f"No evaluation to show: {reason}")
            return
        self.show_message("")
        self.empty.hide()
        for i, (key, svg) in enumerate(figures(evaluation).items()):
            widget = _Figure(svg)
            self._grid.addWidget(widget, i // COLUMNS, i % COLUMNS)
            self.figures[key] = widget

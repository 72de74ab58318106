"""Ask which label a take really shows ("That was wrong…", "Missed it…") without suggesting a mistake.

Nothing is chosen to begin with, so pressing OK at once cannot save a take under a label nobody picked;
the label the board wrongly said is not offered (and typing it keeps OK disabled); and "Not a gesture"
saves the motion as an idle take, which training and calibration use as the "none" input
(``wandlab.ml.evaluate.IDLE_LABELS``).
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

NOT_A_GESTURE = "idle"  # the label idle takes get; "idle" is one of wandlab.ml.evaluate.IDLE_LABELS
NOT_A_GESTURE_TEXT = "Not a gesture (save as “idle”)"


class LabelDialog(QDialog):
    def __init__(self, title: str, question: str, labels: list[str], wrong: str = "", offer_none: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.wrong = wrong
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMinimumWidth(260)
        if offer_none:
            self.combo.addItem(NOT_A_GESTURE_TEXT)
        for label in labels:
            if label != wrong and label != NOT_A_GESTURE:
                self.combo.addItem(label)
        self.combo.setCurrentIndex(-1)  # no default: OK must follow a choice
        self.combo.setEditText("")
        line_edit = self.combo.lineEdit()
        assert line_edit is not None  # editable
        line_edit.setPlaceholderText("pick or type the right label")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.hint = QLabel("")
        self.hint.setStyleSheet("color: #9b1c1c;")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(question + (f" (the board said “{wrong}”)" if wrong else "")))
        layout.addWidget(self.combo)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.combo.currentTextChanged.connect(lambda _: self._check())
        self._check()

    @property
    def ok_button(self) -> QPushButton:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert button is not None
        return button

    def label(self) -> str:
        """The label chosen ("" when none or when it is the mistake)."""
        text = self.combo.currentText().strip()
        if text == NOT_A_GESTURE_TEXT:
            return NOT_A_GESTURE
        return "" if text == self.wrong else text

    def _check(self) -> None:
        text = self.combo.currentText().strip()
        self.hint.setText(f"“{text}” is what the board said: pick the label it should have said." if text
                          and text == self.wrong else "")
        self.ok_button.setEnabled(bool(self.label()))

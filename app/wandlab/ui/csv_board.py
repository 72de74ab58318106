"""Boards running their own sketch: the offer to read them as text (CSV) boards, and the confirm dialog.

When a USB board does not answer the Wandlab handshake, the device panel shows ``TextBoardOffer``: it
listens to the port for a moment (wandlab.link.csv_detect), then ``CsvBoardDialog`` shows what it
found ("Found 6 columns at 100 Hz; values look like m/s^2 and deg/s") with the columns, rate and units
editable, since each is a guess. Connect hands the resulting ``csv:`` spec to the panel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from wandlab.errors import LinkError
from wandlab.link.csv_detect import Detection, probe
from wandlab.link.csv_format import DEFAULT_BAUD, MAX_RATE_HZ, CsvFormat
from wandlab.ui.notify import TaskRunner

Prober = Callable[[str, int], Awaitable[Detection]]
BAUDS = (9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000)
ACCEL_CHOICES = (("g", "g"), ("m/s²", "ms2"), ("mg", "mg"))
GYRO_CHOICES = (("deg/s", "dps"), ("rad/s", "rads"))


def _unit_box(choices: tuple[tuple[str, str], ...], current: str, per: str) -> QComboBox:
    box = QComboBox()
    for text, unit in choices:
        box.addItem(text, unit)
    if box.findData(current) < 0:  # raw counts, as detected: keep them selectable
        box.addItem(f"raw, {current} counts per {per}", current)
    box.setCurrentIndex(box.findData(current))
    return box


class CsvBoardDialog(QDialog):
    """What detection found, editable; ``spec()`` is the ``csv:`` spec to connect with."""

    def __init__(self, port: str, baud: int, found: Detection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Text (CSV) board")
        self.port, self.baud, self.found = port, baud, found
        fmt = found.format
        self.summary = QLabel(found.summary(), wordWrap=True)
        details = [f"Skipped (not samples): {', '.join(repr(s[:40]) for s in found.skipped)}"] if found.skipped else []
        details += [f"Check: {note}" for note in found.notes]
        self.details = QLabel("\n".join(details), wordWrap=True, visible=bool(details))
        self.details.setStyleSheet("color: #666;")
        self.columns = QLineEdit(",".join(fmt.columns))
        self.columns.setToolTip(
            "One name per printed value, in order: ax ay az (required), gx gy gz (all or none), "
            "t (a timestamp), - (ignored)"
        )
        self.rate = QSpinBox(minimum=1, maximum=MAX_RATE_HZ, suffix=" Hz", value=fmt.rate_hz)
        self.rate.setToolTip(f"Lines per second the sketch prints (measured {found.measured_hz:.1f} Hz)")
        self.accel = _unit_box(ACCEL_CHOICES, fmt.accel, "g")
        self.gyro = _unit_box(GYRO_CHOICES, fmt.gyro, "deg/s")
        form = QFormLayout()
        form.addRow("Columns", self.columns)
        form.addRow("Rate", self.rate)
        form.addRow("Accelerometer in", self.accel)
        form.addRow("Gyroscope in", self.gyro)
        self.problem = QLabel(wordWrap=True)
        self.problem.setStyleSheet("color: #9b1c1c;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton("Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.details)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.columns.textChanged.connect(self._check)
        self.rate.valueChanged.connect(self._check)
        self._check()

    def chosen_format(self) -> CsvFormat:
        """The format as edited; LinkError says what is wrong with it."""
        columns = tuple(c.strip() for c in self.columns.text().replace(" ", ",").split(",") if c.strip())
        fmt = CsvFormat(columns, self.rate.value(), str(self.accel.currentData()), str(self.gyro.currentData()))
        width = len(self.found.format.columns)
        if len(columns) != width:
            raise LinkError(f"the lines have {width} values: name {width} columns (- for one to ignore)")
        return fmt

    def spec(self) -> str:
        speed = f"baud={self.baud}&" if self.baud != DEFAULT_BAUD else ""
        return f"csv:{self.port}?{speed}{self.chosen_format().query()}"

    def _check(self) -> None:
        try:
            fmt = self.chosen_format()
        except LinkError as exc:
            self.problem.setText(str(exc).removeprefix("csv: "))
            self.connect_button.setEnabled(False)
            return
        self.problem.setText("")
        self.connect_button.setEnabled(True)
        self.gyro.setEnabled(fmt.axes == 6)


class TextBoardOffer(QGroupBox):
    """The offer to use a serial port that did not answer like Wandlab firmware as a text (CSV) board."""

    connect_requested = Signal(str)  # the confirmed csv: spec

    def __init__(self, runner: TaskRunner, prober: Prober = probe, parent: QWidget | None = None) -> None:
        super().__init__("Not a Wandlab board?", parent)
        self.runner, self._prober = runner, prober
        self.port = ""
        self.dialog: CsvBoardDialog | None = None
        self.hint = QLabel(wordWrap=True)
        self.baud = QComboBox(editable=True)
        for baud in BAUDS:
            self.baud.addItem(str(baud))
        self.baud.setCurrentText(str(DEFAULT_BAUD))
        self.baud.setToolTip("The speed the sketch passes to Serial.begin() (boards with native USB ignore it)")
        self.use_button = QPushButton("Use as a text (CSV) board")
        self.use_button.setToolTip(
            "Listen to the lines the board's own sketch prints, detect its columns, rate and units, and record from it"
        )
        self.use_button.clicked.connect(self.listen)
        form = QFormLayout()
        form.addRow("Baud", self.baud)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addLayout(form)
        layout.addWidget(self.use_button)
        self.hide()

    def offer(self, port: str) -> None:
        self.port = port
        self.hint.setText(
            f"The board on {port} did not answer like Wandlab firmware. If it runs its own sketch "
            "that prints sensor values as text lines (comma- or tab-separated), record from it "
            "anyway:"
        )
        self.show()

    def listen(self) -> None:
        try:
            baud = int(self.baud.currentText())
        except ValueError:
            baud = DEFAULT_BAUD
            self.baud.setCurrentText(str(baud))
        self.use_button.setEnabled(False)
        self.use_button.setText("Listening…")
        self.runner.run(self._detect(self.port, baud), f"Listening to {self.port}")

    async def _detect(self, port: str, baud: int) -> None:
        try:
            found = await self._prober(port, baud)
        finally:
            self.use_button.setEnabled(True)
            self.use_button.setText("Use as a text (CSV) board")
        self.dialog = CsvBoardDialog(port, baud, found, self.window())
        self.dialog.accepted.connect(lambda dialog=self.dialog: self._confirmed(dialog))
        self.dialog.open()

    def _confirmed(self, dialog: CsvBoardDialog) -> None:
        self.hide()
        self.connect_requested.emit(dialog.spec())

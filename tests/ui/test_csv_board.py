"""A board running its own sketch, in the app: the offer after a failed handshake, the confirm dialog, streaming."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from pytestqt.qtbot import QtBot

from tests.link.csv_sketch import PrintingSketch
from tests.ui.conftest import quiet_air
from wandlab.errors import LinkError
from wandlab.link.csv_detect import Detection, detect
from wandlab.ui.csv_board import CsvBoardDialog, TextBoardOffer
from wandlab.ui.main_window import MainWindow
from wandlab.ui.notify import ERROR, Notifier, TaskRunner
from wandlab.ui.session import DeviceSession


def test_the_dialog_shows_the_guess_and_builds_the_spec_from_the_edits(qtbot: QtBot) -> None:
    sketch = PrintingSketch(accel="ms2")
    lines = [(1.0 + (i // 5) * 0.05, sketch.line(i, i * 10)) for i in range(120)]
    sketch.__exit__()
    dialog = CsvBoardDialog("/dev/ttyACM0", 115200, detect([(0.9, "IMU ok")] + lines))
    qtbot.addWidget(dialog)
    assert dialog.summary.text() == ("Found 6 comma-separated columns at 100 Hz; values look like m/s^2 and deg/s.")
    assert "Skipped (not samples): 'IMU ok'" in dialog.details.text()
    assert dialog.connect_button.isEnabled()
    assert dialog.spec() == "csv:/dev/ttyACM0?rate=100&columns=ax,ay,az,gx,gy,gz&accel=ms2&gyro=dps"

    dialog.columns.setText("ax,ay,az")
    assert not dialog.connect_button.isEnabled()
    assert dialog.problem.text() == "the lines have 6 values: name 6 columns (- for one to ignore)"
    dialog.columns.setText("ax,ay,az,gx")
    assert "all of gx, gy, gz or none" in dialog.problem.text() and not dialog.connect_button.isEnabled()
    dialog.columns.setText("ax, ay, az, -, -, -")
    dialog.rate.setValue(50)
    dialog.accel.setCurrentIndex(dialog.accel.findData("g"))
    assert dialog.connect_button.isEnabled() and not dialog.gyro.isEnabled()
    assert dialog.spec() == "csv:/dev/ttyACM0?rate=50&columns=ax,ay,az,-,-,-&accel=g&gyro=dps"


@pytest.fixture
def sketch_window(qtbot: QtBot, aio_loop: qasync.QEventLoop) -> Iterator[tuple[MainWindow, PrintingSketch]]:
    with PrintingSketch() as sketch:
        win = MainWindow(DeviceSession(), list_ports=lambda: [(f"serial:{sketch.port}", "Arduino Uno")],
                         scanner=quiet_air)  # fmt: skip
        win.show()
        qtbot.waitExposed(win)
        yield win, sketch
        closed: list[bool] = []
        win.closed.connect(lambda: closed.append(True))
        win.close()
        qtbot.waitUntil(lambda: bool(closed), timeout=6000)


def test_a_board_that_does_not_answer_can_be_used_as_a_text_board(
    qtbot: QtBot, sketch_window: tuple[MainWindow, PrintingSketch]
) -> None:
    window, sketch = sketch_window
    panel = window.device_panel
    assert not panel.text_board.isVisible()
    panel.connect_to(f"serial:{sketch.port}")  # the sketch prints text: no answer to the handshake
    qtbot.waitUntil(panel.text_board.isVisible, timeout=6000)
    assert not window.session.active
    assert sketch.port in panel.text_board.hint.text()

    panel.text_board.use_button.click()
    qtbot.waitUntil(lambda: panel.text_board.dialog is not None and panel.text_board.dialog.isVisible(), timeout=6000)
    dialog = panel.text_board.dialog
    assert dialog is not None
    assert dialog.summary.text().startswith("Found 6 comma-separated columns at 100 Hz")
    dialog.connect_button.click()

    qtbot.waitUntil(lambda: window.session.connected and window.session.buffer.imu.total > 30, timeout=6000)
    assert not panel.text_board.isVisible()
    assert panel.ports.currentText() == f"Text (CSV) board ({sketch.port})"
    assert panel.ports.currentData() == f"csv:{sketch.port}?rate=100&columns=ax,ay,az,gx,gy,gz&accel=g&gyro=dps"
    rows = {panel.info_form.itemAt(i, panel.info_form.ItemRole.LabelRole).widget().text():
            panel.info_form.itemAt(i, panel.info_form.ItemRole.FieldRole).widget().text()
            for i in range(panel.info_form.rowCount())}  # fmt: skip
    assert rows["Board"] == "Text (CSV) board" and rows["Model slots"] == "none (runs its own sketch)"


def test_a_failed_listen_is_a_sentence_and_the_offer_stays(qtbot: QtBot, aio_loop: qasync.QEventLoop) -> None:
    notifier = Notifier()
    posted: list[tuple[str, str]] = []
    notifier.posted.connect(lambda level, text: posted.append((level, text)))

    async def silent(port: str, baud: int) -> Detection:
        raise LinkError(f"no lines arrived on {port} in 3 s: is the sketch printing at {baud} baud?")

    offer = TextBoardOffer(TaskRunner(notifier), silent)
    qtbot.addWidget(offer)
    offer.offer("/dev/ttyUSB0")
    offer.baud.setCurrentText("9600")
    offer.use_button.click()
    qtbot.waitUntil(lambda: bool(posted), timeout=2000)
    assert posted == [(ERROR, "Listening to /dev/ttyUSB0: no lines arrived on /dev/ttyUSB0 in 3 s: is the sketch "
                              "printing at 9600 baud?")]  # fmt: skip
    assert offer.use_button.isEnabled() and offer.use_button.text() == "Use as a text (CSV) board"
    assert offer.dialog is None

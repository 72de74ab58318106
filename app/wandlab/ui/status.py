"""Status bar: connection state, board, measured rates and every loss counter, refreshed twice a second.

Loss is shown, never hidden: lost blocks (sequence gaps seen by the host), blocks the board had to
drop (its TX buffer was full) and bytes the decoder could not make sense of each get their own field,
highlighted once non-zero.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from wandlab.board.client import ConnectionState
from wandlab.ui.device_panel import state_text
from wandlab.ui.notify import ERROR, Notifier
from wandlab.ui.session import DeviceSession

REFRESH_MS = 500
MESSAGE_MS = 8000


def _rate(hz: float) -> str:
    if hz <= 0:
        return "–"
    return f"{hz / 1000:.1f} kHz" if hz >= 1000 else f"{hz:.0f} Hz"


class StatusBar(QStatusBar):
    def __init__(self, session: DeviceSession, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.fields: dict[str, QLabel] = {}
        tips = {
            "state": "Connection to the board",
            "board": "Connected board",
            "imu": "Measured IMU sample rate",
            "audio": "Measured microphone sample rate",
            "lost": "Blocks lost between board and app (sequence gaps) since connecting",
            "dropped": "Blocks the board dropped because the app did not read fast enough",
            "errors": "Frames that failed to decode (bad CRC, garbage on the line)",
        }
        for key, tip in tips.items():
            label = QLabel()
            label.setToolTip(tip)
            label.setContentsMargins(6, 0, 6, 0)
            self.addPermanentWidget(label)
            self.fields[key] = label
        notifier.posted.connect(self._message)
        notifier.withdrawn.connect(self._withdraw)
        session.on_state(lambda state, detail: self.refresh())
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def _message(self, level: str, text: str) -> None:
        self.showMessage(("⚠ " if level == ERROR else "") + text, MESSAGE_MS)

    def _withdraw(self, text: str) -> None:
        if self.currentMessage().endswith(text):
            self.clearMessage()

    def refresh(self) -> None:
        session = self.session
        text, colour = state_text(session.state)
        self.fields["state"].setText(f"<span style='color:{colour}'>●</span> {text}")
        info = session.info
        self.fields["board"].setText(info.board_name if info and session.active else "no board")
        stats = session.stats() if session.state is ConnectionState.CONNECTED else {}
        self.fields["imu"].setText(f"IMU {_rate(float(stats.get('imu_hz', 0)))}")
        self.fields["audio"].setText(f"Audio {_rate(float(stats.get('audio_hz', 0)))}")
        for key, stat, name in (("lost", "blocks_lost", "lost"), ("dropped", "board_dropped", "dropped"),
                                ("errors", "decode_errors", "decode errors")):
            value = int(stats.get(stat, 0)) if stats else (session.buffer.lost_blocks if key == "lost" else 0)
            label = self.fields[key]
            label.setText(f"{value} {name}")
            label.setStyleSheet("color: #b03a2e; font-weight: bold;" if value else "")

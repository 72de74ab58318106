"""Status bar: connection state, board, measured rates and every loss counter, refreshed twice a second.

Loss is shown, never hidden: lost blocks (sequence gaps seen by the host), blocks the board had to
drop (its TX buffer was full) and bytes the decoder could not make sense of each get their own field,
highlighted once non-zero. Over Bluetooth the state says *Pairing…* while the link pairs, and a field of
its own shows the ATT MTU the link agreed and the bytes per second it receives (what a radio has to
carry; a cable's rate is never the question).
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from wandlab.board.client import ConnectionState
from wandlab.ui.device_panel import state_text
from wandlab.ui.notify import ERROR, Notifier
from wandlab.ui.session import DeviceSession

REFRESH_MS = 500
MESSAGE_MS = 8000
THROUGHPUT_WINDOW_S = 2.0  # bytes/s over the last two seconds: steady, yet follows a stream that starts or stops


def _rate(hz: float) -> str:
    if hz <= 0:
        return "–"
    return f"{hz / 1000:.1f} kHz" if hz >= 1000 else f"{hz:.0f} Hz"


def throughput_text(bytes_per_s: float) -> str:
    if bytes_per_s >= 1000:
        return f"{bytes_per_s / 1000:.1f} kB/s"
    return f"{bytes_per_s:.0f} B/s"


class Throughput:
    """Bytes per second from a growing byte counter sampled now and then."""

    def __init__(self, window_s: float = THROUGHPUT_WINDOW_S) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, total: int, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        if self._samples and total < self._samples[-1][1]:
            self._samples.clear()  # a new link counts from 0
        self._samples.append((now, total))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def clear(self) -> None:
        self._samples.clear()


class StatusBar(QStatusBar):
    def __init__(self, session: DeviceSession, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.fields: dict[str, QLabel] = {}
        tips = {
            "state": "Connection to the board",
            "board": "Connected board",
            "link": "Bluetooth link: ATT MTU (largest packet the link carries, bytes) and bytes received per second",
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
        self.throughput = Throughput()
        session.on_state(lambda state, detail: self.refresh())
        session.on_pairing(lambda text: self.refresh())
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
        if session.pairing:
            text, colour = "Pairing…", "#c28a00"
        self.fields["state"].setText(f"<span style='color:{colour}'>●</span> {text}")
        self.fields["state"].setToolTip(session.pairing or "Connection to the board")
        info = session.info
        self.fields["board"].setText(info.board_name if info and session.active else "no board")
        self._show_link()
        stats = session.stats() if session.state is ConnectionState.CONNECTED else {}
        self.fields["imu"].setText(f"IMU {_rate(float(stats.get('imu_hz', 0)))}")
        self.fields["audio"].setText(f"Audio {_rate(float(stats.get('audio_hz', 0)))}")
        for key, stat, name in (("lost", "blocks_lost", "lost"), ("dropped", "board_dropped", "dropped"),
                                ("errors", "decode_errors", "decode errors")):
            value = int(stats.get(stat, 0)) if stats else (session.buffer.lost_blocks if key == "lost" else 0)
            label = self.fields[key]
            label.setText(f"{value} {name}")
            label.setStyleSheet("color: #b03a2e; font-weight: bold;" if value else "")

    def _show_link(self) -> None:
        label, ble = self.fields["link"], self.session.ble_link()
        label.setVisible(ble is not None)
        if ble is None:
            self.throughput.clear()
            return
        if not ble.is_open:
            self.throughput.clear()
            label.setText("Bluetooth · not linked")
            return
        rate = self.throughput.add(ble.framing.bytes)
        label.setText(f"Bluetooth · MTU {ble.att_mtu} · {throughput_text(rate)}")

"""The "Live" page: accelerometer, gyroscope and microphone as they stream, plus a level meter.

Plots redraw from the LiveBuffer on a ~30 fps timer and only when its version changed, so the cost
of drawing is fixed per frame whatever the block rate; audio is drawn as a min/max envelope with
about one point pair per pixel column instead of 48,000 samples.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from wandlab.board.live_buffer import FULL_SCALE, SILENCE_DBFS, LiveBuffer, envelope
from wandlab.ui.session import DeviceSession

FRAME_MS = 33  # ~30 fps: smooth to the eye, a small fixed cost per second
IMU_WINDOW_S = 5.0
AUDIO_WINDOW_S = 3.0
AXIS_COLOURS = ("#d62728", "#2ca02c", "#1f77b4")  # x red, y green, z blue: the usual convention
# Y ranges never shrink below these, so a wand at rest shows a calm line, not magnified noise.
ACCEL_MIN_SPAN_G = 1.5
GYRO_MIN_SPAN_DPS = 200.0
AUDIO_MIN_SPAN_FS = 0.1
METER_FLOOR_DBFS = -60.0
PEAK_HOLD_S = 1.5


def _range(data: np.ndarray, minimum: float) -> tuple[float, float]:
    """Symmetric-ish y range covering the data, at least +-minimum."""
    finite = data[np.isfinite(data)]
    lo = min(-minimum, float(finite.min()) * 1.1) if finite.size else -minimum
    hi = max(minimum, float(finite.max()) * 1.1) if finite.size else minimum
    return lo, hi


class LevelMeter(QWidget):
    """Horizontal dBFS meter: RMS bar, peak-hold tick, and the number."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rms_dbfs = self.peak_dbfs = SILENCE_DBFS
        self.clipped = False
        self.setMinimumSize(160, 26)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Microphone level in dBFS (0 = full scale). Speech should peak around -20 to -6.")

    def set_levels(self, rms_dbfs: float, peak_dbfs: float, clipped: bool) -> None:
        self.rms_dbfs, self.peak_dbfs, self.clipped = rms_dbfs, peak_dbfs, clipped
        self.update()

    def _x(self, db: float, width: float) -> float:
        return width * (min(0.0, max(METER_FLOOR_DBFS, db)) - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS

    def paintEvent(self, event: object) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        bar = QRectF(0, 0, self.width() - 70, self.height())
        p.fillRect(bar, QColor("#20242a"))
        x = self._x(self.rms_dbfs, bar.width())
        colour = "#e74c3c" if self.clipped else "#f1c40f" if self.rms_dbfs > -12 else "#2ecc71"
        p.fillRect(QRectF(0, 4, x, bar.height() - 8), QColor(colour))
        peak = self._x(self.peak_dbfs, bar.width())
        p.fillRect(QRectF(max(0.0, peak - 2), 2, 3, bar.height() - 4), QColor("#ffffff"))
        p.setPen(QColor("#555"))
        for db in (-48, -36, -24, -12, -6):
            tick = self._x(db, bar.width())
            p.drawLine(int(tick), int(bar.height()) - 5, int(tick), int(bar.height()))
        p.setPen(self.palette().windowText().color())
        text = "–∞ dBFS" if self.rms_dbfs <= SILENCE_DBFS else f"{self.rms_dbfs:5.1f} dBFS"
        p.drawText(QRectF(bar.width() + 6, 0, 64, bar.height()), Qt.AlignmentFlag.AlignVCenter, text)
        p.end()


class LivePage(QWidget):
    def __init__(self, session: DeviceSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.buffer: LiveBuffer = session.buffer
        self.frames_drawn = 0
        self._drawn_version = -1
        self._peak_hold = (SILENCE_DBFS, 0.0)  # (dBFS, hold time left)

        self.hint = QLabel("Connect a board (or the virtual wand) to see its sensors live.")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setStyleSheet("color: #666; font-size: 12pt; padding: 6px;")

        self.graphs = pg.GraphicsLayoutWidget()
        self.graphs.setBackground("w")
        # The x/y/z colour key is part of each title: a legend inside the plot hid the newest samples.
        self.accel_plot = self._plot("Acceleration", "g", row=0, axes=True)
        self.gyro_plot = self._plot("Angular rate", "°/s", row=1, axes=True)
        self.audio_plot = self._plot("Microphone", "FS", row=2)
        self.gyro_plot.setXLink(self.accel_plot)
        self.accel_plot.setXRange(-IMU_WINDOW_S, 0, padding=0)
        self.audio_plot.setXRange(-AUDIO_WINDOW_S, 0, padding=0)
        # Width-1 (cosmetic) pens: Qt's raster engine strokes wider antialiased lines ~10x slower.
        self.accel_curves = [self.accel_plot.plot(pen=pg.mkPen(c, width=1), name=f"a{a}")
                             for c, a in zip(AXIS_COLOURS, "xyz", strict=True)]
        self.gyro_curves = [self.gyro_plot.plot(pen=pg.mkPen(c, width=1), name=f"g{a}")
                            for c, a in zip(AXIS_COLOURS, "xyz", strict=True)]
        self.audio_curve = self.audio_plot.plot(pen=pg.mkPen("#555c66", width=1))
        self.audio_plot.setLabel("bottom", "seconds")
        for curve in (*self.accel_curves, *self.gyro_curves):
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
        self.graphs.ci.layout.setRowStretchFactor(0, 3)
        self.graphs.ci.layout.setRowStretchFactor(1, 3)
        self.graphs.ci.layout.setRowStretchFactor(2, 2)

        self.meter = LevelMeter()
        meter_row = QHBoxLayout()
        meter_row.addWidget(QLabel("Mic level"))
        meter_row.addWidget(self.meter, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.graphs, 1)
        layout.addLayout(meter_row)

        self.timer = QTimer(self, interval=FRAME_MS)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    def _plot(self, title: str, units: str, row: int, axes: bool = False) -> pg.PlotItem:
        plot = self.graphs.addPlot(row=row, col=0)
        key = "".join(f"&nbsp;&nbsp;<span style='color:{c}'>━ {a}</span>" for c, a in zip(AXIS_COLOURS, "xyz",
                                                                                        strict=True)) if axes else ""
        plot.setTitle(f"<span style='color:#333; font-size:10pt'>{title} ({units}){key}</span>")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)  # live data: panning would be undone 30 times a second
        plot.hideButtons()
        font = QFont()
        font.setPointSize(8)
        for axis in ("left", "bottom"):
            # Two tick levels, not three: the finest grid level alone cost ~40 ms per frame to paint.
            plot.getAxis(axis).setStyle(maxTickLevel=1)
            plot.getAxis(axis).setTickFont(font)
            plot.getAxis(axis).setTextPen("#444")
        plot.getAxis("left").setWidth(48)
        return plot

    def redraw(self) -> None:
        """One frame: skipped entirely when nothing new arrived."""
        self.hint.setVisible(self.buffer.imu.total == 0 and self.buffer.audio.total == 0)
        if self.buffer.version == self._drawn_version:
            self._decay_meter()
            return
        self._drawn_version = self.buffer.version
        t, imu = self.buffer.imu_window(IMU_WINDOW_S)
        for i, curve in enumerate(self.accel_curves):
            curve.setData(t, imu[:, i])
        gyro = imu[:, 3:6]
        has_gyro = bool(np.isfinite(gyro).any()) or len(gyro) == 0
        for i, curve in enumerate(self.gyro_curves):
            curve.setData(t, gyro[:, i] if has_gyro else np.zeros(0))
        self.accel_plot.setYRange(*_range(imu[:, :3], ACCEL_MIN_SPAN_G), padding=0)
        self.gyro_plot.setYRange(*_range(gyro, GYRO_MIN_SPAN_DPS), padding=0)
        self._draw_audio()
        self.frames_drawn += 1

    def _draw_audio(self) -> None:
        audio = self.buffer.audio_window(AUDIO_WINDOW_S)
        bins = max(64, int(self.audio_plot.vb.width()) or 800)
        lo, hi = envelope(audio, bins)
        if len(lo):
            # Each bin is drawn as a vertical stroke from its min to its max: the classic waveform.
            x = np.repeat(np.linspace(-len(audio) / self.buffer.audio_rate_hz, 0, len(lo)), 2)
            y = np.column_stack((lo, hi)).ravel().astype(np.float32) / FULL_SCALE
            self.audio_curve.setData(x, y)
            span = max(AUDIO_MIN_SPAN_FS, float(np.abs(y).max()) * 1.1)
            self.audio_plot.setYRange(-span, span, padding=0)
        else:
            self.audio_curve.setData([], [])
        levels = self.buffer.audio_levels(0.05)
        held, left = self._peak_hold
        if levels.peak_dbfs >= held or left <= 0:
            self._peak_hold = (levels.peak_dbfs, PEAK_HOLD_S)
        else:
            self._peak_hold = (held, left - FRAME_MS / 1000)
        self.meter.set_levels(levels.rms_dbfs, self._peak_hold[0], levels.clipped)

    def _decay_meter(self) -> None:
        # No new audio (stream stopped or link down): let the meter fall instead of freezing lit.
        if self.meter.rms_dbfs > SILENCE_DBFS:
            rms = self.meter.rms_dbfs - 3.0
            self.meter.set_levels(rms if rms > METER_FLOOR_DBFS else SILENCE_DBFS,
                                  max(rms, self.meter.peak_dbfs - 3.0), False)

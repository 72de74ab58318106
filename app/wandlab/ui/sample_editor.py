"""The sample editor: one take's data with its crop handles, split markers, relabel, delete and playback.

Every change goes through ``project.editor`` (one undo stack for crop, split, relabel and delete);
the editor redraws when the project says the take changed, not when it thinks it changed something.
IMU: acceleration and angular rate, x/y/z in red/green/blue. Audio: waveform and spectrogram.
Playback uses ``paplay``/``aplay`` when present (PySide6-Essentials has no QtMultimedia).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QToolButton, QVBoxLayout, QWidget
from scipy.signal import spectrogram

from wandlab.dataset.model import Sample
from wandlab.dataset.project import Project
from wandlab.errors import WandlabError
from wandlab.ui.elided_label import ElidedLabel
from wandlab.ui.notify import Notifier

AXIS_PENS = [pg.mkPen(c, width=1) for c in ("#d62728", "#2ca02c", "#1f77b4")]
REGION_BRUSH = (70, 130, 230, 40)
PLAYERS = ("paplay", "aplay")


class SampleEditor(QWidget):
    def __init__(self, notifier: Notifier, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.project: Project | None = None
        self.sample: Sample | None = None
        self.selected: list[str] = []  # relabel/delete act on every selected take
        self.markers: list[pg.InfiniteLine] = []
        self._player: subprocess.Popen[bytes] | None = None
        self._syncing = False

        self.title = ElidedLabel("Select a take to review it")  # a long title must not widen the window
        self.title.setStyleSheet("font-weight: bold;")
        self.label_edit = QComboBox(editable=True, toolTip="New label for the selected takes")
        self.label_edit.setMinimumWidth(110)
        self.relabel_button = QToolButton(text="Relabel", toolTip="Give the selected takes this label (undoable)")
        self.relabel_button.clicked.connect(self.relabel)
        self.auto_button = QToolButton(text="Auto-trim", toolTip="Crop to the motion / the voiced part again")
        self.auto_button.clicked.connect(self.auto_trim)
        self.marker_button = QToolButton(
            text="Add split marker", toolTip="Add a cut point (or double-click the plot); drag it into place"
        )
        self.marker_button.clicked.connect(lambda: self.add_marker(None))
        self.split_button = QToolButton(text="Split", toolTip="Cut this take into separate takes at the markers")
        self.split_button.clicked.connect(self.split)
        self.delete_button = QToolButton(text="Delete", toolTip="Delete the selected takes (Ctrl+Z brings them back)")
        self.delete_button.clicked.connect(self.delete)
        self.play_button = QToolButton(text="▶ Play", toolTip="Play the cropped part")
        self.player = next((p for p in PLAYERS if shutil.which(p)), None)
        if self.player is None:
            self.play_button.setToolTip(
                "Playback needs 'paplay' (PulseAudio) or 'aplay' (ALSA), and neither is installed"
            )
        self.play_button.clicked.connect(self.play)

        tools = QHBoxLayout()
        tools.addWidget(self.title, 1)
        for widget in (self.label_edit, self.relabel_button, self.auto_button, self.marker_button,
                       self.split_button, self.play_button, self.delete_button):  # fmt: skip
            tools.addWidget(widget)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.top = self.plots.addPlot(row=0, col=0)
        self.bottom = self.plots.addPlot(row=1, col=0)
        self.bottom.setXLink(self.top)
        # Both plots in seconds (labelled once, below), g and °/s as written: pyqtgraph's automatic SI
        # prefixes turned the lower axis into "ms" for a short take while the upper one stayed in seconds.
        self.bottom.setLabel("bottom", "time", units="s")
        for plot in (self.top, self.bottom):
            for axis in ("left", "bottom"):
                plot.getAxis(axis).enableAutoSIPrefix(False)
            plot.getAxis("left").setWidth(56)  # equal widths: the same instant sits at the same x in both plots
        self.regions = [pg.LinearRegionItem(brush=REGION_BRUSH) for _ in range(2)]
        for plot, region in zip((self.top, self.bottom), self.regions, strict=True):
            plot.showGrid(x=True, y=True, alpha=0.2)
            region.setZValue(10)
            region.sigRegionChanged.connect(self._sync_regions)
            region.sigRegionChangeFinished.connect(self._crop_finished)
        self.top.scene().sigMouseClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.plots, 1)
        self.show_sample(None, None)

    # -- showing ---------------------------------------------------------------------------------
    def show_sample(self, project: Project | None, sample: Sample | None, selected: list[str] | None = None) -> None:
        self.project, self.sample = project, sample
        self.selected = selected or ([sample.id] if sample else [])
        for plot in (self.top, self.bottom):
            plot.clear()
        self.markers = []
        has = sample is not None and project is not None
        for widget in (self.label_edit, self.relabel_button, self.delete_button):
            widget.setEnabled(bool(self.selected) and project is not None)
        for widget in (self.auto_button, self.marker_button, self.split_button):
            widget.setEnabled(has)
        self.play_button.setEnabled(has and sample is not None and sample.kind == "audio" and self.player is not None)
        if project is not None:
            current = self.label_edit.currentText()
            self.label_edit.clear()
            self.label_edit.addItems(sorted(project.label_counts(), key=str.lower))
            self.label_edit.setEditText(sample.label if sample else current)
        if sample is None or project is None:
            self.title.setText(
                "Select a take to review it" if len(self.selected) < 2 else f"{len(self.selected)} takes selected"
            )
            return
        self.title.setText(self._describe(sample))
        try:
            data = project.load(sample)
        except WandlabError as exc:
            self.title.setText(f"{sample.label}: cannot read the take ({exc})")
            return
        t = np.arange(len(data)) / sample.rate_hz
        if sample.kind == "imu":
            self._plot_imu(t, data)
        else:
            self._plot_audio(t, data, sample.rate_hz)
        for plot, region in zip((self.top, self.bottom), self.regions, strict=True):
            region.blockSignals(True)
            region.setBounds((0, len(data) / sample.rate_hz))
            region.setRegion((sample.trim_start / sample.rate_hz, sample.trim_end / sample.rate_hz))
            region.blockSignals(False)
            plot.addItem(region)
        self.top.setXRange(0, t[-1] if len(t) else 1, padding=0.01)

    def _describe(self, s: Sample) -> str:
        flags = [f for f, on in (("interrupted", s.interrupted), (f"{s.lost_blocks} blocks lost", s.lost_blocks)) if on]
        crop = f"{s.trimmed_frames / s.rate_hz:.2f} of {s.duration_s:.2f} s"
        who = ", ".join(x for x in (s.subject, s.session) if x)
        return (
            f"{s.label}  ·  {crop}  ·  {s.split}"
            + (f"  ·  {who}" if who else "")
            + (f"  ·  ⚠ {', '.join(flags)}" if flags else "")
        )

    def _plot_imu(self, t: np.ndarray, data: np.ndarray) -> None:
        self.top.setLabel("left", "accel", units="g")
        self.bottom.setLabel("left", "gyro", units="°/s")
        for axis in range(3):
            self.top.plot(t, data[:, axis], pen=AXIS_PENS[axis])
            if data.shape[1] >= 6:
                self.bottom.plot(t, data[:, 3 + axis], pen=AXIS_PENS[axis])

    def _plot_audio(self, t: np.ndarray, pcm: np.ndarray, rate: float) -> None:
        self.top.setLabel("left", "level")
        self.bottom.setLabel("left", "frequency", units="Hz")
        step = max(1, len(pcm) // 4000)  # min/max per pixel-ish column keeps peaks visible
        usable = len(pcm) - len(pcm) % step
        blocks = pcm[:usable].reshape(-1, step) / 32768.0
        tt = t[:usable:step]
        self.top.plot(np.repeat(tt, 2), np.column_stack([blocks.min(1), blocks.max(1)]).ravel(), pen=pg.mkPen("#555"))
        self.top.setYRange(-1, 1)
        nper = min(512, max(16, len(pcm) // 4))
        freqs, times, power = spectrogram(pcm.astype(np.float64), fs=rate, nperseg=nper, noverlap=nper * 3 // 4)
        image = pg.ImageItem(10 * np.log10(power.T + 1e-3))
        image.setColorMap(pg.colormap.get("viridis"))
        image.setRect(0, 0, len(pcm) / rate, rate / 2)
        self.bottom.addItem(image)
        self.bottom.setYRange(0, rate / 2, padding=0)

    # -- editing ---------------------------------------------------------------------------------
    def _sync_regions(self, moved: pg.LinearRegionItem) -> None:
        if self._syncing:
            return
        self._syncing = True
        for region in self.regions:
            if region is not moved:
                region.setRegion(moved.getRegion())
        self._syncing = False

    def _crop_finished(self, region: pg.LinearRegionItem) -> None:
        if self.sample is None or self._syncing:
            return
        lo, hi = region.getRegion()
        rate, n = self.sample.rate_hz, self.sample.n_frames
        start, end = max(0, round(lo * rate)), min(n, round(hi * rate))
        if (start, end) != (self.sample.trim_start, self.sample.trim_end) and end > start:
            self._edit("Crop", lambda p: p.editor.set_trim(self.sample.id, start, end))  # type: ignore[union-attr]

    def crop(self, start: int, end: int) -> None:
        if self.sample is not None:
            self._edit("Crop", lambda p: p.editor.set_trim(self.sample.id, start, end))  # type: ignore[union-attr]

    def relabel(self) -> None:
        label = self.label_edit.currentText().strip()
        ids = list(self.selected)
        if ids and label:
            self._edit("Relabel", lambda p: p.editor.relabel(ids, label))

    def auto_trim(self) -> None:
        if self.sample is not None:
            sid = self.sample.id
            self._edit("Auto-trim", lambda p: p.editor.auto_trim([sid]))

    def delete(self) -> None:
        ids = list(self.selected)
        if ids:
            self._edit("Delete", lambda p: p.editor.delete(ids))
            self.notifier.info(f"Deleted {len(ids)} take(s); Ctrl+Z brings them back")

    def add_marker(self, x: float | None) -> pg.InfiniteLine | None:
        if self.sample is None:
            return None
        if x is None:  # middle of the crop, where a second take most likely starts
            lo, hi = self.regions[0].getRegion()
            x = (lo + hi) / 2
        line = pg.InfiniteLine(pos=x, movable=True, pen=pg.mkPen("#e65100", width=2),
                               bounds=(0, self.sample.duration_s), label="cut")  # fmt: skip
        line.setZValue(20)
        self.top.addItem(line)
        self.markers.append(line)
        return line

    def split(self) -> None:
        if self.sample is None:
            return
        rate, n = self.sample.rate_hz, self.sample.n_frames
        cuts = sorted({round(m.value() * rate) for m in self.markers} - {0, n})
        if not cuts:
            self.notifier.warning("Add a split marker first (button or double-click the plot), then Split")
            return
        sid = self.sample.id
        self._edit("Split", lambda p: p.editor.split(sid, cuts))

    def play(self) -> None:
        if self.sample is None or self.project is None or self.player is None:
            return
        pcm = self.project.load(self.sample, trimmed=True)
        path = Path(tempfile.gettempdir()) / "wandlab-play.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(int(self.sample.rate_hz))
            out.writeframes(pcm.astype("<i2").tobytes())
        if self._player is not None and self._player.poll() is None:
            self._player.terminate()  # a second click restarts rather than overlapping
        self._player = subprocess.Popen([self.player, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _clicked(self, event: object) -> None:
        if getattr(event, "double", lambda: False)() and self.sample is not None:
            point = self.top.vb.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
            self.add_marker(float(point.x()))

    def _edit(self, what: str, action: object) -> None:
        if self.project is None:
            return
        try:
            action(self.project)  # type: ignore[operator]
        except WandlabError as exc:
            self.notifier.error(f"{what}: {exc}")

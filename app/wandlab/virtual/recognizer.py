"""The board's brain: runs the active model image on its own IMU stream, enrolls, drives HID.

What firmware does after a model is flashed, in Python: unpack the board image, load the int8 model
into TFLM's own interpreter (``tflite_micro``; no TensorFlow here), and for every motion segment the
board cuts from its live IMU samples (``segmenter``): features exactly as training (``take_features``),
int8 embedding, integer k-NN with per-class thresholds (``KnnRecognizer``'s arithmetic), then an
InferenceEvent and, for an accepted class with an action, a HID report. TFLM runs once per segment, at
its end; per sample there is only the detector's filter, so ``feed`` stays cheap.

The same segments feed enrollment (``enrollment.EnrollSession``) while one is running; recognition
events pause meanwhile, as a take being enrolled is not a command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard.board_image import BoardImage
from wandlab.onboard.hybrid_rank import SHAPE_STEP, codes_fit, fused_class_distances, ranks_by_shape, take_codes
from wandlab.onboard.imu_features import quantize_input, take_features
from wandlab.onboard.knn import sq_distances
from wandlab.onboard.open_set import DEFAULT_MARGIN
from wandlab.onboard.segmenter import Segment, Segmenter
from wandlab.protocol import Ack, Error, ErrorCode, Log, LogLevel, Message
from wandlab.protocol.controller import (
    NO_CLASS,
    HidAction,
    HidEnable,
    HidMapGet,
    HidMapSet,
    HidReport,
    InferenceEvent,
    RecognizeStart,
    RecognizeStop,
)
from wandlab.protocol.enroll import (
    ALL_CLASSES,
    ClassRefs,
    EnrollCancel,
    EnrollStart,
    RefClear,
    RefData,
    RefDownload,
    RefList,
    RefListReply,
    RefUpload,
)
from wandlab.virtual.enrollment import EnrollSession, check_start, merged_shapes, merged_shots
from wandlab.virtual.hid_map import HidSettings
from wandlab.virtual.image_check import fit_text, load_image
from wandlab.virtual.refs import ENROLLED, UPLOADED, RefClass, RefStore, enrolled_threshold

NO_MODEL = "no model is active on the board: push one (wandlab flash) first"


class BoardRecognizer:
    def __init__(self, state_dir: str | Path | None, arena_bytes: int, axes: int) -> None:
        self.refs = RefStore(state_dir)
        self.hid = HidSettings(state_dir)
        self.arena_bytes, self.axes = arena_bytes, axes
        self.image: BoardImage | None = None
        self.problem = NO_MODEL
        self._interp: Any = None
        self._in_quant = (1.0, 0)
        self.recognizing = False
        self.events = False
        self.session: EnrollSession | None = None
        self.segmenter: Segmenter | None = None
        self.outbox: list[Message] = []
        self.latencies_us: list[int] = []  # of every decision, for benchmarks and tests
        self.segments_skipped = 0  # segments not decided on (Segment.decidable), for benchmarks and tests
        self.reports_sent = 0  # presses (HID on), whether or not a host received them: HidReport.sent says
        # Sends one action's input reports over BLE HID, True if a bonded, encrypted host got them; set by
        # the BLE server (virtual/ble_server.py). None: no radio, so nothing is ever sent.
        self.press: Callable[[HidAction], bool] | None = None

    # -- model ---------------------------------------------------------------------------------
    def set_model(self, blob: bytes | None, key: str) -> list[Message]:
        """Adopt the active slot's blob (None: empty) as ``image_check.load_image`` loads it; returns Log
        messages for the host.

        The store activates only images that passed the same check (at ModelFinish and at boot), so this
        normally loads; should it not, the problem is reported and recognition stays off, never raised."""
        self.image, self._interp, self.problem = None, None, NO_MODEL
        if blob is not None:
            try:
                loaded = load_image(blob, self.arena_bytes)
                self._interp, self._in_quant = loaded.interpreter, loaded.input_quant
                self.image, self.problem = loaded.image, ""
            except ModelError as exc:
                self.problem = f"the active model cannot run here: {exc}"
        logs: list[Message] = [Log(int(LogLevel.WARNING), fit_text(n)) for n in self.refs.set_model(self.image, key)]
        if self.problem and blob is not None:
            logs.append(Log(int(LogLevel.WARNING), fit_text(f"{self.problem}; recognition is off")))
        if self.image is None:
            self.recognizing = self.events = False
            if self.session is not None and not self.session.done:
                logs.append(self.session.fail("the model changed during enrollment; nothing was stored"))
            self.session = None
        return logs

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.refs.classes()) if self.image else ()

    @property
    def wants_imu(self) -> bool:
        """Whether the board must keep sampling its IMU even if the host streams nothing."""
        busy = self.recognizing or self.hid.enabled or (self.session is not None and not self.session.done)
        return self.image is not None and busy

    def stop_session(self) -> None:
        """A new host session or a power cut: host-requested recognition and enrollment end."""
        self.recognizing = self.events = False
        self.session = None

    # -- live samples ----------------------------------------------------------------------------
    def feed(self, samples: np.ndarray, rate_hz: float, first_index: int, now: float) -> list[Message]:
        if not self.wants_imu:
            self.segmenter = None
            return []
        if self.segmenter is None or self.segmenter.rate_hz != rate_hz:
            self.segmenter = Segmenter(rate_hz)
        out: list[Message] = []
        for segment in self.segmenter.feed(samples, first_index):
            out += self._on_segment(segment, now)
        return out

    def tick(self, now: float) -> list[Message]:
        out, self.outbox = self.outbox, []
        if self.session is not None:
            out += self.session.tick(now)
            if self.session.done:
                self.session = None
        return out

    def embed(self, window: np.ndarray, rate_hz: float) -> tuple[np.ndarray, np.ndarray | None]:
        """A take's int8 embedding and its shape codes (``hybrid_rank.take_codes``; None if they do not fit)."""
        assert self.image is not None and self._interp is not None
        x = take_features(window, rate_hz, self.image.features)
        self._interp.set_input(quantize_input(x, *self._in_quant)[None], 0)
        self._interp.invoke()
        codes = take_codes(x[None])
        return np.asarray(self._interp.get_output(0), np.int8).reshape(-1).copy(), None if codes is None else codes[0]

    def _on_segment(self, seg: Segment, now: float) -> list[Message]:
        assert self.segmenter is not None
        rate = self.segmenter.rate_hz
        t0 = time.perf_counter_ns()
        emb, codes = self.embed(self.segmenter.model_window(seg.data), rate)
        s = self.session
        if s is not None and not s.done:
            out: list[Message] = list(s.on_segment(emb, seg.seconds(rate), seg.clipped, now, codes))
            if s.finished:
                out.append(self._store_enrollment(s))
            return out
        if not (self.recognizing or self.hid.enabled):
            return []
        if not seg.decidable:  # still moving after MAX_SEGMENT_S, or no held wand before: not a gesture
            self.segments_skipped += 1
            return []
        class_id, label, dist, margin = self.decide(emb, codes)
        latency = (time.perf_counter_ns() - t0) // 1000
        self.latencies_us.append(int(latency))
        out = []
        if self.recognizing and self.events:
            out.append(InferenceEvent(seg.end_index & 0xFFFFFFFF, class_id, label, dist, margin, int(latency)))
        report = self.act(class_id) if class_id != NO_CLASS else None
        if report is not None and self.recognizing and self.events:
            out.append(report)
        return out

    def act(self, class_id: int) -> HidReport | None:
        """Press ``class_id``'s action (over BLE HID when it is on and a bonded host listens); the report
        for the host, or None when the class has no action. Gestures and wake words both come here."""
        action = self.hid.action_for(class_id)
        if action is None:
            return None
        self.reports_sent += int(self.hid.enabled)
        sent = self.hid.enabled and self.press is not None and self.press(action)
        return HidReport(class_id, action.kind, action.code, action.modifiers, int(sent))

    def decide(self, emb: np.ndarray, codes: np.ndarray | None = None) -> tuple[int, str, float, float]:
        """(class id or NO_CLASS, label of the nearest class, squared distance, threshold - distance).

        The nearest class is ranked by embedding + DTW (``hybrid_rank``) when every class has its takes'
        shape codes and the query's ``codes`` match them, else by embedding; either way it is accepted by
        its embedding distance and threshold (and not vetoed by the negatives bank: ``KnnRecognizer.accepts``),
        and that is the distance reported."""
        built = self.refs.recognizer()
        if built is None:
            return NO_CLASS, "", float("inf"), float("-inf")
        knn, ids = built
        cd = knn.class_distances(emb[None])[0]
        if codes is not None and knn.shapes is not None and ranks_by_shape(knn, codes[None]):
            ranked = fused_class_distances(knn, knn.shapes, emb[None], codes[None])[0]
        else:
            ranked = cd
        best = int(np.argmin(ranked))  # first minimum: ties go to the lower class, as in firmware
        dist, threshold = int(cd[best]), int(knn.thresholds[best])
        accepted = bool(knn.accepts(emb[None], np.array([best]), np.array([dist]))[0])
        return (ids[best] if accepted else NO_CLASS), knn.labels[best], float(dist), float(threshold - dist)

    # -- enrollment ------------------------------------------------------------------------------
    def _start_enrollment(self, seq: int, m: EnrollStart, now: float) -> list[Message]:
        if self.image is None:
            return [Error(seq, ErrorCode.BAD_ARGUMENT, self.problem)]
        if self.session is not None and not self.session.done:
            return [Error(seq, ErrorCode.BUSY, f"already enrolling '{self.session.request.label}'; cancel it first")]
        problem = check_start(m) or self._channels_problem()
        same_label = self.refs.by_label(m.label)
        class_id = m.class_id
        if class_id == ALL_CLASSES:  # "board, pick": the class with this label, else a free id
            class_id = same_label.class_id if same_label else self.refs.next_free_id()
        existing = self.refs.get(class_id)
        if not problem and existing is not None and existing.label != m.label:
            problem = f"class {class_id} is '{existing.label}': clear it first or enroll under another id"
        if not problem and same_label is not None and same_label.class_id != class_id:
            problem = f"'{m.label}' is already class {same_label.class_id}"
        if problem:
            return [Error(seq, ErrorCode.BAD_ARGUMENT, problem)]
        request = EnrollStart(class_id, m.label, m.shots, m.timeout_ms)
        self.session, first = EnrollSession.start(request, now)
        return [Ack(seq), first]

    def _store_enrollment(self, s: EnrollSession) -> Message:
        r = s.request
        existing = self.refs.get(r.class_id)
        refs = merged_shots(existing.embeddings if existing is not None else None, s.shots)
        shapes = merged_shapes(len(existing.embeddings) if existing is not None else 0,
                               existing.shapes if existing is not None else None, s.shapes)
        other_classes = [c for c in self.refs.classes() if c.class_id != r.class_id]
        others = [c.embeddings for c in other_classes]
        margin = existing.margin if existing is not None else DEFAULT_MARGIN
        chosen = enrolled_threshold(refs, others, self.refs.bank, self.refs.typical_spread, margin)
        threshold = chosen.value
        note = _confusable(np.stack(s.shots), other_classes)
        warning = chosen.warning(r.label)
        note += f"; {warning}" if warning else ""
        problem = self.refs.put(RefClass(r.class_id, r.label, threshold, refs, ENROLLED, margin, shapes))
        if problem:
            return s.fail(f"could not store '{r.label}': {problem}")
        return s.succeed(fit_text(f"'{r.label}' is class {r.class_id}: {len(refs)} references, threshold "
                                  f"{threshold}{note}"))

    def _shape_geometry(self) -> tuple[int, int] | None:
        """(frames, channels) of the shape codes this board computes with its model, or None (no model, or
        a window a board does not compute codes for)."""
        if self.image is None:
            return None
        f = self.image.features
        return (f.window // SHAPE_STEP, f.channels) if codes_fit(f.window, f.channels) else None

    def _channels_problem(self) -> str:
        need = self.image.features.channels if self.image else 0
        return f"the model needs {need} IMU axes, this board has {self.axes}" if need > self.axes else ""

    # -- requests ------------------------------------------------------------------------------
    def handle(self, seq: int, m: Message, now: float) -> list[Message]:
        if isinstance(m, EnrollStart):
            return self._start_enrollment(seq, m, now)
        if isinstance(m, EnrollCancel):
            s, self.session = self.session, None
            return [Ack(seq)] + ([s.fail("cancelled by the host")] if s is not None and not s.done else [])
        if isinstance(m, RefList):
            rows = tuple(ClassRefs(c.class_id, c.label, len(c.embeddings), float(c.threshold), c.source)
                         for c in self.refs.classes())
            return [RefListReply(self.refs.dim if self.image else 0, rows)]
        if isinstance(m, RefClear):
            ids = [c.class_id for c in self.refs.classes()] if m.class_id == ALL_CLASSES else [m.class_id]
            if self.refs.get(ids[0] if ids else -1) is None and m.class_id != ALL_CLASSES:
                return [Error(seq, ErrorCode.BAD_ARGUMENT, f"no class {m.class_id} on the board")]
            self.refs.clear(ids)
            return [Ack(seq)]
        if isinstance(m, RefUpload):
            return [self._upload(seq, m)]
        if isinstance(m, RefDownload):
            one = self.refs.get(m.class_id)
            classes = self.refs.classes() if m.class_id == ALL_CLASSES else [one] if one else []
            if not classes:
                return [Error(seq, ErrorCode.BAD_ARGUMENT, f"no class {m.class_id} on the board")]
            data = [RefData(c.class_id, c.label, float(c.threshold), c.embeddings.shape[1], c.embeddings.tobytes(),
                            b"" if c.shapes is None else c.shapes.tobytes()) for c in classes]
            return [*data, Ack(seq)]
        if isinstance(m, HidMapSet):
            problem = self.hid.set(m.actions)
            return [Error(seq, ErrorCode.BAD_ARGUMENT, problem) if problem else Ack(seq)]
        if isinstance(m, HidMapGet):
            return [self.hid.message()]
        if isinstance(m, HidEnable):
            self.hid.enable(bool(m.enabled))
            return [Ack(seq)]
        if isinstance(m, RecognizeStart):
            problem = self.problem or self._channels_problem()
            if problem:
                return [Error(seq, ErrorCode.BAD_ARGUMENT, problem)]
            self.recognizing, self.events = True, bool(m.events)
            return [Ack(seq)]
        if isinstance(m, RecognizeStop):
            self.recognizing = self.events = False
            return [Ack(seq)]
        return [Error(seq, ErrorCode.UNKNOWN_MESSAGE, f"{type(m).__name__} is not handled")]

    def _upload(self, seq: int, m: RefUpload) -> Message:
        dim = self.image.embedding_dim if self.image else self.refs.dim
        if not dim:
            return Error(seq, ErrorCode.BAD_ARGUMENT, NO_MODEL)
        if m.dim != dim or not m.embeddings or len(m.embeddings) % dim:
            return Error(seq, ErrorCode.BAD_ARGUMENT, f"references must be whole {dim}-D int8 vectors "
                         f"(got dim {m.dim}, {len(m.embeddings)} bytes)")
        if not np.isfinite(m.threshold) or not 0 < m.threshold < 2**31:
            return Error(seq, ErrorCode.BAD_ARGUMENT, f"threshold {m.threshold} is not a positive distance")
        if m.class_id == ALL_CLASSES:
            return Error(seq, ErrorCode.BAD_ARGUMENT, "class 255 means 'none of these'")
        emb = np.frombuffer(m.embeddings, np.int8).reshape(-1, dim).copy()
        shapes, geometry = None, self._shape_geometry()
        if m.shapes and geometry is None:
            return Error(seq, ErrorCode.BAD_ARGUMENT, "this board computes no shape codes with its model; upload "
                         "the references without them")
        if m.shapes and geometry is not None:
            if len(m.shapes) != len(emb) * geometry[0] * geometry[1]:
                return Error(seq, ErrorCode.BAD_ARGUMENT, f"shape codes must be {geometry[0]} x {geometry[1]} bytes "
                             f"per reference (got {len(m.shapes)} bytes for {len(emb)} references)")
            shapes = np.frombuffer(m.shapes, np.int8).reshape(len(emb), *geometry).copy()
        other = self.refs.get(m.class_id)
        if other is not None and other.label != m.label:
            self.refs.clear([m.class_id])  # an upload replaces that class, whatever it held
        problem = self.refs.put(RefClass(m.class_id, m.label, int(round(m.threshold)), emb, UPLOADED,
                                         shapes=shapes))
        return Error(seq, ErrorCode.BAD_ARGUMENT, problem) if problem else Ack(seq)


def _confusable(shots: np.ndarray, others: list[RefClass]) -> str:
    """A warning when a take lies nearer another class than its sibling takes (a quality check)."""
    if len(shots) < 2 or not others:
        return ""
    own = sq_distances(shots, shots).astype(np.float64)
    np.fill_diagonal(own, np.inf)
    note = ""
    for i, shot in enumerate(shots):
        dists = [int(sq_distances(shot[None], c.embeddings).min()) for c in others]
        j = int(np.argmin(dists))
        if dists[j] < own[i].min():
            note += f"; take {i + 1} is closer to '{others[j].label}' than to the other takes"
    return note

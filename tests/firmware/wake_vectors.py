"""Golden files for the C++ wake-word detector (wandlab_core/src/wake_detector.{h,cpp}, audio_stream.{h,cpp}).

``write(out_dir)`` makes a few seconds of a virtual room (``virtual.audio.AudioSynth``: pink noise and hum at
-55 dBFS) in which a person says two enrolled words and others, a loud noise burst, digital silence and an
enrolled word in another voice; enrols the words as the app does (three takes each, ``ml.wakeword.enroll``
with the shipped speech model, the references sent as int8 codes: ``board.words.int8_codes``, the threshold
as the wire's float32) and runs Python's ``onboard.wake_detector.WakeDetector`` on the stream with the
speech model's embeddings as the virtual wand computes them (LiteRT's reference kernels: bit-identical to
TFLM), logging every hop: its kind (deaf, gated, embedded), the window's last sample, the distances, the
model input and its raw int8 output. Files: ``wake_stream.i16`` (int16 little-endian) and
``wake_golden.txt`` (format in ``_write_text``). Run ``python -m tests.firmware.wake_vectors DIR``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 16000
ENROLLED = ("lumos", "nox")


@dataclass
class HopLog:
    index: int
    end: int
    kind: str  # D (deaf: no words or refractory), G (gated), E (embedded)
    distances: list[float] = field(default_factory=list)
    window: np.ndarray | None = None
    raw: np.ndarray | None = None


def _unit(raw: np.ndarray, scale: float, zero: int) -> np.ndarray:
    """As ``virtual.word_model.SpeechModel.unit``."""
    e = (np.asarray(raw).astype(np.float32) - zero) * scale
    norm = np.linalg.norm(e, axis=-1, keepdims=True)
    return (e / np.maximum(norm, 1e-6)).astype(np.float32)


def make(seed: int = 7):
    """(stream int16, words [(id, label, threshold float32, codes int8)], hop logs, wakes, out_zero, dim)."""
    from wandlab.board.words import int8_codes
    from wandlab.ml.wakeword import Embedder, enroll
    from wandlab.onboard.wake_detector import WakeDetector, WordRefs
    from wandlab.virtual.audio import AudioSynth

    embedder = Embedder()
    scale, zero = float(embedder.out_scale), int(embedder.out_zero)
    synth = AudioSynth(seed=seed)
    words = []
    for word_id, label in enumerate(ENROLLED):
        takes = []
        for _ in range(3):
            synth.say(label)
            takes.append(synth.next(int(1.6 * RATE)))
        word = enroll(label, takes, embedder)
        codes = int8_codes(word.refs, scale, zero)
        words.append((word_id, label, float(np.float32(word.threshold)), codes))

    def gap(seconds: float) -> np.ndarray:
        return synth.next(int(seconds * RATE))

    def say(text: str, person: int = 0, seconds: float = 1.3) -> np.ndarray:
        synth.set_person(person)
        synth.say(text)
        return synth.next(int(seconds * RATE))

    rng = np.random.default_rng(seed)
    burst = np.clip(np.round(rng.normal(0, 6000, int(0.5 * RATE))), -32768, 32767).astype(np.int16)
    stream = np.concatenate([
        gap(1.1), say("lumos"), gap(0.5), say("nox"), gap(0.4), say("accio"), gap(0.3),
        burst + gap(0.5), gap(0.3), np.zeros(int(1.0 * RATE), np.int16), say("lumos", person=3), gap(0.6),
        say("lumos"), say("lumos", seconds=1.0), gap(0.5),
    ]).astype(np.int16)  # fmt: skip

    logs: list[HopLog] = []
    pending: dict[str, np.ndarray] = {}

    def embed(q: np.ndarray) -> np.ndarray:
        raw = np.asarray(embedder.embed_raw(q), np.int8).reshape(-1)
        pending["window"], pending["raw"] = np.asarray(q, np.int8).copy(), raw
        return _unit(raw, scale, zero)

    class Logged(WakeDetector):
        def _decide(self, t0: int):  # type: ignore[no-untyped-def]
            end = self._offset + self.front.frame_end(self.front.frames - 1) - 1
            deaf = not self.words or end < self._deaf_until
            before = self.embeddings
            wake = super()._decide(t0)
            log = HopLog(self.hops, end, "D" if deaf else "G")
            if self.embeddings > before:
                log.kind, log.window, log.raw = "E", pending["window"], pending["raw"]
                log.distances = [self.last_distances[w.word_id] for w in self.words]
            logs.append(log)
            return wake

    refs = [WordRefs(i, label, _unit(codes, scale, zero), thr) for i, label, thr, codes in words]
    detector = Logged(embed, refs)
    wakes = [w for i in range(0, len(stream), 512) for w in detector.feed(stream[i : i + 512])]
    return stream, words, logs, wakes, zero, int(words[0][3].shape[1])


def _write_text(path: Path, words, logs: list[HopLog], wakes, zero: int, dim: int) -> None:  # type: ignore[no-untyped-def]
    """Format: ``wake_golden 1`` / ``dim D zero Z`` / ``words N`` then per word ``word ID LABEL THRESHOLD COUNT``
    and COUNT x D codes / ``hops H`` then per hop ``hop INDEX END KIND`` (E: + the distances, the D raw
    codes and the 49 x 40 window) / ``wakes W`` then ``wake ID SAMPLE_INDEX DISTANCE THRESHOLD``."""
    lines = ["wake_golden 1", f"dim {dim} zero {zero}", f"words {len(words)}"]
    for word_id, label, thr, codes in words:
        lines.append(f"word {word_id} {label} {thr:.9g} {len(codes)}")
        lines.append(" ".join(map(str, codes.reshape(-1).tolist())))
    lines.append(f"hops {len(logs)}")
    for h in logs:
        lines.append(f"hop {h.index} {h.end} {h.kind}")
        if h.kind == "E":
            assert h.raw is not None and h.window is not None
            lines.append(" ".join(f"{d:.9g}" for d in h.distances))
            lines.append(" ".join(map(str, h.raw.tolist())))
            lines.append(" ".join(map(str, h.window.reshape(-1).tolist())))
    lines.append(f"wakes {len(wakes)}")
    for w in wakes:
        lines.append(f"wake {w.word_id} {w.sample_index} {w.distance:.9g} {w.threshold:.9g}")
    path.write_text("\n".join(lines) + "\n")


def write(out_dir: Path, seed: int = 7):  # type: ignore[no-untyped-def]
    """Writes the two files into ``out_dir``; returns what ``make`` returned."""
    made = make(seed)
    stream, words, logs, wakes, zero, dim = made
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "wake_stream.i16").write_bytes(stream.astype("<i2").tobytes())
    _write_text(out_dir / "wake_golden.txt", words, logs, wakes, zero, dim)
    return made


if __name__ == "__main__":
    stream, words, logs, wakes, *_ = write(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
    kinds = {k: sum(h.kind == k for h in logs) for k in "DGE"}
    print(f"{len(stream)} samples, words {[(w[1], w[2]) for w in words]}, hops {kinds}")
    print("wakes", [(w.label, w.sample_index, round(w.distance, 4)) for w in wakes])
    for h in logs:
        if h.kind == "E":
            print(h.index, h.end, [round(d, 4) for d in h.distances])

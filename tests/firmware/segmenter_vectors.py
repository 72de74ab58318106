"""Golden vectors for the C++ motion segmenter (firmware_sketches/wandlab_core/src/motion_segmenter.h).

Simulated IMU streams, as int16 counts with the board's scales (what firmware reads), cut by the Python
board's own path: counts * scale in float64 (virtual/board.py), ``Segmenter.feed`` in blocks of 1-37
frames, ``model_window`` on every segment. Each stream file holds the counts, the blocks, the detector's
level after each block, how many takes were discarded, and every segment: end_index, length, clipped,
settled, the auto-trim range, the trim's floor and peak, and the window's float32 values. Floats are
written as their bit patterns, so the C++ test can require the same bits.

    .venv/bin/python -m tests.firmware.segmenter_vectors OUT_DIR

Streams: gestures performed by simulated people with rest between them (3 and 6 axes; 25, 50, 100, 119,
400 Hz; one with other sensor scales), everyday handling (waving, walking: segments cut at
MAX_SEGMENT_S, segments that start right after the previous one), and edge cases (motion from the first
frame, 8 s of nonstop rotation, twitches shorter than min_s, a quiet stream). ``trim_cases.txt`` adds
auto_trim_imu on odd takes: 0-2 frames, constant ones, rates down to 1 Hz and up to 1000 Hz.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wandlab.onboard.motion import MotionDetector
from wandlab.onboard.segmenter import MAX_SEGMENT_S, Segmenter
from wandlab.onboard.trim import auto_trim_imu, motion_score
from wandlab.synth.everyday import everyday_motion
from wandlab.synth.motion import GESTURES, MotionSynth
from wandlab.virtual.board import ACCEL_SCALE, GYRO_SCALE

FORMAT = "wandlab-segmenter-vectors 1"
MAX_BLOCK = 37


@dataclass
class Summary:
    """What the streams exercise, so a test can require that they still cover every case."""

    streams: int = 0
    frames: int = 0
    segments: int = 0
    clipped: int = 0
    unsettled: int = 0
    decidable: int = 0
    discards: int = 0
    from_first_frame: int = 0  # a segment that starts on the stream's first frame
    kept_whole: int = 0  # auto-trim found no clear motion and kept the whole segment
    trimmed: int = 0
    blocks_with_two_segments: int = 0
    trim_cases: int = 0
    rates: set[tuple[float, int]] = field(default_factory=set)  # (rate, axes) of the streams


@dataclass(frozen=True)
class Stream:
    name: str
    rate_hz: float
    axes: int
    counts: np.ndarray  # (n, axes) int16
    accel_scale: float = ACCEL_SCALE
    gyro_scale: float = GYRO_SCALE
    first_index: int = 0
    block: int = 0  # every block this many frames (0: random sizes 1-37)

    @property
    def scale(self) -> np.ndarray:
        return np.array([self.accel_scale] * 3 + [self.gyro_scale] * (self.axes - 3))


def _f32_bits(values: np.ndarray) -> str:
    return " ".join(f"{v:08x}" for v in np.ascontiguousarray(values, dtype=np.float32).reshape(-1).view(np.uint32))


def _f64_bits(value: float) -> str:
    return f"{int(np.array(value, dtype=np.float64).view(np.uint64)):016x}"


def _to_counts(values: np.ndarray, axes: int, accel_scale: float = ACCEL_SCALE,
               gyro_scale: float = GYRO_SCALE) -> np.ndarray:
    """What the board's IMU reads (virtual/board.py _read_imu)."""
    scale = np.array([accel_scale] * 3 + [gyro_scale] * (axes - 3))
    return np.clip(np.round(values[:, :axes] / scale), -32768, 32767).astype(np.int16)


# -- streams ------------------------------------------------------------------------------------------


def _gestures(rate: float, person: int, seed: int, takes: int) -> np.ndarray:
    """A held wand performing ``takes`` gestures, with rests of 0 to 1.2 s between them."""
    rng = np.random.default_rng([seed, person, int(rate)])
    synth = MotionSynth(rate, person, seed)
    step = max(1, int(rate) // 25)
    parts = [synth.next(round(0.6 * rate))]
    for k in range(takes):
        synth.perform(GESTURES[(k + seed) % len(GESTURES)])
        while synth.busy:
            parts.append(synth.next(step))
        parts.append(synth.next(max(1, round(float(rng.choice([0.0, 0.05, 0.2, 0.6, 1.2])) * rate))))
    return np.concatenate(parts)


def _rest(seconds: float, rate: float, rng: np.random.Generator) -> np.ndarray:
    n = round(seconds * rate)
    out = np.zeros((n, 6))
    out[:, 2] = 1.0
    out[:, :3] += rng.normal(0.0, 0.004, (n, 3))
    out[:, 3:] += rng.normal(0.0, 0.3, (n, 3))
    return out


def _edge_streams() -> Iterator[Stream]:
    rng = np.random.default_rng(7)
    rate = 100.0
    # Spinning from the very first frame: the segment starts at frame 0 with no pre-roll, settled.
    spin = _rest(0.5, rate, rng)
    spin[:, 5] += 500.0
    yield Stream("first_frame_100hz_6ax", rate, 6, _to_counts(np.concatenate([spin, _rest(1.5, rate, rng)]), 6))
    # 8 s of nonstop rotation: cut at MAX_SEGMENT_S twice, the next segments start with no rest before.
    t = np.arange(round(8.0 * rate)) / rate
    turn = _rest(8.0, rate, rng)
    turn[:, 3] += 200.0 * np.cos(2 * np.pi * 1.3 * t)
    turn[:, 4] += 200.0 * np.sin(2 * np.pi * 1.3 * t)
    turn[:, 0] += 0.3 * np.sin(2 * np.pi * 2.1 * t)
    long = np.concatenate([_rest(0.7, rate, rng), turn, _rest(1.0, rate, rng)])
    yield Stream("nonstop_100hz_6ax", rate, 6, _to_counts(long, 6), first_index=123_456)
    yield Stream("nonstop_25hz_3ax", 25.0, 3, _to_counts(long[::4], 3))
    # Twitches: gyro spikes of 1-25 frames; shorter than min_s, they start a take that is discarded.
    parts = [_rest(1.0, rate, rng)]
    for width in (1, 2, 3, 5, 8, *range(9, 16), 25):  # 9-15 frames: around min_s (20 frames) with the decay
        spike = _rest(width / rate, rate, rng)
        spike[:, 3] += 900.0
        parts += [spike, _rest(1.0, rate, rng)]
    yield Stream("twitches_100hz_6ax", rate, 6, _to_counts(np.concatenate(parts), 6))
    # Accel-only knocks at 25 and 400 Hz.
    for r in (25.0, 400.0):
        parts = [_rest(1.0, r, rng)]
        for width_s in (0.04, 0.08, 0.12, 0.3):
            knock = _rest(width_s, r, rng)
            knock[:, 0] += 1.8
            parts += [knock, _rest(1.0, r, rng)]
        yield Stream(f"knocks_{int(r)}hz_3ax", r, 3, _to_counts(np.concatenate(parts), 3))
    yield Stream("quiet_119hz_6ax", 119.0, 6, _to_counts(_rest(3.0, 119.0, rng), 6))
    # Short bursts at 25 Hz fed in blocks of 37 frames: one block ends two segments.
    parts = [_rest(1.0, 25.0, rng)]
    for _ in range(6):
        burst = _rest(0.32, 25.0, rng)
        burst[:, 5] += 400.0
        parts += [burst, _rest(0.4, 25.0, rng)]
    yield Stream("bursts_25hz_6ax", 25.0, 6, _to_counts(np.concatenate(parts), 6), block=MAX_BLOCK)


def streams() -> Iterator[Stream]:
    """Every stream the golden files hold."""
    for k, rate in enumerate((25.0, 50.0, 100.0, 119.0, 400.0)):
        for axes in (6, 3):
            takes = 6 if rate == 400.0 else 9
            values = _gestures(rate, person=k + axes, seed=k, takes=takes)
            yield Stream(f"gestures_{int(rate)}hz_{axes}ax", rate, axes, _to_counts(values, axes))
    # Another board's ranges (8 g, 500 deg/s; scales exact in float32 like the default ones).
    accel, gyro = 8.0 / 32768.0, 500.0 / 32768.0
    values = _gestures(119.0, person=3, seed=11, takes=6)
    yield Stream("gestures_119hz_6ax_8g_500dps", 119.0, 6, _to_counts(values, 6, accel, gyro), accel, gyro)
    for k, (rate, axes, seconds) in enumerate(((50.0, 6, 40.0), (100.0, 6, 40.0), (100.0, 3, 30.0),
                                              (119.0, 6, 30.0), (400.0, 6, 20.0))):
        values = everyday_motion(seconds, rate, person=k, seed=k)
        yield Stream(f"everyday_{int(rate)}hz_{axes}ax", rate, axes, _to_counts(values, axes),
                     first_index=1000 * k)
    yield from _edge_streams()


# -- the Python board's cut ----------------------------------------------------------------------------


def _trim_line(data: np.ndarray, rate: float) -> str:
    start, end = auto_trim_imu(data, rate)
    if len(data) < 3:
        floor = peak = 0.0
    else:
        score = motion_score(data, rate)
        floor, peak = float(np.percentile(score, 10)), float(score.max())
    return f"{start} {end} {_f64_bits(floor)} {_f64_bits(peak)}"


def write_stream(stream: Stream, path: Path, rng: np.random.Generator, summary: Summary) -> None:
    for s in (stream.accel_scale, stream.gyro_scale):
        assert float(np.float32(s)) == s, "the board's scales are floats: keep the test's scales exact in float32"
    counts = stream.counts
    n = len(counts)
    blocks: list[int] = []
    while sum(blocks) < n:
        size = stream.block or int(rng.integers(1, MAX_BLOCK + 1))
        blocks.append(min(size, n - sum(blocks)))
    segmenter = Segmenter(stream.rate_hz)
    discards = MotionDetector(stream.rate_hz, max_s=MAX_SEGMENT_S)  # the same detector, to count discards
    levels: list[str] = []
    segment_lines: list[str] = []
    discarded = 0
    position = 0
    for size in blocks:
        block = counts[position : position + size] * stream.scale  # float64, as virtual/board.py feeds it
        found = segmenter.feed(block, stream.first_index + position)
        discarded += sum(ev.kind == "discard" for ev in discards.feed(block))
        summary.blocks_with_two_segments += len(found) >= 2
        for seg in found:
            window = segmenter.model_window(seg.data)
            start, end = auto_trim_imu(seg.data, stream.rate_hz)
            assert len(window) == end - start
            segment_lines.append(f"segment {seg.end_index} {len(seg.data)} {int(seg.clipped)} {int(seg.settled)} "
                                 f"{_trim_line(seg.data, stream.rate_hz)}")
            segment_lines.append(f"window {_f32_bits(window)}")
            summary.segments += 1
            summary.clipped += seg.clipped
            summary.unsettled += not seg.settled
            summary.decidable += seg.decidable
            summary.from_first_frame += seg.end_index - len(seg.data) == stream.first_index
            whole = (start, end) == (0, len(seg.data))
            summary.kept_whole += whole
            summary.trimmed += not whole
        levels.append(_f64_bits(segmenter.detector.level))
        position += size
    summary.streams += 1
    summary.frames += n
    summary.discards += discarded
    summary.rates.add((stream.rate_hz, stream.axes))
    lines = [
        FORMAT,
        f"stream {stream.name}",
        f"rate {stream.rate_hz!r}",
        f"axes {stream.axes}",
        f"scales {_f32_bits(np.array([stream.accel_scale, stream.gyro_scale]))}",
        f"first_index {stream.first_index}",
        f"frames {n}",
        *(" ".join(map(str, row)) for row in counts.tolist()),
        f"blocks {len(blocks)}",
        " ".join(map(str, blocks)),
        f"levels {' '.join(levels)}",
        f"discards {discarded}",
        f"segments {len(segment_lines) // 2}",
        *segment_lines,
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")


def _trim_cases(rng: np.random.Generator) -> Iterator[tuple[str, float, np.ndarray]]:
    """(name, rate, float32 take) for auto_trim_imu alone."""
    take = (_to_counts(_gestures(100.0, person=2, seed=5, takes=1), 6) * np.array([ACCEL_SCALE] * 3 + [GYRO_SCALE] * 3))
    take = take.astype(np.float32)
    for n in (0, 1, 2, 3, 4, 7, 11):
        yield f"short_{n}", 100.0, take[200 : 200 + n]
    yield "constant", 100.0, np.tile(take[:1], (50, 1))
    yield "constant_accel_3ax", 100.0, np.tile(take[:1, :3], (50, 1))
    for rate in (1.0, 2.0, 3.0, 10.0, 25.0, 26.0, 104.0, 119.0, 208.0, 416.0, 1000.0):
        yield f"gesture_at_{rate:g}hz", rate, take
        yield f"gesture_at_{rate:g}hz_3ax", rate, take[:, :3]
    for k in range(12):
        start = int(rng.integers(0, len(take) - 3))
        end = int(rng.integers(start + 3, len(take) + 1))
        yield f"slice_{k}", float(rng.choice([25.0, 50.0, 100.0, 119.0, 400.0])), take[start:end]


def write_vectors(out_dir: Path) -> tuple[list[Path], Summary]:
    """Writes every stream file and trim_cases.txt into out_dir; returns the paths and what they cover."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = Summary()
    rng = np.random.default_rng(2024)
    paths = []
    for stream in streams():
        path = out_dir / f"segmenter_{stream.name}.txt"
        write_stream(stream, path, rng, summary)
        paths.append(path)
    lines = [FORMAT]
    for name, rate, take in _trim_cases(rng):
        axes = take.shape[1]
        lines.append(f"trim {name} {rate!r} {axes} {len(take)}")
        lines.append(f"take {_f32_bits(take)}")
        lines.append(f"expect {_trim_line(take.astype(np.float32), rate)}")
        summary.trim_cases += 1
    lines.append("end")
    path = out_dir / "trim_cases.txt"
    path.write_text("\n".join(lines) + "\n")
    paths.append(path)
    return paths, summary


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    written, covered = write_vectors(Path(sys.argv[1]))
    print(f"{len(written)} files in {sys.argv[1]}: {covered}")

"""Audio features, defined once for training, the virtual wand and the firmware.

16 kHz int16 PCM becomes a log-mel spectrogram, then a fixed int8 code that is the model input:

1. x = pcm / 32768 (float). Frames of ``window_samples`` (480 = 30 ms) every ``hop_samples``
   (320 = 20 ms); only complete frames, so 1 s = 16000 samples gives 1 + (16000 - 480) // 320 = 49.
2. Multiply by a periodic Hann window (precomputed table), zero-pad to ``fft_size`` (512), power
   spectrum |X_k|^2 for k = 0..256.
3. Mel energies: 40 triangular HTK-mel filters between ``mel_low_hz`` and ``mel_high_hz`` (peak weight 1).
   The weights are precomputed and exported sparse (start bin, length, weights): ~2 bins per band on
   average, so the board does ~500 multiply-adds per frame instead of 257 x 40.
4. v = ln(mel + ``log_floor``): the floor keeps silence finite and bounded (ln 1e-6 = -13.8).
5. Fixed int8 code, no dataset statistics: q = clamp(floor(v / q_scale + 0.5) + q_zero_point, -128, 127)
   (computed as v * (1 / q_scale), as on the board).
   With scale 0.1 and zero point 10, the code spans ln-energies -13.8 (silence floor) .. 11.7 (above a
   full-scale sine), so nothing a microphone produces saturates. The network sees q / 128 during
   training, which the int8 converter maps back to exactly q (input scale 1/128, zero point 0).

Rounding is floor(x + 0.5) on both sides (numpy's ``round`` is half-to-even, C's ``lround`` is not).
Python computes in float64 as the reference; the C++ uses float and agrees to ~1e-4 in v.
``export_constants`` writes the firmware header (the C++ API plus constexpr tables) and JSON; golden
vectors in ``tests/vectors/audio_features_*`` prove the C++ computes the same numbers.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from wandlab.errors import ModelError

FEATURE_VERSION = 1


@dataclass(frozen=True)
class AudioFeatureConfig:
    """Everything that defines the speech model input. Changing a field means retraining."""

    sample_rate_hz: int = 16000
    window_samples: int = 480  # 30 ms
    hop_samples: int = 320  # 20 ms
    fft_size: int = 512
    num_mel_bands: int = 40
    mel_low_hz: float = 60.0  # above mains hum, below any voice fundamental
    mel_high_hz: float = 7600.0  # below Nyquist, where MEMS mics still respond
    log_floor: float = 1e-6
    q_scale: float = 0.1
    q_zero_point: int = 10
    clip_seconds: float = 1.0  # model input length: 49 frames
    version: int = FEATURE_VERSION

    def __post_init__(self) -> None:
        if not (0 < self.window_samples <= self.fft_size) or self.fft_size & (self.fft_size - 1):
            raise ModelError("audio window must fit a power-of-two FFT size")
        if not (0 < self.hop_samples <= self.window_samples):
            raise ModelError("audio hop must be between 1 and the window length")
        if not (0 <= self.mel_low_hz < self.mel_high_hz <= self.sample_rate_hz / 2):
            raise ModelError("mel band edges must satisfy 0 <= low < high <= Nyquist")
        if self.log_floor <= 0 or self.q_scale <= 0 or not -128 <= self.q_zero_point <= 127:
            raise ModelError("log floor and quantisation scale must be positive, zero point int8")

    @property
    def num_frames(self) -> int:
        """Frames in one model input clip (49 for 1 s)."""
        return frames_for(int(round(self.clip_seconds * self.sample_rate_hz)), self)

    @property
    def clip_samples(self) -> int:
        return int(round(self.clip_seconds * self.sample_rate_hz))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.num_frames, self.num_mel_bands)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> AudioFeatureConfig:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ModelError(f"unknown audio feature config keys: {sorted(unknown)}")
        return cls(**d)  # type: ignore[arg-type]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AudioFeatureConfig:
        return cls.from_dict(json.loads(text))


def frames_for(n_samples: int, config: AudioFeatureConfig) -> int:
    if n_samples < config.window_samples:
        return 0
    return 1 + (n_samples - config.window_samples) // config.hop_samples


def hann_window(config: AudioFeatureConfig) -> np.ndarray:
    """Periodic Hann (the DFT-even one): sums overlap-add to a constant, unlike the symmetric one."""
    n = np.arange(config.window_samples, dtype=np.float64)
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * n / config.window_samples)


def hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(config: AudioFeatureConfig) -> np.ndarray:
    """(fft_size // 2 + 1, num_mel_bands) triangular HTK-mel weights, peak 1."""
    n_bins = config.fft_size // 2 + 1
    freqs = np.arange(n_bins) * config.sample_rate_hz / config.fft_size
    edges = mel_to_hz(
        np.linspace(hz_to_mel(config.mel_low_hz), hz_to_mel(config.mel_high_hz), config.num_mel_bands + 2)
    )
    weights = np.zeros((n_bins, config.num_mel_bands))
    for b in range(config.num_mel_bands):
        lo, mid, hi = edges[b], edges[b + 1], edges[b + 2]
        rising = (freqs - lo) / (mid - lo)
        falling = (hi - freqs) / (hi - mid)
        weights[:, b] = np.maximum(0.0, np.minimum(rising, falling))
    if np.any(weights.sum(axis=0) <= 0):
        raise ModelError("a mel band has no FFT bin: lower num_mel_bands or raise mel_low_hz")
    return weights


def sparse_mel(config: AudioFeatureConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start bin, length, concatenated weights) per band: what the firmware multiplies."""
    dense = mel_filterbank(config)
    starts: list[int] = []
    lengths: list[int] = []
    flat: list[float] = []
    for b in range(config.num_mel_bands):
        nz = np.nonzero(dense[:, b])[0]
        start, stop = int(nz[0]), int(nz[-1]) + 1  # triangles are contiguous
        starts.append(start)
        lengths.append(stop - start)
        flat.extend(dense[start:stop, b])
    return np.array(starts), np.array(lengths), np.array(flat)


def _frames(pcm: np.ndarray, config: AudioFeatureConfig) -> np.ndarray:
    """(..., n) int16 -> (..., frames, window) float64 in [-1, 1)."""
    x = np.asarray(pcm).astype(np.float64) / 32768.0
    n_frames = frames_for(x.shape[-1], config)
    if n_frames == 0:
        return np.zeros(x.shape[:-1] + (0, config.window_samples))
    idx = np.arange(n_frames)[:, None] * config.hop_samples + np.arange(config.window_samples)[None, :]
    return x[..., idx]


def log_mel(pcm: np.ndarray, config: AudioFeatureConfig | None = None) -> np.ndarray:
    """int16 PCM (n,) or a batch (b, n) of equal length -> (…, frames, bands) float32 ln-mel energies."""
    config = config or AudioFeatureConfig()
    frames = _frames(pcm, config) * hann_window(config)
    spectrum = np.fft.rfft(frames, n=config.fft_size, axis=-1)
    power = spectrum.real**2 + spectrum.imag**2
    mel = power @ mel_filterbank(config)
    return np.log(mel + config.log_floor).astype(np.float32)


def quantize(log_mel_values: np.ndarray, config: AudioFeatureConfig | None = None) -> np.ndarray:
    """ln-mel -> the fixed int8 model input code."""
    config = config or AudioFeatureConfig()
    v = np.asarray(log_mel_values, dtype=np.float64)
    q = np.floor(v * (1.0 / config.q_scale) + 0.5) + config.q_zero_point  # multiply, as the C++ does
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize(q: np.ndarray, config: AudioFeatureConfig | None = None) -> np.ndarray:
    config = config or AudioFeatureConfig()
    return ((np.asarray(q, dtype=np.float32) - config.q_zero_point) * config.q_scale).astype(np.float32)


def fit_clip(pcm: np.ndarray, config: AudioFeatureConfig | None = None) -> np.ndarray:
    """Centre an utterance in exactly one model clip: crop around the centre or pad with zeros."""
    config = config or AudioFeatureConfig()
    pcm = np.asarray(pcm, dtype=np.int16)
    n = config.clip_samples
    if len(pcm) >= n:
        start = (len(pcm) - n) // 2
        return pcm[start : start + n].copy()
    out = np.zeros(n, dtype=np.int16)
    start = (n - len(pcm)) // 2
    out[start : start + len(pcm)] = pcm
    return out


def clip_features(pcm: np.ndarray, config: AudioFeatureConfig | None = None) -> np.ndarray:
    """One utterance (any length) -> (49, 40) int8 model input."""
    config = config or AudioFeatureConfig()
    return quantize(log_mel(fit_clip(pcm, config), config), config)


def model_input(q: np.ndarray) -> np.ndarray:
    """int8 code -> the float the network is trained on (q / 128, see the module docstring)."""
    return np.asarray(q, dtype=np.float32) / 128.0


# --- Export to the firmware -----------------------------------------------------------------------

_HEADER_API = """
// Frames in num_samples samples (complete frames only): 1 + (n - kWindowSamples) / kHopSamples.
int frames_for(int num_samples);

// One frame: kWindowSamples int16 samples -> kNumMelBands ln-mel energies. Not reentrant (uses
// static FFT buffers, 4 KB) so that a board's small stack is not the limit.
void log_mel_frame(const int16_t* samples, float* out);

// ln-mel -> int8 model input code: clamp(floor(v * kQuantInvScale + 0.5) + kQuantZeroPoint).
int8_t quantize(float log_mel);

// Whole buffer: writes min(frames_for(num_samples), max_frames) rows of kNumMelBands values to out
// (row-major, frame by frame) and returns the number of rows written.
int log_mel(const int16_t* samples, int num_samples, float* out, int max_frames);
"""


def _c_float(v: float) -> str:
    return f"{float(np.float32(v))!r}f".replace("inf", "INFINITY")


def _c_array(ctype: str, name: str, values: np.ndarray, fmt: type = float) -> str:
    items = [_c_float(v) if fmt is float else str(int(v)) for v in values]
    lines = [", ".join(items[i : i + 8]) for i in range(0, len(items), 8)]
    body = ",\n    ".join(lines)
    return f"constexpr {ctype} {name}[{len(items)}] = {{\n    {body}}};\n"


def header_text(config: AudioFeatureConfig) -> str:
    """The firmware's ``audio_features.h``: constexpr tables plus the API the .cpp implements."""
    starts, lengths, weights = sparse_mel(config)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    scalars = [
        ("int", "kFeatureVersion", config.version),
        ("int", "kSampleRateHz", config.sample_rate_hz),
        ("int", "kWindowSamples", config.window_samples),
        ("int", "kHopSamples", config.hop_samples),
        ("int", "kFftSize", config.fft_size),
        ("int", "kNumSpectrumBins", config.fft_size // 2 + 1),
        ("int", "kNumMelBands", config.num_mel_bands),
        ("int", "kClipSamples", config.clip_samples),
        ("int", "kClipFrames", config.num_frames),
        ("int", "kMelWeightCount", len(weights)),
        ("float", "kLogFloor", config.log_floor),
        ("float", "kQuantScale", config.q_scale),
        ("float", "kQuantInvScale", 1.0 / config.q_scale),
        ("int", "kQuantZeroPoint", config.q_zero_point),
    ]
    out = [
        "// GENERATED by wandlab.onboard.audio_features.export_constants. Do not edit: change\n"
        "// AudioFeatureConfig and regenerate (tests/onboard/test_audio_features.py checks they match).\n"
        f"// Config: {config.to_json()}\n",
        "#pragma once\n\n#include <cstdint>\n\nnamespace wandlab {\nnamespace audio {\n\n",
    ]
    for ctype, name, value in scalars:
        literal = _c_float(value) if ctype == "float" else str(value)
        out.append(f"constexpr {ctype} {name} = {literal};\n")
    out.append("\n// Periodic Hann window.\n")
    out.append(_c_array("float", "kWindow", hann_window(config)))
    out.append("\n// Sparse mel filterbank: band b uses bins kMelStart[b] .. + kMelLength[b] with weights\n")
    out.append("// kMelWeights[kMelOffset[b] ..].\n")
    out.append(_c_array("uint16_t", "kMelStart", starts, int))
    out.append(_c_array("uint16_t", "kMelLength", lengths, int))
    out.append(_c_array("uint16_t", "kMelOffset", offsets, int))
    out.append(_c_array("float", "kMelWeights", weights))
    out.append(_HEADER_API)
    out.append("\n}  // namespace audio\n}  // namespace wandlab\n")
    return "".join(out)


def constants_dict(config: AudioFeatureConfig) -> dict[str, object]:
    starts, lengths, weights = sparse_mel(config)
    return {
        "config": config.to_dict(),
        "window": [float(v) for v in hann_window(config)],
        "mel_start": [int(v) for v in starts],
        "mel_length": [int(v) for v in lengths],
        "mel_weights": [float(v) for v in weights],
    }


def export_constants(config: AudioFeatureConfig, header_path: str | Path, json_path: str | Path) -> None:
    Path(header_path).write_text(header_text(config), encoding="utf-8")
    Path(json_path).write_text(json.dumps(constants_dict(config), indent=1) + "\n", encoding="utf-8")


# --- Golden vectors -------------------------------------------------------------------------------


def golden_signals(config: AudioFeatureConfig | None = None) -> dict[str, np.ndarray]:
    """Deterministic int16 inputs covering silence, tones, sweeps, noise, clipping and a voice-like buzz."""
    config = config or AudioFeatureConfig()
    sr = config.sample_rate_hz

    def t(seconds: float) -> np.ndarray:
        return np.arange(int(seconds * sr)) / sr

    def pcm(x: np.ndarray) -> np.ndarray:
        return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)

    tt = t(0.5)
    chirp = np.sin(2 * np.pi * 100.0 * 0.5 / np.log(70.0) * (70.0 ** (tt / 0.5) - 1.0))
    buzz_t = t(0.5)
    buzz = sum(
        np.sin(2 * np.pi * 140.0 * h * buzz_t) / h * np.exp(-(((140.0 * h - 700.0) / 600.0) ** 2))
        for h in range(1, 40)
    )
    buzz = buzz * (0.5 - 0.5 * np.cos(2 * np.pi * buzz_t / 0.5)) * 0.4
    square = np.where(np.sin(2 * np.pi * 440.0 * t(0.3)) >= 0, 32767, -32768).astype(np.int16)
    return {
        "silence": np.zeros(int(0.25 * sr), dtype=np.int16),
        "sine_1k": pcm(0.5 * np.sin(2 * np.pi * 1000.0 * t(1.0))),
        "chirp": pcm(0.3 * chirp),
        "noise": pcm(np.random.default_rng(1234).normal(0.0, 0.05, int(0.3 * sr))),
        "square_full_scale": square,
        "voice_like": pcm(buzz),
        "short": pcm(0.1 * np.sin(2 * np.pi * 300.0 * t(0.05))),  # 800 samples: 2 frames
    }


def write_golden_vectors(directory: str | Path, config: AudioFeatureConfig | None = None) -> list[Path]:
    """audio_features_<name>.json for Python and .txt (whitespace-separated) for the C++ test."""
    config = config or AudioFeatureConfig()
    directory = Path(directory)
    written = []
    for name, pcm in golden_signals(config).items():
        feats = log_mel(pcm, config)
        q = quantize(feats, config)
        doc = {
            "name": name,
            "config": config.to_dict(),
            "samples": pcm.tolist(),
            "log_mel": [[float(v) for v in row] for row in feats],
            "quantized": q.tolist(),
        }
        json_path = directory / f"audio_features_{name}.json"
        json_path.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
        # Plain text for a parser-free C++ reader: counts, samples, ln-mel, int8 codes.
        txt = [f"{len(pcm)} {feats.shape[0]} {config.num_mel_bands}", " ".join(map(str, pcm.tolist()))]
        txt.append(" ".join(repr(float(v)) for v in feats.ravel()))
        txt.append(" ".join(map(str, q.ravel().tolist())))
        txt_path = directory / f"audio_features_{name}.txt"
        txt_path.write_text("\n".join(txt) + "\n", encoding="utf-8")
        written += [json_path, txt_path]
    return written

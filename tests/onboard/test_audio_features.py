"""Audio features: config round-trip, golden vectors, generated header up to date, C++ == Python."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from wandlab.errors import ModelError
from wandlab.onboard import audio_features as af

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
CORE = ROOT / "firmware_sketches" / "wandlab_core"
CONFIG = af.AudioFeatureConfig()


def test_config_round_trip_and_shape() -> None:
    assert af.AudioFeatureConfig.from_json(CONFIG.to_json()) == CONFIG
    assert CONFIG.shape == (49, 40)
    with pytest.raises(ModelError):
        af.AudioFeatureConfig.from_dict({"bogus": 1})
    with pytest.raises(ModelError):
        af.AudioFeatureConfig(fft_size=500)


def test_every_mel_band_has_bins_and_silence_is_the_bottom_code() -> None:
    weights = af.mel_filterbank(CONFIG)
    assert weights.shape == (257, 40) and np.all(weights.sum(axis=0) > 0)
    q = af.clip_features(np.zeros(100, dtype=np.int16))
    assert q.shape == (49, 40) and np.all(q == -128)


def test_batch_equals_single_and_fit_clip_centres() -> None:
    rng = np.random.default_rng(0)
    clips = rng.integers(-3000, 3000, size=(3, 16000)).astype(np.int16)
    batch = af.log_mel(clips)
    assert np.array_equal(batch[1], af.log_mel(clips[1]))
    short = np.ones(1000, dtype=np.int16)
    fitted = af.fit_clip(short)
    assert len(fitted) == 16000 and fitted[7500:8500].all() and not fitted[:7000].any()


@pytest.mark.parametrize("name", sorted(af.golden_signals()))
def test_golden_vectors_match(name: str) -> None:
    doc = json.loads((VECTORS / f"audio_features_{name}.json").read_text())
    assert af.AudioFeatureConfig.from_dict(doc["config"]) == CONFIG
    pcm = np.asarray(doc["samples"], dtype=np.int16)
    assert np.array_equal(pcm, af.golden_signals()[name])
    feats = af.log_mel(pcm)
    want = np.asarray(doc["log_mel"], dtype=np.float32).reshape(feats.shape)
    np.testing.assert_allclose(feats, want, atol=1e-5)
    assert np.array_equal(af.quantize(feats), np.asarray(doc["quantized"]).reshape(feats.shape))


FLOAT = re.compile(r"-?\d+\.\d*(?:[eE][-+]?\d+)?f?|-?\d+[eE][-+]?\d+f?")


def _split_floats(text: str) -> tuple[str, list[float]]:
    """The text with every float literal replaced by a marker, and the floats."""
    values = [float(m.rstrip("fF")) for m in FLOAT.findall(text)]
    return FLOAT.sub("<f>", text), values


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= 1e-6 * max(1, abs(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return a == b


def test_generated_header_and_json_are_up_to_date(tmp_path: Path) -> None:
    # The constants (window, mel weights) come from numpy's float maths, whose last bit depends on the
    # CPU's vector paths (AVX-512 or not): the text must match exactly, the numbers to 1e-6.
    header, js = tmp_path / "h.h", tmp_path / "c.json"
    af.export_constants(CONFIG, header, js)
    text, values = _split_floats(header.read_text())
    want_text, want_values = _split_floats((CORE / "src" / "audio_features.h").read_text())
    assert text == want_text, "regenerate the header: wandlab.onboard.audio_features.export_constants"
    assert _close(values, want_values), "header constants differ by more than float noise: regenerate it"
    assert _close(json.loads(js.read_text()), json.loads((VECTORS / "audio_features_constants.json").read_text()))
    assert "#define" not in header.read_text()


def test_the_header_check_notices_a_changed_constant() -> None:
    text = (CORE / "src" / "audio_features.h").read_text()
    _, values = _split_floats(text)
    assert len(values) > 100  # window and mel weights are in there
    _, nudged = _split_floats(FLOAT.sub(lambda m: "0.5f" if m.start() == FLOAT.search(text).start() else m.group(),
                                        text))
    assert not _close(nudged, values) or values[0] == 0.5


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_cpp_matches_python(tmp_path: Path) -> None:
    exe = tmp_path / "test_audio_features"
    subprocess.run(
        [
            "g++",
            "-std=c++17",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{CORE / 'src'}",
            str(CORE / "tests" / "test_audio_features.cpp"),
            str(CORE / "src" / "audio_features.cpp"),
            "-o",
            str(exe),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    files = sorted(str(p) for p in VECTORS.glob("audio_features_*.txt"))
    assert len(files) == len(af.golden_signals())
    run = subprocess.run([str(exe), *files], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    summary = re.search(r"int8_off_by_one=(\d+) of (\d+) PASS", run.stdout)
    assert summary, run.stdout
    off, total = int(summary.group(1)), int(summary.group(2))
    assert off <= total * 0.005, f"{off} of {total} int8 codes differ by one: more than boundary noise"

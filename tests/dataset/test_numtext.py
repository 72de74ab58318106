from __future__ import annotations

import json

import numpy as np

from wandlab.dataset.numtext import float32_lines, rate_text


def parse(lines: list[str]) -> np.ndarray:
    return np.array([[float(v) for v in line.split(",")] for line in lines]).astype(np.float32)


def test_any_float32_survives_text_exactly():
    rng = np.random.default_rng(1)
    scale = 10.0 ** rng.integers(-8, 8, (500, 6))
    data = (rng.standard_normal((500, 6)) * scale).astype(np.float32)
    data[0] = [0.0, -0.0, 1e-45, -3.4028235e38, 0.1, 1 / 3]
    back = parse(float32_lines(data))
    assert np.array_equal(back.view(np.uint32), data.view(np.uint32))  # bit-for-bit, sign of zero too


def test_short_decimals_stay_short_and_json_keeps_negative_zero():
    data = np.array([[-0.067627, 7.0985, -0.0], [1.0, 2.5, 100.0]], dtype=np.float32)
    lines = float32_lines(data)
    assert lines == ["-0.067627,7.0985,-0.0", "1,2.5,100"]
    assert np.signbit(json.loads(f"[{lines[0]}]")[2])


def test_rate_text():
    assert (rate_text(100.0), rate_text(119.5), rate_text(1000 / 3)) == ("100", "119.5", repr(1000 / 3))

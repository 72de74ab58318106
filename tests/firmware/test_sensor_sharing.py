"""Who gets a board's IMU and microphone (firmware_sketches/wandlab_core/src/sensor_sharing.h, which the XIAO,
Nano 33 and ESP32-S3 layers all run): the C++ host test tests/test_sensor_sharing.cpp with fakes of the
sensor drivers and the recognition, plain and under ASan + UBSan - the recogniser keeps the IMU at its rate
when the host stops streaming, a stored wake word keeps the microphone, the detector's ring restarts with
the host's, a dead IMU is never started."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "firmware_sketches" / "wandlab_core"
FLAGS = {"plain": ["-O2"], "san": ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]}

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


@pytest.mark.parametrize("kind", ["plain", "san"])
def test_the_recogniser_and_the_words_keep_their_sensors_beside_the_hosts_streams(tmp_path: Path, kind: str) -> None:
    exe = tmp_path / "test_sensor_sharing"
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", *FLAGS[kind], f"-I{CORE / 'src'}", "-o", str(exe),
           str(CORE / "tests" / "test_sensor_sharing.cpp")]
    built = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    if built.returncode != 0 and kind == "san" and ("asan" in built.stderr.lower() or "ubsan" in built.stderr.lower()):
        pytest.skip(f"sanitizer runtime not available: {built.stderr.strip()[-200:]}")
    assert built.returncode == 0, built.stderr
    result = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and ", 0 failures" in result.stdout, result.stdout + result.stderr

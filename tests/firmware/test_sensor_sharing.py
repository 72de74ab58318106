"""Who gets a board's IMU and microphone (firmware_sketches/wandlab_core/src/sensor_sharing.h, which the XIAO,
Nano 33 and ESP32-S3 layers all run): the C++ host test tests/test_sensor_sharing.cpp with fakes of the
sensor drivers and the recognition, plain and under ASan + UBSan - the recogniser keeps the IMU at its rate
when the host stops streaming, a stored wake word keeps the microphone, the detector's ring restarts with
the host's, a dead IMU is never started."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.firmware.host_tests import KINDS, build_and_run

CORE = Path(__file__).resolve().parents[2] / "firmware_sketches" / "wandlab_core"

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed: cannot build the C++ core")


@pytest.mark.parametrize("kind", KINDS)
def test_the_recogniser_and_the_words_keep_their_sensors_beside_the_hosts_streams(tmp_path: Path, kind: str) -> None:
    result = build_and_run(tmp_path, [CORE / "tests" / "test_sensor_sharing.cpp"], kind, [CORE / "src"])
    assert result.returncode == 0 and ", 0 failures" in result.stdout, result.stdout + result.stderr

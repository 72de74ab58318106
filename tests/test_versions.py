"""`wandlab --version` and the About box state the formats the code really uses."""

from __future__ import annotations

from wandlab import versions
from wandlab.cli import main
from wandlab.ml.bundle import BUNDLE_VERSION
from wandlab.onboard.audio_features import FEATURE_VERSION as AUDIO_VERSION
from wandlab.onboard.board_image import IMAGE_VERSION
from wandlab.onboard.imu_features import FEATURE_VERSION as IMU_VERSION
from wandlab.protocol import PROTOCOL_VERSION


def test_the_version_table_restates_the_real_constants() -> None:
    assert versions.PROTOCOL_VERSION == int(PROTOCOL_VERSION)
    assert versions.BOARD_IMAGE_VERSION == IMAGE_VERSION
    assert versions.MODEL_BUNDLE_VERSION == BUNDLE_VERSION
    assert versions.IMU_FEATURES_VERSION == IMU_VERSION
    assert versions.AUDIO_FEATURES_VERSION == AUDIO_VERSION


def test_version_option_lists_app_protocol_formats_and_firmware(capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    out = capsys.readouterr().out
    assert out.startswith("wandlab 0.") or out.startswith("wandlab 1.")
    for name in ("Wire protocol", "Board firmware", "Board image format", "Model bundle format", "IMU features"):
        assert name in out

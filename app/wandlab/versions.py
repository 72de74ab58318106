"""What this Wandlab is and what it expects of the things it talks to: one table for ``wandlab --version``
and the About box. Light: no numpy, no Qt (the formats' version numbers are restated by tests that
import the real modules, so they cannot drift)."""

from __future__ import annotations

from wandlab import __version__

PROTOCOL_VERSION = 2  # wire protocol (docs/protocol.md); boards must speak the same
BOARD_IMAGE_VERSION = 1  # the "WLBI" image pushed to a model slot (onboard/board_image.py)
MODEL_BUNDLE_VERSION = 1  # wandlab-model-bundle folders and .zip files (ml/bundle.py)
IMU_FEATURES_VERSION = 2  # the gesture model's input window (onboard/imu_features.py)
AUDIO_FEATURES_VERSION = 1  # the speech model's log-mel input (onboard/audio_features.py)


def version_table() -> list[tuple[str, str]]:
    return [
        ("Wandlab", __version__),
        ("Wire protocol", f"v{PROTOCOL_VERSION}"),
        ("Board firmware", f"any firmware speaking protocol v{PROTOCOL_VERSION} (wandlab_core, the virtual wand)"),
        ("Board image format", f"v{BOARD_IMAGE_VERSION}"),
        ("Model bundle format", f"v{MODEL_BUNDLE_VERSION}"),
        ("IMU features", f"v{IMU_FEATURES_VERSION} (v1 bundles still load)"),
        ("Audio features", f"v{AUDIO_FEATURES_VERSION}"),
    ]


def version_text() -> str:
    rows = version_table()
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)

"""The Nano 33 BLE Sense Rev2 and XIAO ESP32S3 Sense board layers compile and link against stand-ins.

Neither board's core can be installed here (no Arduino mbed core, no Xtensa toolchain: TECH-NOTES "Firmware
builds"), so each layer's .cpp files and its .ino (as C++ with ``-include Arduino.h``, as arduino-builder
does) are compiled with g++ against ``firmware_sketches/standins/<core>``: headers that declare only what the
layers call, with the signatures of the real cores and libraries (each names the file and version it
follows). The objects are then linked with wandlab_core and a ``main()`` that calls ``setup()`` and
``loop()``, so a function declared but never defined fails too. A misspelt API, a wrong argument count or
type, or a missing definition fails the test; behaviour is not tested (the stand-ins do nothing).

Each layer links the whole recognition: wandlab_core's recogniser and wake-word
detector with the board limits its README builds with, the speech model compiled in (embed_binary.py) and
TFLM (firmware_sketches/tflm_host's libtflm.a, built here if missing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKETCHES = ROOT / "firmware_sketches"
CORE_SRC = SKETCHES / "wandlab_core" / "src"
STANDINS = SKETCHES / "standins"
GATT_LAYOUT_DIR = SKETCHES / "wandlab_xiao_sense"  # gatt_layout.h, shared with the XIAO (not copied)
TFLM_HOST = SKETCHES / "tflm_host"
VENDOR = Path(os.environ.get("WANDLAB_VENDOR", ROOT.parent / "shared" / "vendor"))
TFLM_LIBRARY = VENDOR / "libraries" / "Arduino_TensorFlowLite" / "src"
SPEECH_MODEL = ROOT / "models" / "speech_embedding" / "model.tflite"
# What a layer that only streams links against: the Board and what it uses.
BOARD_SOURCES = ("board", "fragments", "frame_resampler", "frame_decoder", "packet", "cobs", "crc32", "wire",
                 "messages")
# And one that recognises: the recogniser, the wake-word detector and the flash storage (the XIAO's
# Makefile's WANDLAB_SRC).
RECOGNITION_SOURCES = (*BOARD_SOURCES, "recognizer", "recognizer_tap", "model_slots", "slot_record", "sha256",
                       "board_image", "image_check", "model_runner", "image_sections", "json_reader", "knn",
                       "open_set", "message_text", "ref_store", "hid_settings", "hid_reports", "enroll_session",
                       "motion_segmenter", "imu_window", "board_words", "word_store", "wake_detector",
                       "audio_stream", "audio_features", "shape_dtw", "board_recognition", "paged_storage")
# The board limits the README's build passes (the XIAO's, ../wandlab_xiao_sense/Makefile BOARD_LIMITS).
BOARD_LIMITS = ("-DWANDLAB_MAX_OWN_CLASSES=8", "-DWANDLAB_REF_POOL_BYTES=4096", "-DWANDLAB_AUDIO_SLOTS=8",
                "-DWANDLAB_TAP_QUEUED_BLOCKS=4", "-DWANDLAB_WORD_POOL_BYTES=2048")
FLAGS = ["-std=gnu++17", "-O0", "-Wall", "-Wextra", "-Werror"]

pytestmark = pytest.mark.skipif(
    shutil.which("g++") is None, reason="g++ not installed: cannot compile the board layers against their stand-ins"
)


@dataclass(frozen=True)
class Layer:
    folder: str
    standins: str
    flags: tuple[str, ...] = ()
    # The namespace its speech_model() is generated in; None: the layer does not recognise.
    speech_namespace: str | None = None

    @property
    def core_sources(self) -> tuple[str, ...]:
        return RECOGNITION_SOURCES if self.speech_namespace else BOARD_SOURCES

    @property
    def path(self) -> Path:
        return SKETCHES / self.folder


LAYERS = {
    # The mbed core compiles with -funsigned-char (variants/ARDUINO_NANO33BLE/cxxflags.txt).
    "nano33_ble_sense": Layer("wandlab_nano33_ble_sense", "mbed_nano", ("-funsigned-char", *BOARD_LIMITS),
                              "wandlab::nano33"),
    "esp32s3": Layer("wandlab_esp32s3", "esp32", BOARD_LIMITS, "wandlab::esp32s3"),
}


def _includes(layer: Layer, folder: Path) -> list[str]:
    # Stand-ins as system headers, like a core's own: the warnings that count are our code's. gatt_layout.h's
    # folder comes last so that the layer's own usb_link.h, ble_link.h, ... win over the XIAO's.
    return [f"-I{folder}", f"-I{CORE_SRC}", "-isystem", str(STANDINS / layer.standins),
            "-idirafter", str(GATT_LAYOUT_DIR)]


def _compile(source: Path, out: list[str], flags: list[str]) -> subprocess.CompletedProcess[str]:
    language = ["-include", "Arduino.h", "-x", "c++"] if source.suffix == ".ino" else []
    cmd = ["g++", *FLAGS, *flags, *language, str(source), *out]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240)


def _sources(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.cpp")) + sorted(folder.glob("*.ino"))


def _tflm_library() -> Path:
    made = subprocess.run(["make", "-C", str(TFLM_HOST), "-j2", f"VENDOR={VENDOR}"], capture_output=True, text=True,
                          timeout=1800)
    assert made.returncode == 0, f"libtflm.a build failed:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}"
    return TFLM_HOST / "build" / "libtflm.a"


def _core_objects(layer: Layer, out: Path) -> list[Path]:
    # The core with the layer's flags (its board limits size the class table), TFLM's headers for the runner.
    tflm = ["-DARDUINO", "-DTF_LITE_USE_CTIME", "-isystem", str(TFLM_LIBRARY)]
    objects = [out / f"{name}.o" for name in layer.core_sources]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(
            lambda n_o: _compile(CORE_SRC / f"{n_o[0]}.cpp", ["-c", "-o", str(n_o[1])],
                                 [*layer.flags, f"-I{CORE_SRC}", *(tflm if n_o[0] == "model_runner" else [])]),
            zip(layer.core_sources, objects, strict=True),
        ))
    for name, result in zip(layer.core_sources, results, strict=True):
        assert result.returncode == 0, f"wandlab_core {name}.cpp:\n{result.stderr}"
    return objects


@pytest.mark.parametrize("board", sorted(LAYERS))
def test_layer_compiles_and_links_against_its_standins(board: str, tmp_path: Path) -> None:
    layer = LAYERS[board]
    if layer.speech_namespace and shutil.which("make") is None:
        pytest.skip("make not installed: cannot build libtflm.a for the recognition")
    if layer.speech_namespace and not (TFLM_LIBRARY / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").exists():
        pytest.skip(f"no vendored Arduino_TensorFlowLite at {TFLM_LIBRARY} (set WANDLAB_VENDOR)")
    sources = _sources(layer.path)
    assert any(s.suffix == ".ino" for s in sources) and len(sources) >= 6, sources
    libraries: list[str] = []
    if layer.speech_namespace:
        # As the README's build does: the speech model compiled into the sketch.
        generated = tmp_path / "speech_model.cpp"
        embed = [sys.executable, str(SKETCHES / "embed_binary.py"), str(SPEECH_MODEL), str(generated),
                 layer.speech_namespace, "speech_model"]
        assert subprocess.run(embed, capture_output=True, text=True, timeout=120).returncode == 0
        sources.append(generated)
        libraries = [str(_tflm_library()), "-lm"]
    flags = [*layer.flags, *_includes(layer, layer.path)]
    objects = [tmp_path / f"{s.name}.o" for s in sources]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda s_o: _compile(s_o[0], ["-c", "-o", str(s_o[1])], flags),
                                zip(sources, objects, strict=True)))
    failures = [f"{s.name}:\n{r.stderr}" for s, r in zip(sources, results, strict=True) if r.returncode != 0]
    assert not failures, "\n".join(failures)
    core = tmp_path / "core"
    core.mkdir()
    core_objects = _core_objects(layer, core)

    main = tmp_path / "main.cpp"
    main.write_text("void setup();\nvoid loop();\nint main() {\n  setup();\n  loop();\n  return 0;\n}\n")
    link = subprocess.run(
        ["g++", *FLAGS, str(main), *map(str, objects), *map(str, core_objects), *libraries,
         "-o", str(tmp_path / board)],
        capture_output=True, text=True, timeout=240,
    )
    assert link.returncode == 0, f"link:\n{link.stderr}"


# One API slip per line: each must fail to compile, or the stand-ins accept too much. (file, good, bad)
_SLIPS = {
    "nano33 misspelt ArduinoBLE call": (
        "nano33_ble_sense", "ble_link.cpp", "BLE.setAdvertisedService(s.wandlab)",
        "BLE.setAdvertisedServices(s.wandlab)"),
    "nano33 BMI270 read with two axes": (
        "nano33_ble_sense", "imu_bmi270.cpp", "IMU.readGyroscope(gx, gy, gz)", "IMU.readGyroscope(gx, gy)"),
    "nano33 LED level as an int (mbed's digitalWrite takes PinStatus)": (
        "nano33_ble_sense", "nano33_board.cpp", "constexpr PinStatus kLedOn = LOW;", "constexpr uint8_t kLedOn = LOW;"),
    "nano33 PDM callback with an argument": (
        "nano33_ble_sense", "microphone.cpp", "void on_pdm_data() {", "void on_pdm_data(int) {"),
    "esp32s3 NimBLE C flag name in the C++ API": (
        "esp32s3", "ble_link.cpp", "NIMBLE_PROPERTY::WRITE_NR", "NIMBLE_PROPERTY::WRITE_NO_RSP"),
    "esp32s3 NimBLE callback with the 1.x signature": (
        "esp32s3", "ble_link.cpp", "NimBLEConnInfo& info, int /*reason*/) override", "NimBLEConnInfo& info) override"),
    "esp32s3 I2S mode misspelt": (
        "esp32s3", "microphone.cpp", "I2S_MODE_PDM_RX", "I2S_MODE_PDM_RX_MONO"),
    "esp32s3 HWCDC bulk read that does not exist": (
        "esp32s3", "usb_link.cpp", "return Serial.read(out, n);", "return Serial.readBuffer(out, n);"),
}


@pytest.mark.parametrize("slip", sorted(_SLIPS))
def test_standins_reject_api_slips(slip: str, tmp_path: Path) -> None:
    board, name, good, bad = _SLIPS[slip]
    layer = LAYERS[board]
    folder = tmp_path / layer.folder
    shutil.copytree(layer.path, folder)
    source = folder / name
    text = source.read_text()
    assert text.count(good) == 1, f"{name} no longer has {good!r} once: update this slip"
    source.write_text(text.replace(good, bad))
    result = _compile(source, ["-fsyntax-only"], [*layer.flags, *_includes(layer, folder)])
    assert result.returncode != 0, f"{slip}: compiled with {bad!r}: the stand-in accepts too much"
    assert "error" in result.stderr


def test_every_standin_names_what_it_follows() -> None:
    headers = sorted(STANDINS.rglob("*.h"))
    assert {h.parent.name for h in headers} >= {"mbed_nano", "esp32"}
    for header in headers:
        head = header.read_text()[:1500]
        assert "Stand-in for" in head, header
        assert any(word in head for word in ("commit", "1.", "3.x", "4.x", "5.x")), f"{header}: no version cited"


def test_wandlab_core_is_an_arduino_library_without_arduino_headers() -> None:
    """library.properties names the library at the firmware's version; src/ (what Arduino compiles) stays portable."""
    fields = dict(
        line.split("=", 1) for line in (CORE_SRC.parent / "library.properties").read_text().splitlines() if "=" in line
    )
    for key in ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "architectures"):
        assert fields.get(key), f"library.properties has no {key}"
    version = (CORE_SRC / "firmware_version.h").read_text().split('kFirmwareVersion = "', 1)[1].split('"', 1)[0]
    assert fields["version"] == version
    assert "Arduino_TensorFlowLite" in fields["depends"]  # the model runner's TFLM
    for source in sorted(CORE_SRC.iterdir()):
        text = source.read_text()
        assert "#include <Arduino.h>" not in text and '#include "Arduino.h"' not in text, source.name

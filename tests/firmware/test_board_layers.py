"""The Nano 33 BLE Sense Rev2 and XIAO ESP32S3 Sense board layers compile and link against stand-ins.

Neither board's core can be installed here (no Arduino mbed core, no Xtensa toolchain: TECH-NOTES "Firmware
builds"), so each layer's .cpp files and its .ino (as C++ with ``-include Arduino.h``, as arduino-builder
does) are compiled with g++ against ``firmware_sketches/standins/<core>``: headers that declare only what the
layers call, with the signatures of the real cores and libraries (each names the file and version it
follows). The objects are then linked with wandlab_core and a ``main()`` that calls ``setup()`` and
``loop()``, so a function declared but never defined fails too. A misspelt API, a wrong argument count or
type, or a missing definition fails the test; behaviour is not tested (the stand-ins do nothing).
"""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKETCHES = ROOT / "firmware_sketches"
CORE_SRC = SKETCHES / "wandlab_core" / "src"
STANDINS = SKETCHES / "standins"
GATT_LAYOUT_DIR = SKETCHES / "wandlab_xiao_sense"  # gatt_layout.h, shared with the XIAO (not copied)
# What a layer links against: the Board and what it uses (no TFLM, features or image validator yet).
CORE_SOURCES = ["board", "fragments", "frame_resampler", "frame_decoder", "packet", "cobs", "crc32", "wire", "messages"]
FLAGS = ["-std=gnu++17", "-O0", "-Wall", "-Wextra", "-Werror"]

pytestmark = pytest.mark.skipif(
    shutil.which("g++") is None, reason="g++ not installed: cannot compile the board layers against their stand-ins"
)


@dataclass(frozen=True)
class Layer:
    folder: str
    standins: str
    flags: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return SKETCHES / self.folder


LAYERS = {
    # The mbed core compiles with -funsigned-char (variants/ARDUINO_NANO33BLE/cxxflags.txt).
    "nano33_ble_sense": Layer("wandlab_nano33_ble_sense", "mbed_nano", ("-funsigned-char",)),
    "esp32s3": Layer("wandlab_esp32s3", "esp32"),
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


@pytest.fixture(scope="module")
def core_objects(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("wandlab_core_objects")
    objects = [out / f"{name}.o" for name in CORE_SOURCES]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(
            lambda n_o: _compile(CORE_SRC / f"{n_o[0]}.cpp", ["-c", "-o", str(n_o[1])], [f"-I{CORE_SRC}"]),
            zip(CORE_SOURCES, objects, strict=True),
        ))
    for name, result in zip(CORE_SOURCES, results, strict=True):
        assert result.returncode == 0, f"wandlab_core {name}.cpp:\n{result.stderr}"
    return objects


@pytest.mark.parametrize("board", sorted(LAYERS))
def test_layer_compiles_and_links_against_its_standins(board: str, core_objects: list[Path], tmp_path: Path) -> None:
    layer = LAYERS[board]
    sources = _sources(layer.path)
    assert any(s.suffix == ".ino" for s in sources) and len(sources) >= 6, sources
    flags = [*layer.flags, *_includes(layer, layer.path)]
    objects = [tmp_path / f"{s.name}.o" for s in sources]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda s_o: _compile(s_o[0], ["-c", "-o", str(s_o[1])], flags),
                                zip(sources, objects, strict=True)))
    failures = [f"{s.name}:\n{r.stderr}" for s, r in zip(sources, results, strict=True) if r.returncode != 0]
    assert not failures, "\n".join(failures)

    main = tmp_path / "main.cpp"
    main.write_text("void setup();\nvoid loop();\nint main() {\n  setup();\n  loop();\n  return 0;\n}\n")
    link = subprocess.run(
        ["g++", *FLAGS, str(main), *map(str, objects), *map(str, core_objects), "-o", str(tmp_path / board)],
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

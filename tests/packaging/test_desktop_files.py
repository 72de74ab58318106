"""Desktop packaging files: what a Linux desktop, a software centre, udev and PyInstaller read.

The validators are Debian's (desktop-file-utils, appstream); each test that needs one skips, saying which
package to install, when it is missing.
"""

import configparser
import importlib.util
import json
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import wandlab

ROOT = Path(__file__).parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / "linux" / "io.wandlab.Wandlab.desktop"
METAINFO = PACKAGING / "linux" / "io.wandlab.Wandlab.metainfo.xml"
UDEV_RULES = PACKAGING / "linux" / "60-wandlab.rules"
ICONS = PACKAGING / "icons"
SPEC = PACKAGING / "pyinstaller" / "wandlab.spec"
ENTRY = PACKAGING / "pyinstaller" / "wandlab_main.py"
SEEED_BOARDS = ROOT.parent / "shared" / "vendor" / "hardware" / "Seeeduino" / "nrf52" / "boards.txt"
APP_ID = "io.wandlab.Wandlab"

# (vendor, product) of the USB serial ports of the supported boards, application and bootloader.
BOARD_USB_IDS = {
    ("2886", "8045"), ("2886", "0045"),  # Seeed XIAO nRF52840 Sense
    ("2341", "805a"), ("2341", "005a"),  # Arduino Nano 33 BLE / Sense Rev2
    ("303a", "1001"),  # Espressif ESP32-S3 native USB (USB-Serial/JTAG)
}


def need_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return path


# --- .desktop ---------------------------------------------------------------------------------------

def test_desktop_file_passes_desktop_file_validate():
    tool = need_tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stdout + result.stderr


def test_desktop_file_starts_the_gui_with_the_app_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "wandlab"
    assert section["Icon"] == APP_ID  # the name the README installs the icons under
    assert DESKTOP.name == f"{APP_ID}.desktop"


# --- AppStream metainfo -----------------------------------------------------------------------------

def test_metainfo_passes_appstreamcli_validate():
    tool = need_tool("appstreamcli", "appstream")
    result = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_describes_this_release_and_launches_the_desktop_file():
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("summary")
    assert root.find("description") is not None and root.find("content_rating") is not None
    assert root.findtext("developer/name") == "Wandlab"
    releases = {r.get("version"): r.get("date") for r in root.iter("release")}
    assert releases.get("0.1.0") == "2026-12-06"
    assert wandlab.__version__ in releases, "add a <release> for the app's current version"


# --- udev ---------------------------------------------------------------------------------------------

RULE_TERM = re.compile(r'\s*([A-Z]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(,|$)')


def parse_rule(line: str) -> list[tuple[str, str, str]]:
    """A udev rule line as (key, operator, value) terms; fails on anything else."""
    terms, pos = [], 0
    while pos < len(line):
        match = RULE_TERM.match(line, pos)
        assert match, f"cannot parse udev rule at column {pos}: {line!r}"
        terms.append(match.groups()[:3])
        pos = match.end()
    return terms


def udev_rules() -> list[list[tuple[str, str, str]]]:
    lines = UDEV_RULES.read_text(encoding="utf-8").splitlines()
    return [parse_rule(line) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_udev_rules_parse_and_give_the_session_user_each_board_serial_port():
    rules = udev_rules()
    ids = set()
    for terms in rules:
        as_dict = {(key, op): value for key, op, value in terms}
        assert as_dict[("SUBSYSTEM", "==")] == "tty"
        vendor, product = as_dict[("ATTRS{idVendor}", "==")], as_dict[("ATTRS{idProduct}", "==")]
        assert re.fullmatch(r"[0-9a-f]{4}", vendor) and re.fullmatch(r"[0-9a-f]{4}", product)  # as sysfs spells them
        assert as_dict[("TAG", "+=")] == "uaccess"
        assert as_dict[("MODE", "=")] == "0660" and as_dict[("GROUP", "=")] == "plugdev"
        ids.add((vendor, product))
    assert ids == BOARD_USB_IDS
    assert len(rules) == len(BOARD_USB_IDS)


def test_udev_rule_file_sorts_before_logind_applies_uaccess():
    # 73-seat-late.rules turns the uaccess tag into an ACL; a rule file sorting after it is too late.
    assert int(UDEV_RULES.name.split("-")[0]) < 73


@pytest.mark.skipif(not SEEED_BOARDS.is_file(), reason="the vendored Seeed nRF52 core is not in ../shared/vendor")
def test_udev_rules_cover_the_xiao_sense_ids_of_the_vendored_board_core():
    text = SEEED_BOARDS.read_text(encoding="utf-8", errors="replace")
    ids = set(re.findall(r"^xiaonRF52840Sense\.vid\.(\d+)=0x(\w+)$", text, re.MULTILINE))
    pids = dict(re.findall(r"^xiaonRF52840Sense\.pid\.(\d+)=0x(\w+)$", text, re.MULTILINE))
    board_ids = {(vid.lower(), pids[n].lower()) for n, vid in ids}
    assert board_ids, "no xiaonRF52840Sense vid/pid in boards.txt"
    rule_ids = {(values["ATTRS{idVendor}"], values["ATTRS{idProduct}"])
                for values in ({key: value for key, _, value in terms} for terms in udev_rules())}
    assert board_ids <= rule_ids


# --- icons --------------------------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_svg_icon_is_a_square_scalable_svg():
    root = ET.parse(ICONS / "wandlab.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _x, _y, width, height = (float(v) for v in root.get("viewBox", "").split())
    assert width == height


@pytest.mark.parametrize("size", [48, 128, 256])
def test_png_icon_renders_exist_at_hicolor_sizes(size):
    assert png_size(ICONS / f"wandlab-{size}.png") == (size, size)


def test_windows_and_macos_icons_exist():
    assert (ICONS / "wandlab.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (ICONS / "wandlab.icns").read_bytes()[:4] == b"icns"


# --- PyInstaller recipe -------------------------------------------------------------------------------

def test_spec_names_the_entry_script_and_is_python():
    text = SPEC.read_text(encoding="utf-8")
    compile(text, str(SPEC), "exec")
    assert ENTRY.name in text and ENTRY.is_file()
    for needle in ("wandlab.ico", "wandlab.icns", "console=False", "BUNDLE(", "bundle_identifier",
                   "NSBluetoothAlwaysUsageDescription"):
        assert needle in text, f"the spec lost its Windows/macOS part: {needle}"


def run_entry(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ENTRY), *args], capture_output=True, text=True, timeout=120)


def test_entry_script_runs_modules_like_python_dash_m():
    result = run_entry("-m", "wandlab.cli", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"wandlab {wandlab.__version__}"


@pytest.mark.skipif(importlib.util.find_spec("tf_keras") is not None, reason="tf_keras is installed here")
def test_entry_script_tells_the_training_runner_what_to_install():
    # In a lite bundle TensorFlow is missing; tf_keras stands in for it here (also a training module).
    result = run_entry("-m", "tf_keras")
    assert result.returncode == 1
    event = json.loads(result.stdout.strip().splitlines()[-1])
    assert event["event"] == "error"
    assert "TensorFlow" in event["message"] and "pip install" in event["message"]
    assert "Traceback" not in result.stderr

"""``wandlab flash``: only models reach the board; whatever is refused, here or on the board, is said in a
sentence naming the file, the command exits non-zero and the board keeps the model it had."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.virtual.gesture_models import gesture_bundle, image, image_with_op
from wandlab.cli import main
from wandlab.ml.bundle import save_bundle


@pytest.fixture
def port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A virtual wand whose flash is a folder (each command's link boots it from there), holding 'working'."""
    spec = f"virtual:?state={tmp_path / 'flash'}"
    good = tmp_path / "working.wlbi"
    good.write_bytes(image())
    assert main(["flash", "--port", spec, str(good)]) == 0
    assert "working is active in slot A" in capsys.readouterr().out
    return spec


def active_model(port: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["board", "models", "--port", port]) == 0
    active = [line for line in capsys.readouterr().out.splitlines() if line.startswith("*")]
    return active[0].split(": ", 1)[1].split()[0] if active else ""


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file or folder, what the sentence must say)."""
    good = image()
    zipped = save_bundle(gesture_bundle(), tmp_path / "bundle.zip")
    cut_zip = tmp_path / "cut.zip"
    cut_zip.write_bytes(zipped.read_bytes()[: zipped.stat().st_size // 2])
    not_a_bundle = tmp_path / "photos"
    not_a_bundle.mkdir()
    (not_a_bundle / "cat.jpg").write_bytes(b"\xff\xd8\xff")
    files = {
        "cut.zip": (cut_zip, "not a readable zip file"),
        "photos": (not_a_bundle, "no manifest.json - not a model bundle"),
        "cut.wlbi": (good[: len(good) - 1000], "board image truncated"),
        "magic.wlbi": (b"WLBX" + good[4:], "not a Wandlab board image"),
        "noise.bin": (np.random.default_rng(3).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
                      "not a Wandlab board image"),
        "model.tflite": (gesture_bundle().tflite, "is a bare .tflite model"),
        "empty.wlbi": (b"", "board image truncated"),
    }
    out = {}
    for name, (content, reason) in files.items():
        path = content if isinstance(content, Path) else tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        out[name] = (path, reason)
    return out


NAMES = ["cut.zip", "photos", "cut.wlbi", "magic.wlbi", "noise.bin", "model.tflite", "empty.wlbi"]


@pytest.mark.parametrize("name", NAMES)
def test_a_file_that_is_not_a_model_is_refused_before_anything_is_sent(
    tmp_path: Path, port: str, name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, reason = bad_files(tmp_path)[name]
    import wandlab.commands.board as board_command

    opened = []
    monkeypatch.setattr(board_command, "open_link", lambda spec: opened.append(spec))
    assert main(["flash", "--port", port, str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and reason in err, err
    assert "Traceback" not in err
    assert opened == []  # never connected: nothing was sent
    monkeypatch.undo()
    assert active_model(port, capsys) == "working"


def test_a_model_the_board_cannot_run_is_refused_by_the_board_and_the_old_one_stays(
    tmp_path: Path, port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tanh = tmp_path / "tanh.wlbi"
    tanh.write_bytes(image_with_op("TANH"))  # a complete, valid image: only the board knows its ops
    assert main(["flash", "--port", port, str(tanh)]) == 1
    out = capsys.readouterr()
    assert "wandlab: the board refused the model: the model uses op(s) the firmware does not have: TANH" in out.err
    assert "the previous model stays active" in out.err
    assert "is active in slot" not in out.out
    assert active_model(port, capsys) == "working"


def test_a_bundle_folder_and_its_zip_are_flashed_as_board_images(tmp_path: Path, port: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = save_bundle(gesture_bundle(), tmp_path / "gesture")
    assert main(["flash", "--port", port, str(folder)]) == 0
    assert "gesture is active in slot B" in capsys.readouterr().out
    zipped = save_bundle(gesture_bundle(), tmp_path / "zipped.zip")
    assert main(["flash", "--port", port, str(zipped), "--model-id", "from-zip"]) == 0
    assert active_model(port, capsys) == "from-zip"


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flash", "--port", "virtual:", str(tmp_path / "nope.zip")]) == 1
    assert f"{tmp_path / 'nope.zip'}: no such file or folder" in capsys.readouterr().err

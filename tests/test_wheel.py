"""The package stands alone: a wheel built from the checkout carries everything, and runs from elsewhere.

The wheel goes into a fresh virtual environment; its third-party dependencies are borrowed from the
project's environment through a .pth file (installing TensorFlow again would take minutes and the
network), but not its editable ``wandlab``, so every ``wandlab`` module and model comes from the wheel.
``benchmarks/check_wheel.sh`` does the full thing with a real ``pip install dist/*.whl``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    (whl,) = out.glob("wandlab-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env_dir = tmp_path_factory.mktemp("fresh-venv")
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return env_dir


def _run(env_dir: Path, *args: str, cwd: Path, timeout: float = 240, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    return subprocess.run([str(env_dir / "bin" / "wandlab"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**environ, **env})


def test_every_package_folder_and_the_models_are_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in (ROOT / "app").rglob("__init__.py"):
        assert str(init.relative_to(ROOT / "app")) in names, f"{init.parent.name} is missing from [tool.setuptools]"
    for model in ("gesture_accel", "gesture_accel_gyro"):
        for part in ("manifest.json", "model.tflite", "recognizer.json", "labels.json", "features.json",
                     "negatives.npz"):
            assert f"wandlab/models/{model}/{part}" in names
    assert "wandlab/models/speech_embedding/model.tflite" in names


def test_installed_wheel_runs_from_an_unrelated_folder(installed: Path, tmp_path: Path) -> None:
    where = _run(installed, "--version", cwd=tmp_path)
    assert where.returncode == 0 and where.stdout.startswith("wandlab "), where.stderr
    origin = subprocess.run([str(installed / "bin" / "python"), "-c",
                             "import wandlab, wandlab.ml.shipped as s; print(wandlab.__file__); "
                             "print(s.base_gesture_model(6))"], cwd=tmp_path, capture_output=True, text=True)
    module, model = origin.stdout.split()
    assert str(installed) in module and str(installed) in model and str(ROOT) not in module + model


@pytest.mark.slow
def test_installed_wheel_trains_and_opens_its_window(installed: Path, tmp_path: Path) -> None:
    bench = _run(installed, "bench", "train", "--classes", "3", "--takes", "6", "--epochs", "2", "--json",
                 cwd=tmp_path)
    assert bench.returncode == 0, bench.stderr[-2000:]
    result = json.loads(bench.stdout.strip().splitlines()[-1])
    assert result["bit_exact"] is True and result["model_bytes"] > 0
    gui = _run(installed, "--project", str(tmp_path / "project"), cwd=tmp_path, timeout=120,
               QT_QPA_PLATFORM="offscreen", WANDLAB_QUIT_AFTER_S="1", HOME=str(tmp_path))
    assert gui.returncode == 0, gui.stderr[-2000:]
    assert "window shown: Wandlab" in gui.stdout

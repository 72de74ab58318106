"""Smoke-test a built Wandlab bundle and report its size; run by benchmarks/build_desktop_bundle.sh.

    python packaging/pyinstaller/check_bundle.py dist/wandlab [--variant lite|full] [--build-s S]
        [--setup-s S] [--json]

Runs the bundle's executable with a minimal environment (no PYTHONPATH, no virtual environment) and
checks, each in a fresh process:

- start-up: ``WANDLAB_SMOKE_TEST=1`` with ``QT_QPA_PLATFORM=offscreen`` opens the GUI, the entry script
  prints the main window's title and closes it; start-up seconds = launch to the title line. Also checks
  that no heavy ML module (tensorflow, ai_edge_litert, tflite_micro) was loaded by then.
- ``wandlab --version``;
- the shipped models are found through ``importlib.resources`` (``wandlab.models``) inside the bundle;
- training's dependency: the lite bundle answers ``-m tensorflow`` with the JSON error line the training
  runner reads; the full bundle imports TensorFlow.

Prints a table, or with --json one JSON object (bundle_bytes, files, build_s, startup_s, window_title,
ok, and the details). Exit status 0 only if every check passed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXE_NAMES = ("wandlab", "wandlab.exe", "Wandlab.exe")
HEAVY = ("tensorflow", "ai_edge_litert", "tflite_micro")
MODELS_CODE = (
    "import importlib.resources as r, json, pathlib\n"
    "d = pathlib.Path(str(r.files('wandlab.models')))\n"
    "print(d)\n"
    "print(json.dumps(sorted(p.parent.name for p in d.glob('*/manifest.json'))))\n"
)


def find_executable(bundle: Path) -> Path:
    for name in EXE_NAMES:
        if (bundle / name).is_file():
            return bundle / name
    raise SystemExit(f"check_bundle: no wandlab executable in {bundle}")


def bundle_variant(bundle: Path) -> str:
    """"lite" or "full", from the wandlab_bundle.json that wandlab.spec puts in the bundle."""
    for info in bundle.rglob("wandlab_bundle.json"):
        return str(json.loads(info.read_text(encoding="utf-8")).get("variant", "lite"))
    return "lite"


def bundle_size(bundle: Path) -> tuple[int, int]:
    total = files = 0
    for root, _dirs, names in os.walk(bundle):
        for name in names:
            path = Path(root, name)
            if not path.is_symlink():
                total += path.stat().st_size
                files += 1
    return total, files


def clean_env(home: str, **extra: str) -> dict[str, str]:
    """What a desktop session would pass: no Python variables from this shell."""
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": os.environ.get("LANG", "C.UTF-8"),
           "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": home}
    env.update(extra)
    return env


def smoke_start(exe: Path, home: str, timeout_s: float) -> dict[str, Any]:
    env = clean_env(home, WANDLAB_SMOKE_TEST="1", WANDLAB_SMOKE_TIMEOUT_S=str(int(timeout_s)))
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=home)
    result: dict[str, Any] = {"window_title": None, "startup_s": None, "heavy_modules": None}
    assert proc.stdout is not None
    for line in proc.stdout:
        key, _, value = line.rstrip("\n").partition(" ")
        if key == "WANDLAB_SMOKE_WINDOW":
            result["startup_s"] = round(time.perf_counter() - t0, 3)
            result["window_title"] = value
        elif key == "WANDLAB_SMOKE_HEAVY_MODULES":
            result["heavy_modules"] = [] if value == "-" else value.split(",")
        elif key == "WANDLAB_SMOKE_FAILED":
            result["failure"] = value
    try:
        rc = proc.wait(timeout_s + 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -9
    result["exit_s"] = round(time.perf_counter() - t0, 3)
    result["rc"] = rc
    assert proc.stderr is not None
    result["stderr_tail"] = proc.stderr.read()[-2000:]
    return result


def run(exe: Path, args: list[str], home: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=clean_env(home), cwd=home,
                          timeout=timeout_s)


def check(bundle: Path, variant: str, timeout_s: float) -> dict[str, Any]:
    exe = find_executable(bundle)
    size, files = bundle_size(bundle)
    report: dict[str, Any] = {"bundle": str(bundle), "variant": variant, "bundle_bytes": size, "files": files}
    with tempfile.TemporaryDirectory(prefix="wandlab-smoke-home-") as home:
        start = smoke_start(exe, home, timeout_s)
        report.update(window_title=start["window_title"], startup_s=start["startup_s"],
                      exit_s=start["exit_s"], startup_rc=start["rc"], heavy_modules_at_startup=start["heavy_modules"])
        if start.get("failure"):
            report["startup_failure"] = start["failure"]
        started = (start["rc"] == 0 and (start["window_title"] or "").startswith("Wandlab")
                   and start["heavy_modules"] == [])
        if not started:
            report["startup_stderr_tail"] = start["stderr_tail"]

        version = run(exe, ["--version"], home)
        report["version"] = (version.stdout or version.stderr).strip()
        version_ok = version.returncode == 0 and report["version"].startswith("wandlab ")

        models = run(exe, ["-c", MODELS_CODE], home)
        lines = models.stdout.splitlines()
        report["models_dir"] = lines[0] if lines else None
        report["models"] = json.loads(lines[1]) if len(lines) > 1 else []
        models_ok = (models.returncode == 0 and bool(report["models"])
                     and Path(report["models_dir"] or "/").resolve().is_relative_to(bundle.resolve()))
        if not models_ok:
            report["models_stderr_tail"] = models.stderr[-2000:]

        if variant == "lite":
            # The training child's protocol: one JSON error event on stdout, saying what to install.
            probe = run(exe, ["-m", "tensorflow"], home)
            events = [json.loads(line) for line in probe.stdout.splitlines() if line.startswith("{")]
            message = events[-1].get("message", "") if events else ""
            training_ok = probe.returncode == 1 and "TensorFlow" in message and "install" in message
            report["training_check"] = message or probe.stderr[-500:]
        else:
            probe = run(exe, ["-c", "import tensorflow as tf; print(tf.__version__)"], home, timeout_s=300)
            training_ok = probe.returncode == 0
            report["training_check"] = f"tensorflow {probe.stdout.strip()}" if training_ok else probe.stderr[-2000:]
    report["checks"] = {"startup": started, "version": version_ok, "models": models_ok, "training": training_ok}
    report["ok"] = all(report["checks"].values())
    return report


def print_table(report: dict[str, Any]) -> None:
    def fmt(value: Any, unit: str = "") -> str:
        return "-" if value is None else f"{value}{unit}"

    rows = [
        ("bundle", f"{report['bundle']} ({report['variant']})"),
        ("size", f"{report['bundle_bytes'] / 1e6:.1f} MB, {report['files']} files"),
        ("build", fmt(report.get("build_s"), " s") + (f" (+{report['setup_s']} s venv set-up)"
                                                     if report.get("setup_s") else "")),
        ("start-up to main window", fmt(report["startup_s"], " s") + f" (process exited after {report['exit_s']} s)"),
        ("window title", fmt(report["window_title"])),
        ("heavy ML at start-up", ", ".join(report["heavy_modules_at_startup"] or []) or "none"),
        ("--version", report["version"].splitlines()[0] if report["version"] else "-"),
        ("shipped models", ", ".join(report["models"]) or "NOT FOUND"),
        ("training", report["training_check"].splitlines()[0][:100] if report["training_check"] else "-"),
        ("checks", ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in report["checks"].items())),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("OK" if report["ok"] else "FAILED")
    for key in ("startup_failure", "startup_stderr_tail", "models_stderr_tail"):
        if report.get(key):
            print(f"\n{key}:\n{report[key]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the one-folder bundle, e.g. dist/wandlab")
    parser.add_argument("--variant", choices=("lite", "full"),
                        help="what was built (default: what the bundle's wandlab_bundle.json says)")
    parser.add_argument("--build-s", type=float, help="seconds PyInstaller took (reported, not measured here)")
    parser.add_argument("--setup-s", type=float, help="seconds the build venv set-up took")
    parser.add_argument("--timeout-s", type=float, default=60, help="longest wait for the main window")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    variant = args.variant or bundle_variant(args.bundle)
    report = check(args.bundle, variant, args.timeout_s)
    report["build_s"] = args.build_s
    report["setup_s"] = args.setup_s
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

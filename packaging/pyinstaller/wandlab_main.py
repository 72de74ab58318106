"""Entry point of the frozen Wandlab app (PyInstaller); plays the part of both ``wandlab`` and ``python``.

    wandlab [ARGS...]              -> wandlab.cli.main(ARGS)   (no arguments: the GUI)
    wandlab -m MODULE [ARGS...]    -> run MODULE as __main__, like ``python -m``
    wandlab -c CODE [ARGS...]      -> run CODE, like ``python -c`` (diagnostics)

In a frozen app ``sys.executable`` is this program, so the app's child processes
(``[sys.executable, "-m", "wandlab.ml.train", REQUEST_JSON]`` for training, ``-m wandlab.cli`` in the
benchmarks) reach the same code with the same protocol as from a Python install.

A bundle built without TensorFlow ("lite") cannot train: a child that needs it ends with one JSON
``{"event": "error", "message": ...}`` line on its stdout (what the training runner reads) and the same
message on stderr, saying what to install, instead of a traceback.

``WANDLAB_SMOKE_TEST=1`` (used by benchmarks/build_desktop_bundle.sh): open the GUI, wait for the main
window, print ``WANDLAB_SMOKE_WINDOW <title>`` and which heavy ML modules are loaded, close the window
and exit 0; exit 3 if no main window appeared within ``WANDLAB_SMOKE_TIMEOUT_S`` (default 60) seconds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import runpy
import sys
import threading
import time
from pathlib import Path

SMOKE_ENV = "WANDLAB_SMOKE_TEST"
SMOKE_TIMEOUT_ENV = "WANDLAB_SMOKE_TIMEOUT_S"
DESKTOP_ID = "io.wandlab.Wandlab"  # packaging/linux/io.wandlab.Wandlab.desktop: Wayland app id
TRAINING_MODULES = ("tensorflow", "keras", "tf_keras", "tensorboard")  # absent from a lite bundle
HEAVY_MODULES = (*TRAINING_MODULES, "ai_edge_litert", "tflite_micro")  # never at start-up
BUNDLE_INFO = "wandlab_bundle.json"  # written by wandlab.spec: {"variant": "lite"|"full", ...}


def bundle_info() -> dict[str, object]:
    """What wandlab.spec recorded about this build ({} when run unfrozen)."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent))
    try:
        return dict(json.loads((base / BUNDLE_INFO).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def missing_training_message(missing: str) -> str:
    info = bundle_info()
    requirement = str(info.get("tensorflow_requirement") or "tensorflow")
    return (
        f"Training needs TensorFlow ({missing!r} could not be imported), which this Wandlab desktop bundle "
        f"({info.get('variant', 'lite')} build) does not include; everything else works without it. To "
        "train, run Wandlab from a Python 3.11 installation with TensorFlow (from a source checkout: "
        f"`./dev app`; or `pip install '{requirement}'` next to wandlab), or use a full bundle "
        "(`benchmarks/build_desktop_bundle.sh --full`)."
    )


def _is_training_dependency(exc: ModuleNotFoundError) -> bool:
    return (exc.name or "").split(".")[0] in TRAINING_MODULES


def run_module(module: str, args: list[str]) -> int:
    """``python -m module args...``; the training child's protocol survives a missing TensorFlow."""
    # Keep our own copy of the original stdout: wandlab.ml.train points fd 1 at stderr while it runs and
    # writes its JSON lines to a private duplicate, which we cannot reach after an exception.
    if sys.stdout is not None:  # None in a windowed Windows app started without pipes
        sys.stdout.flush()
    try:
        json_out: int | None = os.dup(1)
    except OSError:
        json_out = None
    sys.argv = [module, *args]  # runpy replaces argv[0] with the module's path, as ``python -m`` does
    try:
        top = module.split(".")[0]
        if top in TRAINING_MODULES and importlib.util.find_spec(top) is None:
            return _report_missing_training(top, json_out)  # runpy would raise a bare ImportError
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except ModuleNotFoundError as exc:
        if not _is_training_dependency(exc):
            raise
        return _report_missing_training(exc.name or "tensorflow", json_out)
    finally:
        if json_out is not None:
            os.close(json_out)
    return 0


def _report_missing_training(missing: str, json_out: int | None) -> int:
    """The error as the training runner reads it (one JSON event on stdout) and as a person reads it."""
    message = missing_training_message(missing)
    if sys.stderr is not None:
        print(f"wandlab: {message}", file=sys.stderr, flush=True)
    if json_out is not None:
        os.write(json_out, (json.dumps({"event": "error", "message": message}) + "\n").encode("utf-8"))
    return 1


def run_code(code: str, args: list[str]) -> int:
    sys.argv = ["-c", *args]
    exec(compile(code, "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    return 0


def _set_desktop_file_name(argv: list[str]) -> None:
    """So Wayland compositors match the window to io.wandlab.Wandlab.desktop (name and icon)."""
    gui = not argv or argv[0] == "gui" or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"))
    if gui:
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.setDesktopFileName(DESKTOP_ID)


def run_cli(argv: list[str]) -> int:
    from wandlab.cli import main

    _set_desktop_file_name(argv)
    try:
        return main(argv)
    except ModuleNotFoundError as exc:  # e.g. `wandlab train ...` in a lite bundle
        if not _is_training_dependency(exc):
            raise
        print(f"wandlab: {missing_training_message(exc.name or 'tensorflow')}", file=sys.stderr)
        return 1


def smoke_test() -> int:
    """Start the GUI, report the main window's title, close it; see the module docstring."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    timeout_s = float(os.environ.get(SMOKE_TIMEOUT_ENV, "60"))
    t0 = time.monotonic()
    seen: dict[str, str] = {}

    def give_up(code: int, why: str) -> None:
        print(f"WANDLAB_SMOKE_FAILED {why}", flush=True)
        os._exit(code)

    # A watchdog outside Qt's event loop: the smoke test must end even if the loop hangs.
    watchdog = threading.Timer(timeout_s + 30, give_up, (4, "the app did not exit after its window closed"))
    watchdog.daemon = True
    watchdog.start()

    # run_app() reuses an existing QApplication; creating it here lets the timer run inside its loop.
    app = QApplication.instance() or QApplication([sys.argv[0]])

    def poll() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
        if windows:
            window = windows[0]
            seen["title"] = window.windowTitle()
            heavy = sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY_MODULES))
            print(f"WANDLAB_SMOKE_WINDOW {seen['title']}", flush=True)
            print(f"WANDLAB_SMOKE_SHOWN_AFTER_S {time.monotonic() - t0:.3f}", flush=True)
            print(f"WANDLAB_SMOKE_HEAVY_MODULES {','.join(heavy) or '-'}", flush=True)
            window.close()  # the window releases the board, then run_app() returns
            QTimer.singleShot(int(timeout_s * 1000), app.quit)  # if closing stalls
            return
        if time.monotonic() - t0 > timeout_s:
            give_up(3, f"no main window after {timeout_s:.0f} s")
        QTimer.singleShot(100, poll)

    QTimer.singleShot(100, poll)
    rc = run_cli(["gui"])
    watchdog.cancel()
    if "title" not in seen:
        print("WANDLAB_SMOKE_FAILED the app exited without showing a main window", flush=True)
        return 3
    print(f"WANDLAB_SMOKE_EXIT {rc}", flush=True)
    return rc


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["-m"] and len(argv) >= 2:
        return run_module(argv[1], argv[2:])
    if argv[:1] == ["-c"] and len(argv) >= 2:
        return run_code(argv[1], argv[2:])
    if os.environ.get(SMOKE_ENV) == "1":
        return smoke_test()
    return run_cli(argv)


if __name__ == "__main__":
    # Frozen multiprocessing children (joblib/loky, concurrent.futures) start through this program too.
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())

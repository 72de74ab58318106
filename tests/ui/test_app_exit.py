"""``wandlab gui --port virtual:`` as a process: it connects at start and exits cleanly on close."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from wandlab.ui.app import _application, run_app

    app = _application(None)

    def close_main_window():
        for widget in app.topLevelWidgets():
            if type(widget).__name__ == "MainWindow":
                session = widget.session
                buffer = session.buffer
                print("streamed", session.connected, buffer.imu.total > 0, buffer.audio.total > 0)
                widget.close()

    QTimer.singleShot(2000, close_main_window)
    sys.exit(run_app(port="virtual:"))
""")


def test_gui_connects_at_start_and_closes_without_loop_errors(tmp_path) -> None:
    # A fresh HOME: the app opens (and creates) its default project there, not in the tester's home.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30,
                            env=env)
    assert result.returncode == 0, result.stderr
    assert "streamed True True True" in result.stdout
    for symptom in ("Traceback", "no running event loop", "Task was destroyed", "never awaited"):
        assert symptom not in result.stderr, result.stderr

"""Run training in a child process and stream its JSON-lines progress; cancellable.

Protocol: the child is ``python -m wandlab.ml.train REQUEST_JSON``; each stdout line is one JSON object
with an "event" key (start, epoch, converted, verified, done, error). stderr is TensorFlow's chatter,
kept in a bounded tail for error messages. Cancel = terminate (SIGTERM), then kill after a grace period;
a cancelled run writes no bundle (the bundle is written atomically at the very end).
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wandlab.errors import ModelError
from wandlab.ml.train import TrainRequest


class TrainingProcess:
    def __init__(self, request: TrainRequest, python: str | None = None) -> None:
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[2])  # app/ - works from a source checkout too
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self._proc = subprocess.Popen(
            [python or sys.executable, "-m", "wandlab.ml.train", request.to_json()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._reader.start()
        self.cancelled = False

    def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line.rstrip())

    def events(self) -> Iterator[dict[str, Any]]:
        """Yield events as they arrive; raises ModelError if the child fails (unless cancelled)."""
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue  # not ours; the child redirects chatter, but never trust a pipe
            if ev.get("event") == "error":
                self.wait()
                raise ModelError(ev.get("message", "training failed"))
            yield ev
        rc = self.wait()
        if rc != 0 and not self.cancelled:
            tail = "\n".join(list(self._stderr)[-8:])
            raise ModelError(f"training process exited with code {rc}:\n{tail}")

    def cancel(self, grace_s: float = 5.0) -> None:
        self.cancelled = True
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def wait(self, timeout: float | None = None) -> int:
        rc = self._proc.wait(timeout)
        self._reader.join(1.0)
        return rc

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

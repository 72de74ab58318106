"""Training in a subprocess: JSON-lines progress, and cancel leaves nothing behind."""

from __future__ import annotations

import time
from pathlib import Path

from wandlab.ml.runner import TrainingProcess
from wandlab.ml.synthetic import gesture_names, virtual_takes, write_folder
from wandlab.ml.train import TrainRequest


def test_training_can_be_cancelled(tmp_path: Path) -> None:
    data = write_folder(tmp_path / "data", virtual_takes(gesture_names(3), 6, [1, 2], seed=3))
    out = tmp_path / "bundle.zip"
    proc = TrainingProcess(TrainRequest(data_dirs=[str(data)], out=str(out), epochs=10_000))
    seen = []
    for ev in proc.events():
        seen.append(ev)
        if ev["event"] == "epoch" and ev["epoch"] >= 2:
            t0 = time.monotonic()
            proc.cancel()
            break
    assert [e["event"] for e in seen[:2]] == ["start", "epoch"]
    assert seen[-1]["epochs"] == 10_000 and 0 <= seen[-1]["accuracy"] <= 1
    proc.wait(10)
    assert not proc.running and time.monotonic() - t0 < 10
    assert not out.exists() and not list(tmp_path.glob("bundle.zip*"))

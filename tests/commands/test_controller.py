"""``wandlab flash/enroll/hid/refs/recognize`` against the virtual wand, state kept in a folder."""

from __future__ import annotations

from tests.virtual.gesture_models import BASE_MODEL
from wandlab.cli import main
from wandlab.dataset.project import Project


def test_cli_teaches_the_board_a_gesture_maps_keys_and_watches_it(tmp_path, capsys):
    port = f"virtual:?state={tmp_path}&person=3&seed=3"
    assert main(["flash", "--port", port, str(BASE_MODEL)]) == 0
    project = tmp_path / "project"
    assert main(["enroll", "--port", port, "--label", "wave", "--shots", "2", "--perform", "w",
                 "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.count("[captured]") == 2 and "'wave' is class 10" in out and "2 takes saved in the project" in out
    with Project.open(project) as p:
        assert p.label_counts(kind="imu") == {"wave": 2}  # the next Train & Flash includes the gesture
    assert main(["hid", "--port", port, "--preset", "arrow-keys"]) == 0
    out = capsys.readouterr().out
    assert "HID on" in out and "flick_left       -> Left arrow" in out
    assert main(["refs", "--port", port]) == 0
    assert "wave" in capsys.readouterr().out
    assert main(["recognize", "--port", port, "--seconds", "3.5", "--perform", "flick_left"]) == 0
    out = capsys.readouterr().out
    assert "flick_left" in out and "-> HID Left arrow (not sent: HID off or no paired computer connected)" in out

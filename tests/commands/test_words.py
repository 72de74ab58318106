"""``wandlab enroll-word`` and ``wandlab words`` against the virtual wand, state kept in a folder."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from wandlab.cli import main
from wandlab.dataset.project import Project
from wandlab.virtual.speech import espeak_available, synthesize_speech

WORD = "marmalade"
pytestmark = pytest.mark.skipif(not espeak_available(), reason="espeak-ng missing")


def test_the_virtual_wand_says_the_word_three_times_and_keeps_it(tmp_path, capsys):
    port = f"virtual:?state={tmp_path / 'wand'}"
    project = tmp_path / "project"
    assert (
        main(
            [
                "enroll-word",
                "--port",
                port,
                "--label",
                WORD,
                "--say",
                "0",
                "--key",
                "Ctrl+Space",
                "--project",
                str(project),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.count(f"say '{WORD}'") == 3 and out.count("take ") == 3
    assert f"'{WORD}' is word 0 on the board" in out and "presses Ctrl+Space" in out
    assert "3 takes" in out and "HID output is off" in out
    with Project.open(project) as p:
        assert p.label_counts(kind="audio") == {WORD: 3}
    assert main(["words", "--port", port]) == 0
    out = capsys.readouterr().out
    assert "1 wake words, speech model" in out and f"0 {WORD}" in out and "3 refs" in out and "-> Ctrl+Space" in out
    assert main(["words", "--port", port, "--clear", "all"]) == 0
    assert "0 wake words" in capsys.readouterr().out


def test_three_wav_files_enrol_a_word(tmp_path, capsys, monkeypatch):
    # Without --project the takes go where gesture enrolment keeps them: the default project.
    monkeypatch.setattr("wandlab.commands.record.DEFAULT_PROJECT", tmp_path / "default-project")
    paths = []
    rng = np.random.default_rng(0)
    for take in range(3):
        pcm = synthesize_speech(WORD, 0, 22050, take)  # another rate: the flow resamples
        pcm = np.concatenate([np.zeros(4000, np.int16), pcm, np.zeros(4000, np.int16)])
        pcm = (pcm + rng.normal(0, 30, len(pcm))).astype(np.int16)
        path = tmp_path / f"take{take}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
            w.writeframes(pcm.tobytes())
        paths.append(str(path))
    assert main(["enroll-word", "--port", "virtual:", "--label", WORD, "--wav", *paths]) == 0
    assert f"'{WORD}' is word 0 on the board" in capsys.readouterr().out
    with Project.open(tmp_path / "default-project") as p:
        assert p.label_counts() == {WORD: 3}
    assert main(["enroll-word", "--port", "virtual:", "--label", WORD, "--wav", *paths, "--no-save"]) == 0
    with Project.open(tmp_path / "default-project") as p:
        assert p.label_counts() == {WORD: 3}  # --no-save kept nothing more


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["enroll-word", "--port", "virtual:", "--label", "x", "--key", "Hyper+Q"], "unknown modifier 'Hyper'"),
        (["enroll-word", "--port", "virtual:", "--label", "x", "--wav", "a.wav", "b.wav", "c.wav"], "a.wav"),
        (["enroll-word", "--port", "virtual:", "--label", "x", "--sensitivity", "2"], "--sensitivity must be"),
        (["words", "--port", "virtual:", "--clear", "seven"], "--clear takes a word id or 'all'"),
        (["words", "--port", "virtual:", "--clear", "3"], "no word 3 on the board"),
        (["words", "--port", "nowhere:x"], "nowhere"),
    ],
)
def test_errors_are_one_sentence_and_exit_2(argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("wandlab: ") and says in err and "Traceback" not in err and err.count("\n") == 1

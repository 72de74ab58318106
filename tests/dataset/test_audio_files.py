"""Compressed speech takes (Opus, FLAC, OGG) import like WAV; a broken one is named, not a traceback."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from wandlab.dataset.audio_files import read_audio
from wandlab.dataset.folder import iter_folder
from wandlab.dataset.importer import import_source
from wandlab.dataset.jobs import run_job
from wandlab.dataset.sources import ImportOptions
from wandlab.errors import DatasetError

from .helpers import word


def write(path, pcm, rate, fmt, subtype):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), pcm, rate, format=fmt, subtype=subtype)


def test_flac_is_lossless_and_opus_is_close(tmp_path):
    pcm = word(rate=16000)
    write(tmp_path / "a.flac", pcm, 16000, "FLAC", "PCM_16")
    write(tmp_path / "b.opus", pcm, 16000, "OGG", "OPUS")
    flac, rate = read_audio(tmp_path / "a.flac")
    assert rate == 16000 and flac.dtype == np.int16 and np.array_equal(flac, pcm)
    opus, rate = read_audio(tmp_path / "b.opus")
    assert rate == 16000 and abs(len(opus) - len(pcm)) < 400
    n = min(len(opus), len(pcm))
    # lossy: the same word at a similar level, not the same samples
    assert np.std(opus[:n].astype(float)) == pytest.approx(np.std(pcm[:n].astype(float)), rel=0.3)


def test_a_labeled_folder_of_opus_files_reads_with_its_manifest_rate(tmp_path):
    write(tmp_path / "samples" / "x.opus", word(rate=16000), 16000, "OGG", "OPUS")
    (tmp_path / "manifest.csv").write_text(
        "file,label,subject,session,kind,rate_hz\nsamples/x.opus,hello,ana,1,audio,16000\n"
    )
    [rec] = list(iter_folder(tmp_path))
    assert rec.label == "hello" and rec.rate_hz == 16000 and rec.data.dtype == np.int16


def test_plain_flac_and_ogg_files_import_into_a_project(project, tmp_path):
    write(tmp_path / "src" / "yes" / "a.flac", word(rate=16000), 16000, "FLAC", "PCM_16")
    write(tmp_path / "src" / "no" / "b.ogg", word(rate=16000), 16000, "OGG", "VORBIS")
    run_job(import_source(project, tmp_path / "src", ImportOptions()))
    assert project.label_counts() == {"no": 1, "yes": 1}
    assert {s.kind for s in project.samples()} == {"audio"}


def test_a_broken_opus_file_is_named(tmp_path):
    (tmp_path / "bad.opus").write_bytes(b"OggS" + bytes(200))
    with pytest.raises(DatasetError, match=r"bad\.opus: not a readable OPUS file"):
        read_audio(tmp_path / "bad.opus")


def test_a_manifest_rate_that_disagrees_with_the_file_is_refused(tmp_path):
    write(tmp_path / "x.flac", word(rate=16000), 16000, "FLAC", "PCM_16")
    (tmp_path / "manifest.csv").write_text("file,label,subject,session,kind,rate_hz\nx.flac,hi,,,audio,8000\n")
    with pytest.raises(DatasetError, match=r"x\.flac: the audio is 16000 Hz but the manifest says 8000 Hz"):
        list(iter_folder(tmp_path))

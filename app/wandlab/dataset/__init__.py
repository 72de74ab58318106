"""Dataset core: project store, recorder, trimming, edits with undo, import/export. No Qt.

A GUI holds one ``Project`` (``Project.open(folder, create=True)``), subscribes to
``project.events``, edits through ``project.editor`` and records with ``project.start_recording``.
Long jobs (``import_source``, ``export_project``) are generators of ``Progress``.
"""

from wandlab.dataset.edits import Editor
from wandlab.dataset.events import Events, HistoryChanged, RecordingChanged, SamplesChanged
from wandlab.dataset.export import export_project
from wandlab.dataset.importer import ImportResult, import_source
from wandlab.dataset.jobs import Progress, run_job
from wandlab.dataset.model import KINDS, SPLITS, Sample
from wandlab.dataset.preview import envelope
from wandlab.dataset.problems import Problem, find_problems
from wandlab.dataset.project import Draft, Project
from wandlab.dataset.recorder import Recording
from wandlab.dataset.sources import ImportOptions

__all__ = [
    "KINDS",
    "SPLITS",
    "Draft",
    "Editor",
    "Events",
    "HistoryChanged",
    "ImportOptions",
    "ImportResult",
    "Problem",
    "Progress",
    "Project",
    "RecordingChanged",
    "Recording",
    "Sample",
    "SamplesChanged",
    "envelope",
    "export_project",
    "find_problems",
    "import_source",
    "run_job",
]

"""The virtual wand's speech model: the shipped speech embedding network, run in TFLM as firmware runs it.

The board holds one speech model in flash, next to (not inside) the gesture model slots; a word the host
enrols is only meaningful under the network that embedded it, so the model is named by the CRC-32 of its
flatbuffer (``WordUpload.model_crc``). It is the shipped ``wandlab.models/speech_embedding/model.tflite``,
found through ``importlib.resources`` (the virtual wand may not import ``wandlab.ml``). TFLM's outputs are
bit-identical to LiteRT's for this model (models/speech_embedding/config.json), so the board's
embeddings are the ones the PC computed at enrolment.
"""

from __future__ import annotations

import functools
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard.audio_features import AudioFeatureConfig

# The model needs ~15 KB (models/speech_embedding/config.json); the board gives it its own arena, so a
# word detector never competes with the gesture model for memory.
SPEECH_ARENA_BYTES = 32 * 1024


@functools.lru_cache(maxsize=1)
def shipped_speech_model() -> bytes:
    """The flatbuffer of the shipped speech embedding model."""
    try:
        return (resources.files("wandlab.models") / "speech_embedding" / "model.tflite").read_bytes()
    except (OSError, ModuleNotFoundError) as exc:
        raise ModelError(f"the speech model is missing from this install ({exc})") from None


def shipped_speech_path() -> Path | None:
    """The shipped speech model as a file (what the native board reads), None if it is not one on disk."""
    try:
        path = Path(str(resources.files("wandlab.models") / "speech_embedding" / "model.tflite"))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


def shipped_speech_crc() -> int | None:
    """CRC-32 of the shipped speech model (what words are checked against at boot), None if it is missing."""
    try:
        return zlib.crc32(shipped_speech_model())
    except ModelError:
        return None


class SpeechModel:
    """``embed(q)``: (49, 40) int8 features -> unit embedding, via the raw int8 output the host uploads."""

    def __init__(self, blob: bytes, arena_bytes: int = SPEECH_ARENA_BYTES) -> None:
        try:
            from tflite_micro import runtime  # TFLM's own interpreter: what firmware runs
        except ImportError as exc:
            raise ModelError(f"tflite-micro is not installed ({exc.name or exc}): pip install tflite-micro") from None
        try:
            self._interp: Any = runtime.Interpreter.from_bytes(blob, arena_size=arena_bytes)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"TFLM cannot load the speech model ({str(exc).strip()[:120]})") from None
        inp, out = self._interp.get_input_details(0), self._interp.get_output_details(0)
        want = (1, *AudioFeatureConfig().shape, 1)
        if tuple(int(v) for v in inp["shape"]) != want or inp["dtype"] != np.int8 or out["dtype"] != np.int8:
            raise ModelError(
                f"the speech model takes {tuple(inp['shape'])} and gives {tuple(out['shape'])}; "
                f"the board feeds {want} int8 features"
            )
        q = out["quantization_parameters"]
        self.out_scale, self.out_zero = float(q["scales"][0]), int(q["zero_points"][0])
        self.input_shape = want
        self.dim = int(out["shape"][-1])
        self.crc = zlib.crc32(blob)

    def embed_raw(self, features: np.ndarray) -> np.ndarray:
        """(49, 40) int8 -> the model's (dim,) int8 output."""
        self._interp.set_input(np.asarray(features, np.int8).reshape(self.input_shape), 0)
        self._interp.invoke()
        return np.asarray(self._interp.get_output(0), np.int8).reshape(-1).copy()

    def unit(self, raw: np.ndarray) -> np.ndarray:
        """int8 outputs (..., dim) -> unit float vectors, exactly as ``ml.wakeword.Embedder`` makes them."""
        e = (np.asarray(raw).astype(np.float32) - self.out_zero) * self.out_scale
        norm = np.linalg.norm(e, axis=-1, keepdims=True)
        return (e / np.maximum(norm, 1e-6)).astype(np.float32)

    def embed(self, features: np.ndarray) -> np.ndarray:
        return self.unit(self.embed_raw(features))


def load_speech_model() -> tuple[SpeechModel | None, str]:
    """(the board's speech model, '') or (None, why the board cannot detect words)."""
    try:
        return SpeechModel(shipped_speech_model()), ""
    except ModelError as exc:
        return None, str(exc)

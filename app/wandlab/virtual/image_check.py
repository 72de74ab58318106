"""What the virtual wand checks before a pushed board image may become active, and again at boot.

A model that passed the transfer's length, CRC-32 and SHA-256 is only the bytes the host meant; this
says whether the board can run them: the image's layout, JSON sections and label/reference counts
(``board_image.unpack``), the flatbuffer (LiteRT's verifier, which builds the whole graph), every op
one the firmware registers (``budgets.FIRMWARE_OPS``), the model loaded in TFLM within the board's
tensor arena, its input matching the image's features and its output the references' width, and one
inference. ``load_image`` raises ModelError naming the first problem; the recogniser runs what it
returns, so the board refuses exactly what it could not run.

LiteRT goes first on purpose: TFLM (like firmware calling ``tflite::GetModel``) does not verify the
flatbuffer, and a damaged one crashes the whole process; a real board must run the flatbuffers
Verifier before TFLM for the same reason. Both interpreters are imported here, lazily, because the
virtual wand may not import ``wandlab.ml`` and ``onboard`` may import only numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard.board_image import BoardImage, unpack
from wandlab.onboard.budgets import FIRMWARE_OPS

WIRE_TEXT_BYTES = 255  # a protocol ``str`` (Log text, TransferResult message) holds at most this much UTF-8
# Only to tell "the arena is too small" from "TFLM cannot load this at all"; not what the board has.
_PROBE_ARENA_BYTES = 1024 * 1024


@dataclass
class LoadedImage:
    image: BoardImage
    interpreter: Any  # tflite_micro.runtime.Interpreter, allocated within the board's arena
    input_quant: tuple[float, int]
    ops: tuple[str, ...]


def check_image(blob: bytes, arena_bytes: int) -> str:
    """'' when the board can run ``blob``, else one sentence saying why not."""
    try:
        load_image(blob, arena_bytes)
    except ModelError as exc:
        return str(exc)
    return ""


def load_image(blob: bytes, arena_bytes: int) -> LoadedImage:
    image = unpack(blob)
    ops = _verified_ops(image.model_tflite)
    missing = sorted({op for op in ops if op not in FIRMWARE_OPS})
    if missing:
        raise ModelError(f"the model uses op(s) the firmware does not have: {', '.join(missing)}")
    interp = _load_tflm(image.model_tflite, arena_bytes)
    input_quant = _check_io(interp, image)
    try:  # a kernel can still fail at its first Eval (a shape Prepare let through)
        interp.set_input(np.zeros(interp.get_input_details(0)["shape"], np.int8), 0)
        interp.invoke()
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"the model fails its first inference in TFLM ({exc})") from None
    return LoadedImage(image, interp, input_quant, tuple(ops))


def _verified_ops(tflite: bytes) -> list[str]:
    """The model's ops, once LiteRT has verified the flatbuffer and allocated every tensor."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as exc:
        raise ModelError(_missing("ai-edge-litert", exc)) from None
    try:
        # No delegates: XNNPACK would rewrite the graph, and this only has to read and verify it.
        lite = Interpreter(model_content=tflite,
                           experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        lite.allocate_tensors()
        return [str(d["op_name"]) for d in lite._get_ops_details()]
    except (RuntimeError, ValueError) as exc:
        raise ModelError(f"the TFLM section is not a valid .tflite model ({_first_line(exc)})") from None


def _load_tflm(tflite: bytes, arena_bytes: int) -> Any:
    try:
        from tflite_micro import runtime  # TFLM's own interpreter: what firmware runs
    except ImportError as exc:
        raise ModelError(_missing("tflite-micro", exc)) from None
    try:
        return runtime.Interpreter.from_bytes(tflite, arena_size=arena_bytes)
    except (RuntimeError, ValueError) as exc:
        reason = _first_line(exc)
    try:
        runtime.Interpreter.from_bytes(tflite, arena_size=_PROBE_ARENA_BYTES)
    except (RuntimeError, ValueError):
        raise ModelError(f"TFLM cannot load the model ({reason})") from None
    raise ModelError(f"the model's tensors do not fit this board's {arena_bytes} byte tensor arena; "
                     "train a smaller model") from None


def _check_io(interp: Any, image: BoardImage) -> tuple[float, int]:
    inp, out = interp.get_input_details(0), interp.get_output_details(0)
    want = (1, *image.features.shape)
    if tuple(int(v) for v in inp["shape"]) != want or inp["dtype"] != np.int8:
        raise ModelError(f"model input is {tuple(int(v) for v in inp['shape'])} {np.dtype(inp['dtype']).name}, "
                         f"its features need {want} int8")
    if out["dtype"] != np.int8 or int(out["shape"][-1]) != image.embedding_dim:
        raise ModelError(f"model output {tuple(int(v) for v in out['shape'])} {np.dtype(out['dtype']).name} "
                         f"does not match the {image.embedding_dim}-D int8 references")
    q = inp["quantization_parameters"]
    return float(q["scales"][0]), int(q["zero_points"][0])


def fit_text(text: str, limit: int = WIRE_TEXT_BYTES) -> str:
    """``text`` cut to fit a wire string, at a character boundary, marked as cut: a long reason must
    reach the host shortened, not make the board's reply unencodable."""
    raw = text.encode()
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "..."


def _missing(package: str, exc: ImportError) -> str:
    return (f"the virtual wand cannot check models: {package} is not installed ({exc.name or exc}); "
            f"install it next to wandlab (pip install {package})")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__

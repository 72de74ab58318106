"""Prove an int8 model is what the board will run: ops, size, arena, bit-exact TFLM vs LiteRT.

Runs the flatbuffer in ai-edge-litert (BUILTIN_WITHOUT_DEFAULT_DELEGATES: XNNPACK would round
differently) and in TFLM's own interpreter (tflite_micro), compares the int8 outputs bit for bit, finds
the smallest tensor arena TFLM accepts, estimates MACs and latency, and checks everything against a
BoardBudget. A model that cannot run on the board raises ModelError saying why; nothing else does.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from wandlab.errors import ModelError
from wandlab.onboard.budgets import FIRMWARE_OPS, GESTURE_BUDGET, LATENCY_TARGETS, BoardBudget

ARENA_SEARCH_MAX = 1024 * 1024


@dataclass
class VerifyReport:
    model_bytes: int
    arena_bytes: int
    ops: list[str]
    missing_ops: list[str]
    macs: int
    latency_ms: dict[str, float]
    compared: int
    bit_exact: bool  # TFLM == LiteRT with BUILTIN_REF kernels, every output value
    max_abs_diff: int
    builtin_bit_exact: bool  # TFLM == LiteRT BUILTIN_WITHOUT_DEFAULT_DELEGATES (optimised kernels)
    builtin_mismatch_fraction: float  # share of output values that differ (by 1 LSB) with those
    input_quant: tuple[float, int]
    output_quant: tuple[float, int]
    budget: dict[str, Any] = field(default_factory=dict)
    fits: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextlib.contextmanager
def _quiet_fd2() -> Iterator[Any]:
    """Capture C-level stderr (TFLM prints allocation failures and print_allocations there)."""
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = os.dup(2)
        try:
            os.dup2(tmp.fileno(), 2)
            yield tmp
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def litert_interpreter(blob: bytes, reference: bool = False) -> Any:
    """LiteRT without XNNPACK; ``reference`` selects its reference kernels (what TFLM also implements)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kind = OpResolverType.BUILTIN_REF if reference else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_content=blob, experimental_op_resolver_type=kind)
    it.allocate_tensors()
    return it


def op_names(blob: bytes) -> list[str]:
    return [d["op_name"] for d in litert_interpreter(blob)._get_ops_details()]


def count_macs(blob: bytes) -> int:
    """Multiply-accumulates per inference for the compute ops (the rest is noise at this size)."""
    it = litert_interpreter(blob)
    shapes = {t["index"]: tuple(int(v) for v in t["shape"]) for t in it.get_tensor_details()}
    macs = 0
    for op in it._get_ops_details():
        name, ins, outs = op["op_name"], list(op["inputs"]), list(op["outputs"])
        out = int(np.prod(shapes[outs[0]]))
        if name == "CONV_2D":  # filter (cout, kh, kw, cin)
            _, kh, kw, cin = shapes[ins[1]]
            macs += out * kh * kw * cin
        elif name == "DEPTHWISE_CONV_2D":  # filter (1, kh, kw, c)
            macs += out * shapes[ins[1]][1] * shapes[ins[1]][2]
        elif name == "FULLY_CONNECTED":  # filter (out, in)
            macs += out * shapes[ins[1]][1]
    return int(macs)


def tflm_arena_bytes(blob: bytes) -> int:
    """Smallest arena (16-byte steps) with which TFLM allocates and invokes the model."""
    from tflite_micro import runtime

    Interpreter = runtime.Interpreter

    def works(size: int) -> bool:
        try:
            it = Interpreter.from_bytes(blob, arena_size=size)
            it.invoke()
            return True
        except RuntimeError:
            return False

    with _quiet_fd2():
        if not works(ARENA_SEARCH_MAX):
            raise ModelError(
                f"TFLM cannot allocate this model even with a {ARENA_SEARCH_MAX // 1024} KB arena"
            )
        lo, hi = 0, ARENA_SEARCH_MAX // 16  # in 16-byte units: works(hi*16), not works(lo*16)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if works(mid * 16) else (mid, hi)
    return hi * 16


def run_both(blob: bytes, x_int8: np.ndarray, reference: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """int8 inputs (n, ...) -> (LiteRT outputs, TFLM outputs), each (n, out_dim) int8."""
    from tflite_micro import runtime

    MicroInterpreter = runtime.Interpreter

    lite = litert_interpreter(blob, reference)
    inp, outp = lite.get_input_details()[0], lite.get_output_details()[0]
    with _quiet_fd2():
        micro = MicroInterpreter.from_bytes(blob, arena_size=ARENA_SEARCH_MAX)
    a, b = [], []
    for row in x_int8:
        lite.set_tensor(inp["index"], row[None])
        lite.invoke()
        a.append(lite.get_tensor(outp["index"])[0].copy())
        micro.set_input(row[None], 0)
        micro.invoke()
        b.append(np.asarray(micro.get_output(0))[0].copy())
    return np.asarray(a, np.int8), np.asarray(b, np.int8)


def io_quant(blob: bytes) -> tuple[tuple[float, int], tuple[float, int]]:
    it = litert_interpreter(blob)
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    if i["dtype"] != np.int8 or o["dtype"] != np.int8:
        raise ModelError(
            f"model input/output must be int8, found {i['dtype'].__name__}/{o['dtype'].__name__}"
        )
    return (float(i["quantization"][0]), int(i["quantization"][1])), (
        float(o["quantization"][0]),
        int(o["quantization"][1]),
    )


def verify_model(
    blob: bytes,
    x_float: np.ndarray,
    budget: BoardBudget = GESTURE_BUDGET,
    firmware_ops: tuple[str, ...] = FIRMWARE_OPS,
    max_compare: int = 200,
    strict: bool = True,
) -> VerifyReport:
    """Check ops, size, arena and TFLM/LiteRT agreement on ``x_float`` feature windows.

    With ``strict`` a model that uses an op the firmware lacks, or exceeds the budget, raises ModelError.
    """
    from wandlab.onboard.imu_features import quantize_input

    ops = op_names(blob)
    missing = sorted({o for o in ops if o not in firmware_ops})
    if missing and strict:
        raise ModelError(
            f"model uses op(s) the firmware does not register: {', '.join(missing)} "
            f"(firmware has {', '.join(firmware_ops)})"
        )
    in_q, out_q = io_quant(blob)
    arena = tflm_arena_bytes(blob)
    problems = []
    if len(blob) > budget.model_flash_bytes:
        problems.append(f"model is {len(blob)} bytes, budget {budget.model_flash_bytes} ({budget.name})")
    if arena > budget.arena_bytes:
        problems.append(f"tensor arena needs {arena} bytes, budget {budget.arena_bytes} ({budget.name})")
    if problems and strict:
        raise ModelError("model does not fit the board: " + "; ".join(problems))
    xq = quantize_input(x_float[:max_compare], *in_q)
    # Optimised LiteRT kernels (BUILTIN_WITHOUT_DEFAULT_DELEGATES) round a few intermediate values
    # differently from TFLM (measured: ~0.03 % of outputs, 1 LSB); LiteRT's reference kernels are the
    # same arithmetic as TFLM's, so that comparison must be exact and is the one that gates.
    ref_out, micro_out = run_both(blob, xq, reference=True)
    diff = np.abs(ref_out.astype(np.int16) - micro_out.astype(np.int16))
    opt_out, _ = run_both(blob, xq, reference=False)
    opt_diff = opt_out != micro_out
    macs = count_macs(blob)
    return VerifyReport(
        model_bytes=len(blob),
        arena_bytes=arena,
        ops=ops,
        missing_ops=missing,
        macs=macs,
        latency_ms={t.name: round(t.latency_ms(macs, len(ops)), 3) for t in LATENCY_TARGETS},
        compared=len(xq),
        bit_exact=bool(diff.max(initial=0) == 0),
        max_abs_diff=int(diff.max(initial=0)),
        builtin_bit_exact=not bool(opt_diff.any()),
        builtin_mismatch_fraction=float(opt_diff.mean()) if opt_diff.size else 0.0,
        input_quant=in_q,
        output_quant=out_q,
        budget=budget.to_dict(),
        fits=not problems and not missing,
    )


def int8_embeddings(blob: bytes, x_float: np.ndarray) -> np.ndarray:
    """The board's int8 embeddings for feature windows (LiteRT reference kernels: equal to TFLM)."""
    from wandlab.onboard.imu_features import quantize_input

    it = litert_interpreter(blob, reference=True)
    inp, outp = it.get_input_details()[0], it.get_output_details()[0]
    xq = quantize_input(x_float, *io_quant(blob)[0])
    out = np.zeros((len(xq), int(outp["shape"][-1])), np.int8)
    for i, row in enumerate(xq):
        it.set_tensor(inp["index"], row[None])
        it.invoke()
        out[i] = it.get_tensor(outp["index"])[0]
    return out

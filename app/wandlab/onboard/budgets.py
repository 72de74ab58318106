"""Board budgets and the op set the firmware registers - declared once, used by verify and the UI.

Pure Python (no numpy/TF) so the GUI can import it to show budgets without loading the ML stack.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# The ops the firmware's MicroMutableOpResolver registers (firmware_sketches must list the same).
# A model using anything else is refused before it is ever sent to a board.
FIRMWARE_OPS: tuple[str, ...] = (
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "FULLY_CONNECTED",
    "RESHAPE",
    "L2_NORMALIZATION",
    "MEAN",
    "AVERAGE_POOL_2D",
    "MAX_POOL_2D",
    "ADD",
    "QUANTIZE",
)


@dataclass(frozen=True)
class BoardBudget:
    """What one model may use on one board, plus the figures for a latency estimate.

    cycles_per_mac is an assumption, not a measurement: int8 kernels with CMSIS-NN on Cortex-M4F reach
    roughly 0.5 MAC/cycle on convs (SMLAD dual 16-bit MACs minus im2col/requantise overhead) -> 2.0;
    ESP-NN on the ESP32-S3's 128-bit SIMD does several MACs per cycle at best, ~1.0 with overheads.
    overhead_cycles_per_op covers per-op dispatch and requantisation loops in TFLM.
    """

    name: str
    model_flash_bytes: int
    arena_bytes: int
    cpu_mhz: float
    cycles_per_mac: float
    overhead_cycles_per_op: int = 3000

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def latency_ms(self, macs: int, n_ops: int) -> float:
        cycles = macs * self.cycles_per_mac + n_ops * self.overhead_cycles_per_op
        return cycles / (self.cpu_mhz * 1e3)

    def ranking_ms(self, references: int, frames: int, channels: int) -> float:
        """Ranking the classes by embedding + DTW (``onboard.hybrid_rank``) after the model has run."""
        return ranking_cycles(references, frames, channels) / (self.cpu_mhz * 1e3)


def ranking_ms(target: str, shapes: tuple[int, ...] | None) -> float:
    """The ranking's estimate on the latency target named ``target`` for a recogniser whose shape codes
    are ``shapes`` (references, frames, channels); 0 without codes or for a target not listed here."""
    board = next((t for t in LATENCY_TARGETS if t.name == target), None)
    return board.ranking_ms(*shapes) if board is not None and shapes is not None and len(shapes) == 3 else 0.0


def ranking_cycles(references: int, frames: int, channels: int) -> int:
    """A DTW of frames x frames cells per reference, each cell ``channels`` multiply-adds and a 3-way
    minimum: an estimate of 4 + 2 cycles per channel a cell (10 at 3 channels, 16 at 6), not measured."""
    return references * frames * frames * (4 + 2 * channels)


# Gesture model budget from DESIGN.md "Numbers": int8 <= 16 KB flash, arena <= 8 KB. The host TFLM
# arena (64-bit pointers, reference kernels) is larger than on a 32-bit board, so it errs on the safe side.
GESTURE_BUDGET = BoardBudget("gesture (Cortex-M4F 64 MHz)", 16 * 1024, 8 * 1024, 64.0, 2.0)
WAKEWORD_BUDGET = BoardBudget("wake word (Cortex-M4F 64 MHz)", 32 * 1024, 16 * 1024, 64.0, 2.0)

# A gesture decision should be ready within one feature frame (50 Hz) after the gesture ends.
LATENCY_BUDGET_MS = 20.0

# Latency estimate targets: nRF52840 (Nano 33 BLE Sense, XIAO Sense) and ESP32-S3.
LATENCY_TARGETS: tuple[BoardBudget, ...] = (
    BoardBudget("Cortex-M4F 64 MHz (nRF52840, CMSIS-NN)", 1024 * 1024, 256 * 1024, 64.0, 2.0),
    BoardBudget("ESP32-S3 240 MHz (ESP-NN)", 8 * 1024 * 1024, 512 * 1024, 240.0, 1.0),
)

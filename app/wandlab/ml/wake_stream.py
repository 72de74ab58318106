"""The board's streaming wake detector driven by the PC's embedder, for benchmarks over long streams.

``BoardStreamDetector(words, embedder).feed(pcm)`` has the interface of ``wakeword.StreamDetector``
(a list of (seconds, distance) per wake), but decides exactly as the board does
(``onboard.wake_detector``: incremental front end, 160 ms hops, energy gate, 2-of-3 confirmation,
1 s refractory). LiteRT's int8 outputs are bit-identical to TFLM's for the speech model, so the wakes are
the board's. Time is the stream position of the deciding sample (the end of the window), not the
window's centre as in ``StreamDetector``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from wandlab.ml.wakeword import Embedder, WakeWord
from wandlab.onboard.wake_detector import Wake, WakeDetector, WordRefs


class BoardStreamDetector:
    def __init__(self, words: WakeWord | Sequence[WakeWord], embedder: Embedder, **options: float) -> None:
        """``options``: ``WakeDetector``'s keywords (hop_frames, refractory_s, gate_dbfs)."""
        listed = [words] if isinstance(words, WakeWord) else list(words)
        refs = [WordRefs(i, w.label, w.refs, w.threshold) for i, w in enumerate(listed)]
        self.detector = WakeDetector(embedder.embed_features, refs, **options)  # type: ignore[arg-type]
        self.rate_hz = self.detector.front.config.sample_rate_hz
        self.wakes: list[Wake] = []

    def feed(self, pcm: np.ndarray) -> list[tuple[float, float]]:
        wakes = self.detector.feed(pcm)
        self.wakes += wakes
        return [((w.sample_index + 1) / self.rate_hz, w.distance) for w in wakes]

    @property
    def embeddings(self) -> int:
        """Model runs so far (the board's compute: x MACS_PER_EMBEDDING)."""
        return self.detector.embeddings

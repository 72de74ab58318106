"""``wandlab bench wake-latency``: how long after a spoken word ends the virtual wand reports its wake.

A virtual wand (the Python board, on a simulated clock: seconds of audio in milliseconds of CPU) speaks
the word three times; the PC enrols it (``ml.wakeword.enroll``) and uploads it; then the wand says it
``--repeats`` more times and, between them, other words. Per utterance: the end of the word (the last
voiced 10 ms frame, ``ml.wakeword.voiced_span``) and the board's WakeEvent (``audio_sample_index``: the
sample at which it decided, ``latency_us``: its features + embedding + 1-NN). Latency = the audio between
the two, plus the wait for the rest of the 16 ms audio block that sample arrived in (the board reads its
microphone block by block), plus the compute. The link adds ~1 ms on a pseudo-terminal and is left out.

``--board native`` measures the C++ firmware instead (``virtual:?firmware=native``: wandlab_core's
BoardWords and the speech model in TFLM), in real time over its pseudo-terminal: the takes are recorded
and enrolled as the wizard does (``flows.enroll_word``), then the host streams audio, and the end of each
word is found in the AudioBlocks it received (the first voiced span after the word was asked for), in
the numbering the board's WakeEvent uses. ``embeddings_per_s_heard`` is not observable there (None).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from wandlab.commands.bench import add_benchmark, print_table

OTHER_WORDS = ("hello", "music", "window", "seven")
TICK_S = 0.01
GAP_S = 2.5


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--word", default="marmalade", help="the wake word")
    p.add_argument("--person", type=int, default=0, help="the simulated person (voice) who enrols and speaks")
    p.add_argument("--repeats", type=int, default=10, help="utterances of the word after enrolment")
    p.add_argument("--board", choices=("python", "native"), default="python",
                   help="python: the virtual wand on a simulated clock; native: the C++ firmware in real time")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=_main)


add_benchmark("wake-latency", "wake word: end of the spoken word -> WakeEvent on the virtual wand", _configure)


class _Clock:
    """Drives a VirtualBoard: requests in, time passing, everything it sends collected."""

    def __init__(self, board: Any) -> None:
        self.board, self.now, self.seq = board, 0.0, 0
        self.audio: list[np.ndarray] = []  # every AudioBlock's samples, in order

    @property
    def heard(self) -> np.ndarray:
        return np.concatenate(self.audio) if self.audio else np.zeros(0, np.int16)

    def send(self, message: Any) -> list[Any]:
        self.seq += 1
        return list(self.board.handle(self.seq, message, self.now))

    def run(self, seconds: float) -> list[Any]:
        out: list[Any] = []
        end = self.now + seconds
        while self.now < end:
            self.now += TICK_S
            out += self.board.poll(self.now)
        self.audio += [m.data for m in out if type(m).__name__ == "AudioBlock"]
        return out


def measure(word: str, person: int, repeats: int) -> dict[str, Any]:
    from wandlab.board.words import int8_codes
    from wandlab.ml import wakeword as ww
    from wandlab.protocol import Sensors, SimSay, StreamStart
    from wandlab.protocol.words import WakeEvent, WordUpload
    from wandlab.virtual.board import AUDIO_BLOCK, AUDIO_RATE_HZ, VirtualBoard, VirtualWandConfig

    clock = _Clock(VirtualBoard(VirtualWandConfig(person=person, seed=person)))
    clock.send(StreamStart(int(Sensors.AUDIO), 0))  # stream numbering = AudioSynth positions from here
    base = clock.board.audio.position

    def say(text: str) -> list[Any]:
        clock.send(SimSay(text))
        return [m for m in clock.run(GAP_S) if isinstance(m, WakeEvent)]

    for _ in range(3):
        say(word)
    stream = clock.heard
    takes = [stream[max(0, a - base - 3200) : b - base + 3200] for a, b, _ in clock.board.audio.events]
    embedder = ww.Embedder()
    enrolled = ww.enroll(word, takes, embedder)
    codes = int8_codes(enrolled.refs, embedder.out_scale, embedder.out_zero)
    clock.send(WordUpload(255, word, enrolled.threshold, embedder.model_crc, codes.shape[1], codes.tobytes()))
    clock.run(1.2)  # the detector's first window fills
    detector = clock.board.words.detector
    embeddings0, audio0 = detector.embeddings, len(clock.heard)
    latencies, compute, wakes_per_word, false_wakes = [], [], [], 0
    for i in range(repeats):
        wakes = say(word)
        a, b, _ = clock.board.audio.events[-1]
        stream = clock.heard
        seg = stream[a - base - 3200 : b - base + 4800]
        end = a - base - 3200 + ww.voiced_span(seg)[1] - ww.VAD_PAD
        wakes_per_word.append(len(wakes))
        if wakes:
            decided = wakes[0].audio_sample_index + 1
            block_wait = -decided % AUDIO_BLOCK
            latencies.append((decided - end + block_wait) / AUDIO_RATE_HZ + wakes[0].latency_us / 1e6)
            compute.append(wakes[0].latency_us / 1000)
        false_wakes += len(say(OTHER_WORDS[i % len(OTHER_WORDS)]))
    heard_s = (len(clock.heard) - audio0) / AUDIO_RATE_HZ
    result = _figures(word, person, enrolled.threshold, wakes_per_word, false_wakes, latencies, compute)
    result["embeddings_per_s_heard"] = round((detector.embeddings - embeddings0) / heard_s, 2)
    return result


def _figures(
    word: str,
    person: int,
    threshold: float,
    wakes_per_word: list[int],
    false_wakes: int,
    latencies: list[float],
    compute: list[float],
) -> dict[str, Any]:
    """The result's fields from the per-utterance counts and times (seconds; compute in ms)."""
    from wandlab.onboard.wake_detector import HOP_FRAMES, macs_per_second

    lat = np.asarray(latencies) * 1000
    return {
        "word": word,
        "person": person,
        "threshold": round(float(threshold), 4),
        "utterances": len(wakes_per_word),
        "woke_once": sum(n == 1 for n in wakes_per_word),
        "missed": sum(n == 0 for n in wakes_per_word),
        "false_wakes_other_words": false_wakes,
        "latency_ms_median": round(float(np.median(lat)), 1) if len(lat) else None,
        "latency_ms_max": round(float(lat.max()), 1) if len(lat) else None,
        "compute_ms_median": round(float(np.median(compute)), 2) if compute else None,
        "hop_ms": HOP_FRAMES * 20,
        "embeddings_per_s_heard": None,
        "model_macs_per_s_speaking": int(macs_per_second()),
    }


def measure_native(word: str, person: int, repeats: int) -> dict[str, Any]:
    """The same figures from the C++ firmware on its pseudo-terminal, in real time (~5 s per repeat)."""
    import asyncio

    return asyncio.run(asyncio.wait_for(_measure_native(word, person, repeats), 60 + 8 * repeats))


async def _measure_native(word: str, person: int, repeats: int) -> dict[str, Any]:
    import asyncio

    from wandlab.board import BoardClient
    from wandlab.board.blocks import SampleBlock
    from wandlab.flows.connect import open_link
    from wandlab.flows.enroll_word import enroll_word, record_takes
    from wandlab.ml import wakeword as ww
    from wandlab.protocol import SimSay
    from wandlab.protocol.words import WakeEvent
    from wandlab.virtual.board import AUDIO_BLOCK, AUDIO_RATE_HZ

    blocks: list[SampleBlock] = []
    wakes: list[WakeEvent] = []

    def heard_from(first: int) -> np.ndarray:
        parts = [b.data for b in blocks if b.first_sample >= first]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)

    def next_sample() -> int:
        return blocks[-1].first_sample + blocks[-1].samples if blocks else 0

    async def say(text: str) -> list[WakeEvent]:
        before = len(wakes)
        await client.request(SimSay(text))
        await asyncio.sleep(GAP_S)
        return wakes[before:]

    link = open_link(f"virtual:?firmware=native&person={person}&seed={person}")
    async with BoardClient(link, reconnect=False) as client:

        async def say_word() -> None:
            await client.request(SimSay(word))

        takes = await record_takes(client, word, say=say_word)
        enrolled = (await enroll_word(client, word, takes)).word
        client.on_block(lambda b: blocks.append(b) if b.sensor == "audio" else None)
        client.on_event(lambda m: wakes.append(m) if isinstance(m, WakeEvent) else None)
        await client.start_stream(imu=False, audio=True)
        await asyncio.sleep(1.2)  # the detector's first window fills
        latencies, compute, wakes_per_word, false_wakes = [], [], [], 0
        for i in range(repeats):
            mark = next_sample()
            heard = await say(word)
            seg = heard_from(mark)
            end = mark + ww.voiced_span(seg)[1] - ww.VAD_PAD
            wakes_per_word.append(len(heard))
            if heard:
                decided = heard[0].audio_sample_index + 1
                block_wait = -decided % AUDIO_BLOCK
                latencies.append((decided - end + block_wait) / AUDIO_RATE_HZ + heard[0].latency_us / 1e6)
                compute.append(heard[0].latency_us / 1000)
            false_wakes += len(await say(OTHER_WORDS[i % len(OTHER_WORDS)]))
        await client.stop_stream()
    figures = _figures(word, person, enrolled.threshold, wakes_per_word, false_wakes, latencies, compute)
    return {"board": "native", **figures}


def _main(args: argparse.Namespace) -> int:
    import sys

    if args.repeats < 1:
        print("wandlab: --repeats must be at least 1", file=sys.stderr)
        return 2
    if args.board == "native":
        from wandlab.errors import WandlabError

        try:
            result = measure_native(args.word, args.person, args.repeats)
        except (WandlabError, TimeoutError) as exc:
            print(f"wandlab: the native board could not be measured: {exc or 'it stopped answering'}", file=sys.stderr)
            return 1
        title = "wake word latency on the C++ firmware (native board, real time; end of word -> WakeEvent)"
    else:
        result = {"board": "python", **measure(args.word, args.person, args.repeats)}
        title = "wake word latency on the virtual wand (end of word -> WakeEvent)"
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result.items(), title)
    return 0

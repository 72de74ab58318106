"""Training recipe of the shipped speech embedding model (models/speech_embedding/model.tflite).

Run: .venv/bin/python models/speech_embedding/recipe.py [--epochs N] [--out DIR]
(a few minutes on 2 CPU cores; espeak-ng clips are cached under ~/.cache/wandlab/speech).

Data:
- FSDD spoken digits (CC BY-SA 4.0), 8 kHz resampled to 16 kHz: only the TRAIN_SPEAKERS and only the
  digits 0-4. The other two speakers are never seen (the benchmark's test people) and digits 5-9 are
  never seen at all, so the benchmark measures both unseen people and unseen words.
- espeak-ng synthesised words: WORDS x VOICES_PER_WORD random voices (8 accents x 17 variants,
  speed 120-200 wpm, pitch 20-80). Digit words 5-9 are excluded for the same reason.
Augmentation (fresh every epoch): speed 0.88-1.12, random band limit to 4 kHz (FSDD's bandwidth,
cheap mics), peak level -30..-1 dBFS, shift +-150 ms around the centre (the stream detector's window
misalignment), a mic noise floor -80..-50 dBFS plus, half the time, noise at 5-30 dB SNR.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "app"))

from wandlab.dataset.folder import iter_folder  # noqa: E402
from wandlab.onboard import audio_features as af  # noqa: E402
from wandlab.ml import speech_model as sm  # noqa: E402
from wandlab.ml.wakeword import trim_voiced  # noqa: E402

FSDD = ROOT.parent / "shared" / "data" / "fsdd"
TRAIN_SPEAKERS = ("george", "jackson", "lucas", "nicolas")
TEST_SPEAKERS = ("theo", "yweweler")
TRAIN_DIGITS = ("0", "1", "2", "3", "4")
WORDS = """zero one two three four hello computer lights music play pause stop next back open close
yes no okay cancel start go left right up down forward reverse faster slower louder quieter mute
volume camera photo record window door garden kitchen morning evening coffee water banana orange
apple river mountain ocean thunder rainbow pencil rocket dragon wizard magic wand spell shadow
silver golden purple yellow marble candle bottle button rabbit turtle monkey tiger lemon pepper
butter cookie pizza tomato potato guitar piano violin trumpet drummer dancer singer painter doctor
teacher pilot sailor farmer window blanket pillow basket ladder hammer jacket pocket ticket
market garden island desert forest valley meadow castle palace temple bridge tunnel station
airport harbor planet comet galaxy robot sensor signal battery charger keyboard monitor printer
speaker jupiter saturn mercury venus neptune alpha bravo charlie delta echo foxtrot hotel india
juliet kilo lima november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee
zulu hey jarvis listen wake sleep activate abracadabra sesame pumpkin""".split()
WORDS = list(dict.fromkeys(WORDS))  # de-duplicate, keep order
ACCENTS = (
    "en-us",
    "en",
    "en-gb-x-rp",
    "en-gb-scotland",
    "en-029",
    "en-us-nyc",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
)
VARIANTS = (
    "",
    "+f1",
    "+f2",
    "+f3",
    "+f4",
    "+f5",
    "+m1",
    "+m2",
    "+m3",
    "+m4",
    "+m5",
    "+m6",
    "+m7",
    "+klatt",
    "+klatt2",
    "+klatt3",
    "+croak",
)
VOICES_PER_WORD = 20
CACHE = Path.home() / ".cache" / "wandlab" / "speech"
SR = 16000


def espeak(word: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """One espeak-ng utterance -> int16 at 16 kHz (its native 22,050 Hz resampled)."""
    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    data = raw[raw.index(b"data") + 8 :]  # streamed WAV: the header's sizes are bogus, skip to the data
    x = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64)
    return np.clip(np.round(resample_poly(x, 320, 441)), -32768, 32767).astype(np.int16)


def espeak_corpus(words: list[str], per_word: int, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """Synthesise (cached) per_word random voices of every word."""
    rng = np.random.default_rng(seed)
    jobs = [
        (
            w,
            rng.choice(ACCENTS) + rng.choice(VARIANTS),
            int(rng.integers(120, 201)),
            int(rng.integers(20, 81)),
        )
        for w in words
        for _ in range(per_word)
    ]
    key = hashlib.sha256(json.dumps(jobs).encode()).hexdigest()[:16]
    path = CACHE / f"espeak_{key}.npz"
    if path.exists():
        with np.load(path) as z:
            flat, lengths = z["flat"], z["lengths"]
        clips = np.split(flat, np.cumsum(lengths)[:-1])
    else:
        with ThreadPoolExecutor(max_workers=4) as pool:
            clips = [trim_voiced(c) for c in pool.map(lambda j: espeak(*j), jobs)]
        CACHE.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.savez(buf, flat=np.concatenate(clips), lengths=np.array([len(c) for c in clips]))
        path.write_bytes(buf.getvalue())
    return clips, [j[0] for j in jobs]


def fsdd_clips(
    speakers: tuple[str, ...], digits: tuple[str, ...] | None = None
) -> list[tuple[np.ndarray, str, str]]:
    """(int16 16 kHz clip, label, speaker) for the chosen FSDD speakers/digits."""
    out = []
    for rec in iter_folder(FSDD):
        if rec.subject in speakers and (digits is None or rec.label in digits):
            x = resample_poly(rec.data.astype(np.float64), SR, int(rec.rate_hz))
            out.append((np.clip(np.round(x), -32768, 32767).astype(np.int16), rec.label, rec.subject))
    return out


def augment(pcm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random training view of a trimmed utterance, as a 1 s int16 clip."""
    x = pcm.astype(np.float64)
    speed = rng.uniform(0.88, 1.12)
    x = np.interp(np.arange(int(len(x) / speed)) * speed, np.arange(len(x)), x)
    if rng.random() < 0.3:
        x = resample_poly(resample_poly(x, 1, 2), 2, 1)
    x *= 10 ** (rng.uniform(-30, -1) / 20) * 32767 / max(float(np.abs(x).max()), 1.0)
    n = SR
    out = np.zeros(n)
    if len(x) >= n:
        start = int(np.clip((len(x) - n) // 2 + rng.integers(-2400, 2401), 0, len(x) - n))
        out[:] = x[start : start + n]
    else:
        start = int(np.clip((n - len(x)) // 2 + rng.integers(-2400, 2401), 0, n - len(x)))
        out[start : start + len(x)] = x
    out += rng.normal(0, 32768 * 10 ** (rng.uniform(-80, -50) / 20), n)
    if rng.random() < 0.5:
        rms = np.sqrt(np.mean(x**2)) + 1e-9
        noise = rng.normal(0, 1, n)
        if rng.random() < 0.5:  # brown-ish noise: most real background is low-frequency
            noise = np.cumsum(noise)
            noise -= np.convolve(noise, np.ones(64) / 64, mode="same")
        out += noise / (np.std(noise) + 1e-9) * rms * 10 ** (-rng.uniform(5, 30) / 20)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def features(clips: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Augmented int8 feature codes (n, 49, 40), computed in chunks to bound memory."""
    out = []
    for i in range(0, len(clips), 512):
        batch = np.stack([augment(c, rng) for c in clips[i : i + 512]])
        out.append(af.quantize(af.log_mel(batch)))
    return np.concatenate(out)


def train(epochs: int, seed: int = 0) -> tuple[object, np.ndarray, dict[str, object]]:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    t0 = time.time()
    es_clips, es_labels = espeak_corpus(WORDS, VOICES_PER_WORD)
    fs = fsdd_clips(TRAIN_SPEAKERS, TRAIN_DIGITS)
    digit_words = ["zero", "one", "two", "three", "four"]  # FSDD digits share classes with espeak words
    clips = es_clips + [c for c, _, _ in fs]
    names = es_labels + [digit_words[int(lab)] for _, lab, _ in fs]
    classes = sorted(set(names))
    y = np.array([classes.index(n) for n in names])
    print(
        f"data: {len(es_clips)} espeak + {len(fs)} fsdd clips, {len(classes)} words "
        f"({time.time() - t0:.0f} s)"
    )
    rng = np.random.default_rng(seed)
    embed = sm.build_embedding()
    head = sm.cosface_head(embed, len(classes))
    steps = epochs * int(np.ceil(len(clips) / 128))
    lr = tf.keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.02)
    head.compile(optimizer=tf.keras.optimizers.Adam(lr), loss=sm.cosface_loss)
    for epoch in range(epochs):
        x = features(clips, rng)
        hist = head.fit(af.model_input(x)[..., None], y, batch_size=128, epochs=1, shuffle=True, verbose=0)
        print(f"epoch {epoch + 1}/{epochs} loss {hist.history['loss'][-1]:.3f} ({time.time() - t0:.0f} s)")
    calib = sm_subset(x, rng)
    meta = {
        "espeak_clips": len(es_clips),
        "fsdd_clips": len(fs),
        "classes": len(classes),
        "epochs": epochs,
        "train_seconds": round(time.time() - t0),
    }
    return embed, calib, meta


def sm_subset(x: np.ndarray, rng: np.random.Generator, n: int = 300) -> np.ndarray:
    return x[np.sort(rng.choice(len(x), size=min(n, len(x)), replace=False))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    embed, calib, meta = train(args.epochs)
    blob = sm.to_int8(sm.export_copy(embed), calib)
    arena = sm.smallest_arena(blob)
    sm.check_budget(blob, arena)
    same = np.array_equal(sm.tflm_invoke(blob, calib[:100]), sm.litert_invoke(blob, calib[:100]))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.tflite").write_bytes(blob)
    info = sm.model_info(blob) | {"tflm_arena_bytes": arena, "tflm_bit_identical_to_litert": bool(same)}
    doc = {
        "feature_config": af.AudioFeatureConfig().to_dict(),
        "embedding_dim": sm.EMBED_DIM,
        "model": info,
        "training": meta
        | {
            "train_speakers": TRAIN_SPEAKERS,
            "train_digits": TRAIN_DIGITS,
            "test_speakers": TEST_SPEAKERS,
            "words": WORDS,
            "voices_per_word": VOICES_PER_WORD,
        },
    }
    (args.out / "config.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(json.dumps(info))


if __name__ == "__main__":
    main()

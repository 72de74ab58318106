"""Word family: personal wake words the board detects on its own microphone.

The host enrols a word from three utterances with the shipped speech embedding model and uploads the
three int8 embeddings (WordUpload); the board runs the same model on its live audio, compares every
hop with its words (1-NN cosine distance) and reports a wake (WakeEvent), pressing the word's HID
action (class WORD_CLASS_BASE + word_id in the HID map) as it does for a gesture.
"""

from __future__ import annotations

from dataclasses import dataclass

from wandlab.protocol.codec import Constant, CppMax, Struct, wire
from wandlab.protocol.registry import Message, register

# WordUpload.word_id: the board picks (the word with that label, else a free id); WordClear.word_id: every word.
ANY_WORD = Constant(255, "u8")
# HID map class id of word N: WORD_CLASS_BASE + N (gesture classes stay below it).
WORD_CLASS_BASE = Constant(0x80, "u8")
_WORDS = CppMax("kMaxWords", 16, "words a board holds: ids 0-15")
MAX_WORDS = _WORDS.value


@register
@dataclass(frozen=True)
class WordUpload(Message):
    """Host -> board: store a wake word (replaces the word with that id); the board persists it and
    answers Ack, or Error saying why not (e.g. another speech model)."""

    TYPE = 0x50
    FAMILY = "word"
    word_id: int = wire("u8")  # ANY_WORD: the board picks (the word with this label, else a free id)
    label: str = wire("str")
    threshold: float = wire("f32")  # cosine distance at or under which a hop is this word
    model_crc: int = wire("u32")  # CRC-32 of the speech model flatbuffer the embeddings came from
    dim: int = wire("u8")
    embeddings: bytes = wire("bytes")  # count * dim int8 values: the speech model's raw int8 outputs


@register
@dataclass(frozen=True)
class WordList(Message):
    """Host -> board: which words are stored? The board answers WordListReply. No fields."""

    TYPE = 0x51
    FAMILY = "word"


@dataclass(frozen=True)
class WordInfo(Struct):
    word_id: int = wire("u8")
    label: str = wire("str")
    count: int = wire("u8")  # reference embeddings stored (the enrolment's utterances)
    threshold: float = wire("f32")


@register
@dataclass(frozen=True)
class WordListReply(Message):
    TYPE = 0x52
    FAMILY = "word"
    model_crc: int = wire("u32")  # CRC-32 of the board's speech model (0: the board has none)
    dim: int = wire("u8")  # its embedding size
    words: tuple[WordInfo, ...] = wire("list:WordInfo", cpp_max=_WORDS)


@register
@dataclass(frozen=True)
class WordClear(Message):
    """Host -> board: forget a word (Ack, or Error for a word the board does not have)."""

    TYPE = 0x53
    FAMILY = "word"
    word_id: int = wire("u8")  # ANY_WORD clears every word


@register
@dataclass(frozen=True)
class WakeEvent(Message):
    """Board -> host: a stored word was heard. Sent whenever it happens (the board always listens for
    its words); a HidReport follows when the word has an action in the HID map."""

    TYPE = 0x54
    FAMILY = "word"
    word_id: int = wire("u8")
    label: str = wire("str")
    distance: float = wire("f32")  # cosine distance to the word's nearest reference
    threshold: float = wire("f32")
    audio_sample_index: int = wire("u32")  # audio sample at which the board decided (last of the window)
    latency_us: int = wire("u32")  # features + embedding + 1-NN of the deciding hop, on the board

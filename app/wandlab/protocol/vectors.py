"""Golden test vectors: one example of every registered message, as packet and serial-frame bytes.

Written to ``tests/vectors/protocol_messages.txt`` in a line format any language reads without a
JSON parser (the firmware's host tests read it with the C++ standard library):

    NAME TYPE_HEX SEQ PACKET_HEX FRAME_HEX

and ``protocol_messages.json`` with the same bytes plus the field values, for Python tests.
Regenerate with ``python -m wandlab.protocol.vectors tests/vectors``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from wandlab.protocol import (
    PROTOCOL_VERSION,
    Ack,
    AudioBlock,
    ButtonEvent,
    Error,
    Hello,
    ImuBlock,
    Info,
    Log,
    Message,
    Ping,
    Pong,
    SensorInfo,
    SimButton,
    SimPerform,
    SimPerson,
    SimSay,
    SimUnplug,
    StreamStart,
    StreamStats,
    StreamStop,
    encode_frame,
    pack_packet,
    to_packet,
)
from wandlab.protocol.codec import Struct
from wandlab.protocol.controller import (
    ForgetHosts,
    HidAction,
    HidEnable,
    HidMap,
    HidMapGet,
    HidMapSet,
    HidReport,
    InferenceEvent,
    RecognizeStart,
    RecognizeStop,
)
from wandlab.protocol.enroll import (
    ClassRefs,
    EnrollCancel,
    EnrollProgress,
    EnrollStart,
    RefClear,
    RefData,
    RefDownload,
    RefList,
    RefListReply,
    RefUpload,
)
from wandlab.protocol.model import (
    ChunkAck,
    ModelAbort,
    ModelActivate,
    ModelBegin,
    ModelChunk,
    ModelFinish,
    ModelQuery,
    ModelSlots,
    SlotInfo,
    TransferResult,
    TransferStatus,
)
from wandlab.protocol.words import WakeEvent, WordClear, WordInfo, WordList, WordListReply, WordUpload


def examples() -> list[Message]:
    """One deterministic instance per message type (a test checks none is missing)."""
    return [
        Hello(PROTOCOL_VERSION, "wandlab"),
        Info("Nano 33 BLE Sense", "1.2.0", PROTOCOL_VERSION, "a1b2c3d4e5f6",
             (SensorInfo(1, 100, 4.0, 4.0 / 32768, "g"), SensorInfo(2, 100, 2000.0, 2000.0 / 32768, "dps"),
              SensorInfo(3, 16000, 1.0, 1.0 / 32768, "pcm16")),
             2, 65536, 16384, 180000, "gesture-7f3a", ("hey wand",), 87),
        Ping(0xDEADBEEF),
        Pong(0xDEADBEEF),
        Ack(41),
        Error(42, 2, "IMU rate 333 Hz not supported"),
        Log(20, "IMU ready"),
        StreamStart(3, 400),
        StreamStop(1),
        ImuBlock(7, 28, 100, 6, 4.0 / 32768, 2000.0 / 32768,
                 np.array([0, 0, 8192, 1, -1, 0, -32768, 32767, 256, 0, 255, -256], dtype=np.int16)),
        AudioBlock(3, 768, 16000, np.array([0, 1, -1, 0x7F00, -0x8000, 0, 0, 12345], dtype=np.int16)),
        StreamStats(100, 200, 1, 0),
        ButtonEvent(0, 1),
        SimPerform("circle"),
        SimSay("hey wand"),
        SimPerson(3),
        SimUnplug(1500),
        SimButton(0),
        ModelBegin(0x1234ABCD, 5000, 0xCAFEF00D, bytes(range(32)), 2048, "gesture-7f3a",
                   b'{"labels":["circle"]}'),
        TransferStatus(0x1234ABCD, 1, 4096, 2, ""),
        ModelChunk(0x1234ABCD, 2, 0x0BADC0DE, bytes([0, 1, 2, 0, 255])),
        ChunkAck(0x1234ABCD, 2, 3, 0),
        ModelFinish(0x1234ABCD),
        TransferResult(0x1234ABCD, 1, 1, "gesture-7f3a", "verified and active"),
        ModelAbort(0x1234ABCD),
        ModelQuery(),
        ModelSlots(1, (SlotInfo(0, 1, 4000, bytes(32), "old"),
                       SlotInfo(1, 1, 5000, bytes(range(32)), "gesture-7f3a")), 0, 0),
        ModelActivate(0),
        EnrollStart(8, "spiral", 3, 15000),
        EnrollProgress(8, 1, 3, 1, "take 1 of 3 captured"),
        EnrollCancel(),
        RefList(),
        RefListReply(16, (ClassRefs(0, "circle", 4, 1200.0, 0), ClassRefs(8, "spiral", 3, 950.5, 1))),
        RefClear(255),
        RefUpload(2, "flick_left", 1500.0, 4, bytes([1, 255, 127, 128, 0, 2, 3, 4]), bytes([16, 240, 0, 127, 129, 3])),
        RefDownload(2),
        RefData(2, "flick_left", 1500.0, 4, bytes([1, 255, 127, 128]), bytes([7, 249, 16])),
        HidMapSet((HidAction(0, 2, 0xCD, 0), HidAction(1, 1, 0x4F, 0x02), HidAction(2, 4, 0, 0, -40, 25))),
        HidMapGet(),
        HidMap(1, (HidAction(0, 2, 0xCD, 0),)),
        HidEnable(1),
        RecognizeStart(1),
        RecognizeStop(),
        InferenceEvent(123456, 0, "circle", 812.0, 388.0, 4210),
        HidReport(0, 2, 0xCD, 0, 1),
        ForgetHosts(),
        WordUpload(255, "hey wand", 0.0625, 0xE07FEB32, 4, bytes([0, 24, 127, 128, 61, 0, 255, 3])),
        WordList(),
        WordListReply(0xE07FEB32, 32, (WordInfo(0, "hey wand", 3, 0.0625), WordInfo(2, "lumos", 3, 0.09375))),
        WordClear(255),
        WakeEvent(0, "hey wand", 0.03125, 0.0625, 123456, 2150),
    ]


def jsonable(value: Any) -> Any:
    """Field value -> JSON: arrays to lists, bytes to hex, nested records to dicts."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, Struct):
        return {name: jsonable(getattr(value, name)) for name, _ in value.layout()}
    return value


def _fields(message: Message) -> dict[str, Any]:
    return {name: jsonable(getattr(message, name)) for name, _kind in message.layout()}


def write_vectors(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# NAME TYPE_HEX SEQ PACKET_HEX FRAME_HEX  (see app/wandlab/protocol/vectors.py)"]
    records = []
    for seq, message in enumerate(examples(), start=1):
        packet = to_packet(message, seq)
        raw, frame = pack_packet(packet), encode_frame(packet)
        name = type(message).__name__
        lines.append(f"{name} {message.TYPE:02x} {seq} {raw.hex()} {frame.hex()}")
        records.append({"name": name, "type": message.TYPE, "seq": seq, "fields": _fields(message),
                        "packet": raw.hex(), "frame": frame.hex()})
    (folder / "protocol_messages.txt").write_text("\n".join(lines) + "\n")
    (folder / "protocol_messages.json").write_text(json.dumps(records, indent=1) + "\n")


if __name__ == "__main__":
    write_vectors(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/vectors"))

"""A conversation with the Python board, recorded for the C++ board to replay byte for byte.

The host side is a fixed script (fence, Ping, Hello, streaming at 400 Hz, requests the board must
refuse, StreamStop, a restart at the default rate, a new Hello). The board side is
``wandlab.virtual.board.VirtualBoard`` answering exactly as ``pty_server.PtyWandServer`` does
(sequence numbers from 1, decode errors answered with Error). The C++ test
(``firmware_sketches/wandlab_core/tests/test_board.cpp``) feeds the same host bytes at the same
times into ``wandlab::board::Board``, pushes the very samples the Python board sent into its rings,
and must send the same frames.

File format, one event per line::

    host T_US HEX     the host sends these bytes at time T_US (microseconds)
    poll T_US         time passes: the board sends what is due
    board HEX         a frame the board sends after the event above, in order
    board~ HEX        an Error whose text may differ (only seq, ref_seq and code must match)

Regenerate after changing the Python board or the protocol::

    .venv/bin/python -m tests.firmware.board_conversation firmware_sketches/wandlab_core/tests
"""

from __future__ import annotations

import sys
from pathlib import Path

from wandlab.errors import ProtocolError
from wandlab.protocol import (
    MESSAGES,
    Error,
    ErrorCode,
    FrameDecoder,
    Hello,
    Info,
    Message,
    Ping,
    Sensors,
    StreamStart,
    StreamStop,
    decode_message,
    encode_frame,
    encode_message,
)
from wandlab.protocol.framing import Packet
from wandlab.virtual.board import VirtualBoard, VirtualWandConfig

FILE_NAME = "board_conversation.txt"
BOTH = int(Sensors.IMU | Sensors.AUDIO)


def _host_script() -> list[tuple[str, int, bytes]]:
    """(kind, time in us, host bytes) - kind "host" or "poll". Polls come at most 150 ms apart: the C++
    board's audio ring holds 256 ms (Python's pty server polls every 4 ms)."""
    seq = iter(range(100, 1000))

    def frame(message: Message) -> bytes:
        return encode_message(message, next(seq))

    def raw(type_: int, payload: bytes) -> bytes:
        return encode_frame(Packet(type_, next(seq), payload))

    script: list[tuple[str, int, bytes]] = [
        ("host", 0, b"\x00" + frame(Ping(0x1234ABCD))),  # the fence: a lone delimiter, then Ping
        ("host", 10_000, frame(Hello(1, "wandlab"))),
        ("host", 20_000, frame(StreamStart(BOTH, 400))),
        ("poll", 137_000, b""),
        ("poll", 281_000, b""),
        ("poll", 413_000, b""),
        ("poll", 559_000, b""),
        ("poll", 707_000, b""),
        ("poll", 853_000, b""),
        ("poll", 1_001_000, b""),
        ("poll", 1_051_000, b""),  # > 1 s after StreamStart: StreamStats
        ("host", 1_110_000, frame(Ping(7))),
        ("host", 1_120_000, frame(StreamStart(int(Sensors.IMU), 333))),  # refused: unsupported rate
        ("host", 1_130_000, raw(0x6F, b"")),  # unknown type
        ("host", 1_140_000, frame(Info(board_name="host", firmware_version="", protocol_version=1,
                                       board_uid="", sensors=(), model_slots=0, max_model_bytes=0,
                                       arena_bytes=0, free_ram_bytes=0, active_model_id="",
                                       enrolled_labels=(), battery_percent=255))),  # not for a board
        ("host", 1_150_000, raw(StreamStop.TYPE, b"")),  # truncated payload
        ("host", 1_160_000, raw(Ping.TYPE, b"\x01\x02\x03\x04\x05")),  # trailing byte
        ("poll", 1_202_000, b""),
        ("poll", 1_347_000, b""),
        ("poll", 1_499_000, b""),
        ("poll", 1_644_000, b""),
        ("poll", 1_790_000, b""),
        ("poll", 1_933_000, b""),
        ("poll", 2_061_000, b""),  # second StreamStats
        ("host", 2_133_000, frame(StreamStop(BOTH))),
        ("poll", 2_300_000, b""),  # stopped: nothing
        ("host", 2_410_000, frame(StreamStart(int(Sensors.IMU), 0))),  # the board's default rate
        ("poll", 2_777_000, b""),
        ("host", 2_800_000, frame(StreamStart(int(Sensors.AUDIO), 0))),  # audio joins the running IMU
        ("poll", 2_941_000, b""),
        ("poll", 3_079_000, b""),
        ("host", 3_150_000, frame(StreamStop(int(Sensors.IMU)))),  # IMU stops, audio goes on
        ("poll", 3_283_000, b""),
        ("host", 3_300_000, frame(Hello(1, "wandlab again"))),  # a new session stops every stream
        ("poll", 3_500_000, b""),
    ]
    return script


class _PtyLikeServer:
    """What PtyWandServer does with bytes and time, without the pty (its _on_readable / serve)."""

    def __init__(self, board: VirtualBoard) -> None:
        self.board = board
        self.decoder = FrameDecoder()
        self.seq = 0

    def _frame(self, message: Message) -> bytes:
        self.seq = (self.seq + 1) & 0xFFFF
        return encode_message(message, self.seq)

    def receive(self, data: bytes, now: float) -> list[tuple[bytes, bool]]:
        """(frame, loose) per reply; loose: an Error whose text is the Python decoder's own."""
        out: list[tuple[bytes, bool]] = []
        for packet in self.decoder.feed(data):
            try:
                message = decode_message(packet)
            except ProtocolError as exc:
                known = packet.type in MESSAGES
                code = ErrorCode.BAD_ARGUMENT if known else ErrorCode.UNKNOWN_MESSAGE
                out.append((self._frame(Error(packet.seq, code, str(exc))), known))
                continue
            out += [(self._frame(reply), False) for reply in self.board.handle(packet.seq, message, now)]
        return out

    def poll(self, now: float) -> list[tuple[bytes, bool]]:
        return [(self._frame(message), False) for message in self.board.poll(now)]


def conversation() -> list[str]:
    board = VirtualBoard(VirtualWandConfig(imu_rate_hz=100, axes=6, seed=3, name="Replay board"))
    server = _PtyLikeServer(board)
    lines = [f"# {line}" if line else "#" for line in (__doc__ or "").strip().splitlines()]
    for kind, t_us, data in _host_script():
        now = t_us / 1e6
        if kind == "host":
            lines.append(f"host {t_us} {data.hex()}")
            replies = server.receive(data, now)
        else:
            lines.append(f"poll {t_us}")
            replies = server.poll(now)
        lines += [f"board{'~' if loose else ''} {frame.hex()}" for frame, loose in replies]
    return lines


def write(folder: Path) -> Path:
    path = folder / FILE_NAME
    path.write_text("\n".join(conversation()) + "\n")
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))

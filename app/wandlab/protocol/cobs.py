"""Consistent Overhead Byte Stuffing: removes every 0x00 so 0x00 can delimit frames on a byte stream."""

from __future__ import annotations

from wandlab.errors import ProtocolError


def cobs_encode(data: bytes) -> bytes:
    out = bytearray()
    parts = bytes(data).split(b"\x00")
    for part in parts:
        # A maximal 254-byte run is written as code 0xFF, which carries no implied zero.
        while len(part) >= 254:
            out.append(0xFF)
            out += part[:254]
            part = part[254:]
        out.append(len(part) + 1)
        out += part
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise ProtocolError("COBS: zero byte inside a frame")
        end = i + code
        if end > n:
            raise ProtocolError(f"COBS: block of {code - 1} bytes runs past the frame end")
        out += data[i + 1 : end]
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)

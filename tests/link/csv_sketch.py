"""A board running its own Arduino sketch, for tests: it prints IMU values as text lines on a real pty.

Like ``Serial.println`` in ``loop()``: a banner first, then one line per sample at a fixed rate, values
separated by commas or tabs, optionally after a millis() timestamp. Nobody reading makes the lines
drop (as a board's USB buffer does), so a port opened late never sees a burst of stale lines.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
import tty

GRAVITY = 9.80665


class PrintingSketch:
    def __init__(
        self,
        rate_hz: float = 100.0,
        sep: str = ",",
        timestamp: bool = False,
        accel: str = "g",
        gyro: bool = True,
        banner: str = "LSM6DS3 ready",
        extra: int = 0,
        start_delay_s: float = 0.2,
    ) -> None:
        self.rate_hz, self.sep, self.timestamp, self.accel = rate_hz, sep, timestamp, accel
        self.gyro, self.banner, self.extra, self.start_delay_s = gyro, banner, extra, start_delay_s
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.port = os.ttyname(self.slave)
        self.lines_written = 0
        self.junk: list[str] = []  # lines to print once, between samples (set from the test)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="printing-sketch", daemon=True)

    def __enter__(self) -> PrintingSketch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(timeout=2)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    @staticmethod
    def motion(i: int, rate_hz: float) -> tuple[float, float, float, float, float, float]:
        """The IMU in g and deg/s at sample ``i``: at rest (gravity on z), with a short swing every 2 s."""
        t = i / rate_hz
        swing = math.sin(2 * math.pi * t / 0.5) if t % 2.0 > 1.5 else 0.0
        noise = 0.004 * math.sin(i * 1.7)
        return (0.02 + 0.8 * swing + noise, -0.01 + noise, 1.0 - noise, 120 * swing + 0.4, -0.3 + noise, 0.5)

    def line(self, i: int, millis: int) -> str:
        values = list(self.motion(i, self.rate_hz))
        scale = GRAVITY if self.accel == "ms2" else 1000.0 if self.accel == "mg" else 1.0
        values[:3] = [v * scale for v in values[:3]]
        values = values[: 6 if self.gyro else 3] + [42.0] * self.extra  # e.g. a magnetometer after the IMU
        text = self.sep.join(f"{v:.4f}" for v in values)
        return f"{millis}{self.sep}{text}" if self.timestamp else text

    def _write(self, text: str) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self.master, (text + "\r\n").encode())

    def _run(self) -> None:
        if self._stop.wait(self.start_delay_s):
            return
        self._write(self.banner)
        start, i = time.monotonic(), 0
        while not self._stop.is_set():
            due = start + i / self.rate_hz
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self.junk:
                self._write(self.junk.pop(0))
            self._write(self.line(i, 12_345 + int((due - start) * 1000)))
            self.lines_written += 1
            i += 1

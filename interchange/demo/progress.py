"""A small progress bar on standard error: the count, the rate and the time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Draws `[#####.....] 12,000/50,000 tickets  9,800/s  4s left` in place on a terminal,
    or a line every tenth of the way when standard error is not one (logs, CI)."""

    WIDTH = 30

    def __init__(self, total: int, *, unit: str = "tickets", stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.unit = unit
        self.stream = stream or sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self._tenth = 0
        self.live = self.stream.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        tenth = self.done * 10 // self.total
        if self.live and (now - self._drawn > 0.2 or self.done >= self.total):
            self._drawn = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()
        elif not self.live and tenth > self._tenth:
            self._tenth = tenth
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        filled = self.WIDTH * min(self.done, self.total) // self.total
        left = (self.total - self.done) / rate if rate else 0
        return (
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done:,}/{self.total:,} "
            f"{self.unit}  {rate:,.0f}/s  {left:,.0f}s left "
        )

    def finish(self, message: str = "") -> None:
        if self.live:
            self.stream.write("\n")
        if message:
            self.stream.write(message + "\n")
        self.stream.flush()

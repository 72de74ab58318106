"""Render packaging/icons/wandlab.svg to the PNG, ICO and ICNS files the packages need.

    python packaging/icons/render_icons.py          # needs rsvg-convert (Debian: librsvg2-bin) and Pillow

Writes wandlab-48.png, wandlab-128.png, wandlab-256.png (Linux hicolor theme sizes), wandlab.ico
(Windows: 16-256 px) and wandlab.icns (macOS: 16-1024 px) next to the SVG. The outputs are committed, so
building a bundle needs neither tool; re-run this only after editing the SVG.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "wandlab.svg"
PNG_SIZES = (48, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(size: int) -> bytes:
    """The SVG as a size x size PNG: rsvg-convert if present, else Qt's SVG renderer."""
    rsvg = shutil.which("rsvg-convert")
    if rsvg:
        return subprocess.run([rsvg, "-w", str(size), "-h", str(size), str(SVG)], capture_output=True,
                              check=True).stdout
    return _render_with_qt(size)


def _render_with_qt(size: int) -> bytes:
    try:
        from PySide6.QtCore import QBuffer, QIODevice
        from PySide6.QtGui import QGuiApplication, QImage, QPainter
        from PySide6.QtSvg import QSvgRenderer
    except ImportError as exc:
        raise SystemExit(f"render_icons: need rsvg-convert (librsvg2-bin) or PySide6.QtSvg: {exc}") from exc
    _app = QGuiApplication.instance() or QGuiApplication(["render_icons", "-platform", "offscreen"])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def main() -> int:
    try:
        from PIL import Image
    except ImportError:
        Image = None  # noqa: N806 - PNGs only
    for size in PNG_SIZES:
        (HERE / f"wandlab-{size}.png").write_bytes(render_png(size))
    if Image is None:
        print("render_icons: Pillow is not installed: wrote the PNGs only (no .ico / .icns)", file=sys.stderr)
        return 0
    big = Image.open(io.BytesIO(render_png(1024))).convert("RGBA")
    # ICO: each size rendered from the vector source, not scaled down from one bitmap.
    ico_images = [Image.open(io.BytesIO(render_png(s))).convert("RGBA") for s in ICO_SIZES]
    ico_images[-1].save(HERE / "wandlab.ico", format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                        append_images=ico_images[:-1])
    big.save(HERE / "wandlab.icns", format="ICNS")
    for name in sorted(p.name for p in HERE.iterdir() if p.suffix in (".png", ".ico", ".icns")):
        print(f"{name:20} {(HERE / name).stat().st_size:>8} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

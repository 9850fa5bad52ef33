"""Pictures read back: QR codes decoded, SVG and PDF pages rasterised, with the Debian
tools .ci/run installs (a missing tool skips, or fails under CI)."""

import subprocess

from tests.helpers import tool as _tool


def decode_qr_png(png: bytes) -> list[str]:
    """Every QR code zbar finds in a PNG image."""
    result = subprocess.run(
        [_tool("zbarimg", "zbar-tools"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-"],
        input=png,
        capture_output=True,
        check=False,
    )
    return result.stdout.decode().split()


def svg_to_png(svg: bytes) -> bytes:
    result = subprocess.run(
        [_tool("rsvg-convert", "librsvg2-bin"), "--width", "600", "--background-color", "white"],
        input=svg,
        capture_output=True,
        check=True,
    )
    return result.stdout


def pdf_page_to_png(pdf: bytes, tmp_path) -> bytes:
    source = tmp_path / "page.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            _tool("pdftoppm", "poppler-utils"),
            "-r",
            "150",
            "-png",
            "-singlefile",
            source,
            tmp_path / "page",
        ],
        check=True,
    )
    return (tmp_path / "page.png").read_bytes()

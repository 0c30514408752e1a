"""What a file is, from its first bytes: a video container, a still image, text.

Used before decoding (a photo or a text file named .mp4 gets a sentence, not a decoder
error), by batch discovery (a clip without a video extension is still found), and after a
failed open, to say why (`diagnose_open_failure` asks ffmpeg). Every refusal is a
`BadInputError` whose one line says what is wrong and what to do.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

from stance.core.errors import BadInputError
from stance.io.ffmpeg import ffmpeg_exe


def check_exists(p: Path, shown: str) -> None:
    """Refuse a path that leads nowhere, saying why: missing, a dangling link or a loop."""
    try:
        p.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise BadInputError(
                f"{shown}: a symbolic link that leads back to itself (a loop). Fix the link or "
                "pass the video file itself."
            ) from None
        if p.is_symlink():
            raise BadInputError(
                f"{shown}: a symbolic link to {os.readlink(p)}, which does not exist. Fix the "
                "link or pass the video file itself."
            ) from None
        if err.errno == errno.ENOTDIR:
            raise BadInputError(
                f"{shown}: a folder in this path is a file. Check the path and try again."
            ) from None
        raise BadInputError(f"{shown}: no such file. Check the path and try again.") from None


#: Leading bytes of the still-image formats a phone or camera writes (ISO-BMFF images,
#: HEIC and AVIF, are told apart from MP4/MOV by the major brand of their ``ftyp`` box).
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
_IMAGE_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF"}


ISO_BMFF = "ISO BMFF (MP4, MOV, 3GP)"


def read_head(path: Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of a file (empty when it cannot be read)."""
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def video_container(head: bytes) -> str | None:
    """The video container whose signature ``head`` (a file's first 4 KiB) starts with, or
    None: ISO BMFF, Matroska/WebM, AVI, MPEG-PS/ES, FLV, Ogg, ASF/WMV, MPEG-TS/M2TS."""
    if len(head) < 12:
        return None
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return ISO_BMFF
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "Matroska/WebM"
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return "AVI"
    if head[:4] in (b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3"):
        return "MPEG"
    if head[:3] == b"FLV":
        return "FLV"
    if head[:4] == b"OggS":
        return "Ogg"
    if head[:16] == bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"):
        return "ASF/WMV"
    for step, off in ((188, 0), (192, 4)):  # MPEG-TS / M2TS: sync byte every packet
        if len(head) >= off + 3 * step and all(
            head[off + i * step] == 0x47 for i in range((len(head) - off) // step)
        ):
            return "MPEG-TS"
    return None


def looks_like_video(path: Path) -> bool:
    """True when the file starts with the signature of a common video container."""
    return video_container(read_head(path)) is not None


def still_image_kind(path: Path) -> str | None:
    """The still-image format ``path`` holds, judged by its first bytes whatever its
    extension ("JPEG", "PNG", "HEIC"...), or None when it is not a known image format.

    An animated GIF counts as a still image too: it has no timestamps worth measuring.
    """
    head = read_head(path, 16)
    for signature, kind in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp":
        return _IMAGE_BRANDS.get(head[8:12])
    return None


def diagnose_open_failure(path: Path) -> str:
    """One line on why OpenCV could not open ``path`` (asks ffmpeg; generic if it can't)."""
    generic = (
        "the file cannot be opened as a video (not a video, no video stream, or a corrupt/"
        "truncated file). Use the original recording, e.g. an .mp4 or .mov from the camera."
    )
    head = read_head(path)
    is_mp4_family = video_container(head) == ISO_BMFF
    try:
        result = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=20,
            check=False,
        )
        log = result.stderr
    except Exception:
        log = ""

    has_stream = "Stream #" in log
    has_video = any("Stream #" in ln and " Video:" in ln for ln in log.splitlines())
    if has_stream and not has_video:
        return "the file has no video stream (audio or data only). Pass a video recording."
    if "moov atom not found" in log and is_mp4_family:
        return (
            "the MP4 is truncated or unfinished (its index, the 'moov' atom, is missing: "
            "the recording was interrupted or the copy is incomplete). Copy or export the "
            "original file again."
        )
    if looks_like_text(head):
        return "this is a text file, not a video. Pass a video file (e.g. .mp4 or .mov)."
    if log and not has_stream:
        return (
            "this is not a video file FFmpeg can read (unknown or corrupt format). "
            "Pass a video file (e.g. .mp4 or .mov)."
        )
    return generic


def looks_like_text(head: bytes) -> bool:
    """True when the first bytes of a file are printable text (UTF-8)."""
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # a cut in the middle of a multi-byte character at the end is fine
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * max(len(text), 1)

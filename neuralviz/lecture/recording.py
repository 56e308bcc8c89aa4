"""Recording a scene: frames (H x W x 3 uint8 arrays, the view's pixels, never a screen grab) to a file.

GIF goes through Pillow (an optional dependency: `pip install "neuralviz[record]"`), MP4 through an `ffmpeg`
executable when one is on the PATH. Both are checked before recording starts (`check_target`), so the
lecturer learns that a tool is missing before the demo, not after it. No Qt here: the presenter grabs the
frames, this module only writes them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FORMATS = (".gif", ".mp4")
DEFAULT_FPS = 15
MAX_FRAMES = 15 * 60 * 10  # ten minutes at 15 frames/s: a recording left running must not fill the memory

PILLOW_MISSING = (
    "recording a GIF needs Pillow, which is not installed: pip install pillow "
    '(or install neuralviz with the extra: pip install "neuralviz[record]")'
)
FFMPEG_MISSING = (
    "recording an MP4 needs the ffmpeg program, which is not on the PATH: install it "
    "(e.g. apt-get install ffmpeg) or record a .gif instead"
)


class RecordingError(RuntimeError):
    """A recording cannot be written: a missing tool, a bad file name, no frames."""


def _format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise RecordingError(f"recording {str(path)!r}: the file must end in .gif or .mp4, got {suffix or 'none'!r}")
    return suffix


def check_target(path: str | os.PathLike) -> str:
    """The recording's format ('.gif' or '.mp4') once its tool is known to be there and its folder to exist;
    RecordingError saying what to install or fix otherwise."""
    suffix = _format(path)
    parent = Path(path).parent
    if not parent.is_dir():
        raise RecordingError(f"recording {str(path)!r}: the folder {str(parent)!r} does not exist")
    if suffix == ".gif":
        try:
            import PIL.Image  # noqa: F401
        except ImportError:
            raise RecordingError(PILLOW_MISSING) from None
    elif shutil.which("ffmpeg") is None:
        raise RecordingError(FFMPEG_MISSING)
    return suffix


def check_frame(frame: np.ndarray) -> np.ndarray:
    """A frame as the writers take it: H x W x 3 uint8 (ValueError naming the shape or dtype otherwise)."""
    a = np.asarray(frame)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"a frame is an H x W x 3 array, got shape {a.shape}")
    if a.dtype != np.uint8:
        raise ValueError(f"a frame holds uint8 RGB values, got dtype {a.dtype}")
    return a


def fit_frames(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Every frame at the first one's size (cropped or padded with black): a window resized while recording
    must not break the file, and video needs one size throughout."""
    if not frames:
        raise RecordingError("nothing was recorded (no frames)")
    first = check_frame(frames[0])
    h, w = first.shape[:2]
    out = []
    for f in frames:
        f = check_frame(f)
        if f.shape[:2] != (h, w):
            canvas = np.zeros((h, w, 3), np.uint8)
            hh, ww = min(h, f.shape[0]), min(w, f.shape[1])
            canvas[:hh, :ww] = f[:hh, :ww]
            f = canvas
        out.append(f)
    return out


def write_gif(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = DEFAULT_FPS) -> Path:
    """An animated GIF that loops; each frame shown 1/fps seconds."""
    try:
        from PIL import Image
    except ImportError:
        raise RecordingError(PILLOW_MISSING) from None
    images = [Image.fromarray(np.ascontiguousarray(f), "RGB") for f in fit_frames(frames)]
    duration = max(20, int(round(1000 / max(fps, 1e-3))))  # browsers treat < 20 ms as 100 ms
    images[0].save(str(path), save_all=True, append_images=images[1:], duration=duration, loop=0, optimize=False)
    return Path(path)


def write_mp4(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = DEFAULT_FPS) -> Path:
    """H.264 MP4 through ffmpeg (raw RGB frames on its standard input)."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RecordingError(FFMPEG_MISSING)
    fitted = fit_frames(frames)
    h, w = fitted[0].shape[:2]
    h2, w2 = max(2, h - h % 2), max(2, w - w % 2)  # yuv420p needs even sides
    cmd = [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w2}x{h2}"]
    cmd += ["-r", f"{fps:g}", "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)]
    data = b"".join(np.ascontiguousarray(_even(f, h2, w2)).tobytes() for f in fitted)
    done = subprocess.run(cmd, input=data, capture_output=True, check=False)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RecordingError(f"ffmpeg could not write {str(path)!r}: {said[-1] if said else done.returncode}")
    return Path(path)


def _even(frame: np.ndarray, h: int, w: int) -> np.ndarray:
    return frame[:h, :w] if frame.shape[:2] != (h, w) else frame


def write_video(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = DEFAULT_FPS) -> Path:
    """Frames to `path`, as GIF or MP4 by its suffix."""
    writer = write_gif if _format(path) == ".gif" else write_mp4
    return writer(frames, path, fps)


class Recorder:
    """Frames collected while a scene plays, written at the end. The frame count is capped (MAX_FRAMES):
    beyond it the oldest frames are dropped, so a forgotten recording keeps its last minutes."""

    def __init__(self, path: str | os.PathLike, fps: float = DEFAULT_FPS, max_frames: int = MAX_FRAMES):
        if not (fps > 0):
            raise ValueError(f"fps must be > 0, got {fps!r}")
        self.format = check_target(path)
        self.path = Path(path)
        self.fps = float(fps)
        self.max_frames = int(max_frames)
        self.frames: list[np.ndarray] = []

    def add(self, frame: np.ndarray) -> None:
        self.frames.append(check_frame(frame).copy())
        if len(self.frames) > self.max_frames:
            del self.frames[0]

    def __len__(self) -> int:
        return len(self.frames)

    def save(self) -> Path:
        return write_video(self.frames, self.path, self.fps)

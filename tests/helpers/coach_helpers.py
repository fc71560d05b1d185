"""Test helper (not a test): a real `repcoach serve` process, a real exercise clip, Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
REPCOACH = Path(sys.executable).with_name("repcoach")
CHROMIUM = "/usr/bin/chromium"
CLIP_VIDEO = ("exercise_videos_stock", "videos", "jumpingjack_a.mp4")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`repcoach serve` in its own process on a free 127.0.0.1 port (started by :meth:`start`)."""

    def __init__(self, model: Path, data_dir: Path, *extra: str) -> None:
        self.model, self.data_dir, self.extra = model, data_dir, extra
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90.0) -> Server:
        self.port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1",
                   TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(REPCOACH), "serve", "--model", str(self.model), "--port", str(self.port),
             "--data-dir", str(self.data_dir), *self.extra],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        t0 = time.time()
        while time.time() - t0 < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {Path(self.log.name).read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/api/info", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """Stop it hard (SIGKILL): what a crash or a power cut leaves behind."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def make_clip(src: Path, out_dir: Path, seconds: float = 8.0, fps: int = 15,
              width: int = 480) -> tuple[Path, Path]:
    """``(clip.y4m, clip.mp4)``: ``src`` looped to ``seconds`` at ``fps``, ``width`` pixels wide
    (the .y4m feeds Chromium's fake camera; the .mp4, near-lossless, the offline analysis)."""
    import imageio_ffmpeg

    ff = imageio_ffmpeg.get_ffmpeg_exe()
    y4m, mp4 = out_dir / "clip.y4m", out_dir / "clip.mp4"
    subprocess.run([ff, "-y", "-loglevel", "error", "-stream_loop", "-1", "-i", str(src),
                    "-vf", f"scale={width}:-2,fps={fps}", "-t", str(seconds),
                    "-pix_fmt", "yuv420p", str(y4m)], check=True)  # fmt: skip
    subprocess.run([ff, "-y", "-loglevel", "error", "-i", str(y4m), "-c:v", "libx264",
                    "-crf", "12", "-pix_fmt", "yuv420p", str(mp4)], check=True)  # fmt: skip
    return y4m, mp4


def chromium_args(y4m: Path | None) -> list[str]:
    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    if y4m is not None:
        args.append(f"--use-file-for-fake-video-capture={y4m}")
    return args

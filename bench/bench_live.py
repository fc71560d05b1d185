"""Benchmark the live page in a real browser: capture -> server pose -> overlay drawn.

Starts `repcoach serve` (its own process, 127.0.0.1, free port) and headless Debian Chromium
whose fake camera plays a real exercise clip (.y4m, made from ``--video`` with imageio-ffmpeg's
ffmpeg), opens the live page, streams for ``--seconds`` and reports, from the page's own
measurements (no assertions):

- **latency**: ``performance.now()`` when the frame was grabbed from the <video> -> after the
  skeleton for that frame was drawn on the overlay canvas (JPEG encode, WebSocket, JPEG decode,
  MediaPipe, LiveAnalyzer, JSON back, drawing), p50 / p95 / max;
- **sustained fps**: overlay updates per second over the run (the page asks for 15 fps, at most
  2 frames in flight);
- the server's own time per frame (decode + pose + live analysis), p50 / p95.

    .venv/bin/python bench/bench_live.py --model MODEL_DIR [--video X.mp4] [--seconds 20]
        [--send-width 320] [--cores 0,1] [--json OUT]

``--cores`` pins the server to those CPUs (``taskset``); the browser is not pinned.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from repcoach.io.media import VIDEO_EXTENSIONS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # tests/helpers/coach_helpers.py
REALDATA = Path(os.environ.get("REPCOACH_REALDATA", ROOT.parent / "shared" / "realdata"))
DEFAULT_VIDEO = REALDATA / "exercise_videos_stock" / "videos" / "jumpingjack_a.mp4"


def main() -> None:
    from helpers.coach_helpers import CHROMIUM, Server, chromium_args, make_clip

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--send-width", type=int, default=320)
    ap.add_argument("--cores", default=None, help="e.g. 0,1: taskset the server")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    if args.video.suffix.lower() not in VIDEO_EXTENSIONS:
        ap.error(f"--video must be a video ({', '.join(VIDEO_EXTENSIONS)}), got {args.video}")
    y4m, _ = make_clip(args.video, tmp, seconds=max(8.0, args.seconds), fps=15, width=480)
    server = Server(args.model, tmp / "data")
    server.start() if not args.cores else _start_pinned(server, args.cores)
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=chromium_args(y4m))
            page = browser.new_page()
            page.goto(server.url + "/")
            page.evaluate(f"SEND_WIDTH_OVERRIDE = {args.send_width}")
            page.click("#mute")
            page.click("#start")
            page.wait_for_function("window.__repcoach.firstReceived !== null", timeout=90_000)
            page.evaluate("Object.assign(window.__repcoach, "
                          "{latencies: [], received: 0, serverMs: []})")
            t0 = time.perf_counter()
            time.sleep(args.seconds)
            stats = page.evaluate("JSON.parse(JSON.stringify(window.__repcoach))")
            took = time.perf_counter() - t0
            page.click("#stop")
            page.wait_for_function("window.__repcoach.finished !== null", timeout=60_000)
            final = page.evaluate("window.__repcoach.finished.analysis")
            browser.close()
    finally:
        server.stop()
    lat = np.asarray(stats["latencies"], float)
    srv = np.asarray(stats["serverMs"], float)
    out = {
        "video": str(args.video), "seconds": round(took, 2), "send_width": args.send_width,
        "cores": args.cores or f"all ({os.cpu_count()})",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "frames": int(stats["received"]), "fps": round(stats["received"] / took, 2),
        "latency_ms": {"p50": _q(lat, 50), "p95": _q(lat, 95), "max": _q(lat, 100)},
        "server_ms": {"p50": _q(srv, 50), "p95": _q(srv, 95)},
        "session": {"rep_count": final and final["rep_count"],
                    "exercise": final and final["exercise"]},
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


def _q(x: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(x, q)), 1) if x.size else None


def _start_pinned(server, cores: str):
    """Start the server under ``taskset -c cores`` (Linux)."""
    from helpers import coach_helpers

    real = coach_helpers.REPCOACH
    wrapper = Path(tempfile.mkdtemp()) / "repcoach"
    wrapper.write_text(f"#!/bin/sh\nexec taskset -c {cores} {real} \"$@\"\n")
    wrapper.chmod(0o755)
    coach_helpers.REPCOACH = wrapper
    return server.start()


if __name__ == "__main__":
    main()

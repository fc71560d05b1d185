"""Bad input and load against a real `repcoach serve` process (httpx, websockets)."""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from helpers.coach_helpers import CLIP_VIDEO, Server

pytestmark = [pytest.mark.realdata, pytest.mark.slow, pytest.mark.timeout(300)]

_SHORT: dict[str, Path] = {}


@pytest.fixture
def short_clip(realdata, tmp_path_factory) -> Path:
    """2 s of the real jumping-jack video, 320 px wide, 15 fps (an .mp4)."""
    if "clip" not in _SHORT:
        import imageio_ffmpeg

        out = tmp_path_factory.mktemp("short") / "short.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i",
                        str(realdata(*CLIP_VIDEO)), "-vf", "scale=320:-2,fps=15", "-t", "2",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True)
        _SHORT["clip"] = out
    return _SHORT["clip"]


@pytest.fixture(scope="module")
def server(coach_model, tmp_path_factory):
    """One server for the upload tests (1 MB upload limit); tests use their own file names."""
    s = Server(coach_model, tmp_path_factory.mktemp("bad") / "data", "--max-upload-mb", "1")
    yield s.start()
    s.stop()


@pytest.fixture
def own_server(coach_model, tmp_path):
    s = Server(coach_model, tmp_path / "data").start()
    yield s
    s.stop()


def sources(server: Server) -> list[str]:
    return sorted(s["source"] for s in httpx.get(server.url + "/api/sets").json())


def post(server: Server, name: str, content: bytes, timeout: float = 120) -> httpx.Response:
    return httpx.post(server.url + "/api/upload", files={"file": (name, content)},
                      timeout=timeout)


def no_person_video(path: Path) -> Path:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi",
                    "-i", "testsrc=size=320x240:rate=15:duration=2", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(path)], check=True)  # fmt: skip
    return path


def test_rejected_uploads_say_why_and_save_nothing(server, short_clip, tmp_path):
    before = set((server.data_dir / "uploads").iterdir())
    big = post(server, "big.mp4", b"\0" * 1_200_000)
    assert big.status_code == 413 and "larger than the 1 MB limit" in big.json()["error"]
    junk = post(server, "holiday.mp4", b"this is not a video at all" * 100)
    assert junk.status_code == 422 and junk.json()["error"].startswith("holiday.mp4: ")
    assert "not a video" in junk.json()["error"]
    txt = post(server, "notes.txt", b"hello")
    assert txt.status_code == 415 and "unsupported file type '.txt'" in txt.json()["error"]
    empty = post(server, "empty.mp4", b"")
    assert empty.status_code == 422 and "empty" in empty.json()["error"]
    bad_csv = post(server, "poses.csv", b"a,b\n1,2\n")
    assert bad_csv.status_code == 422 and bad_csv.json()["error"].startswith("poses.csv")
    nobody = post(server, "nobody.mp4", no_person_video(tmp_path / "nobody.mp4").read_bytes())
    assert nobody.status_code == 422 and "no person" in nobody.json()["error"]
    for r in (big, junk, txt, empty, bad_csv, nobody):
        assert str(server.data_dir) not in r.text  # server paths are not shown
    assert not {"big.mp4", "holiday.mp4", "notes.txt", "empty.mp4", "poses.csv",
                "nobody.mp4"} & set(sources(server))
    assert set((server.data_dir / "uploads").iterdir()) == before  # nothing half-saved
    # a name that tries to leave the upload folder is only a display name
    ok = post(server, "../../../../evil.mp4", short_clip.read_bytes())
    assert ok.status_code == 200, ok.text
    assert ok.json()["source"] == "evil.mp4"
    assert not (server.data_dir.parent / "evil.mp4").exists()
    stored = sorted(p.name for p in set((server.data_dir / "uploads").iterdir()) - before)
    assert len(stored) == 2 and all(n.split(".")[0].isalnum() for n in stored), stored
    assert server.alive()


def test_eight_concurrent_uploads(server, short_clip):
    good = short_clip.read_bytes()
    jobs = [(f"set{i}.mp4", good) for i in range(6)] + [("bad1.mp4", b"x" * 5000),
                                                        ("bad2.avi", b"y" * 5000)]
    t0 = time.time()
    with ThreadPoolExecutor(8) as pool:
        res = list(pool.map(lambda j: post(server, *j, timeout=240), jobs))
    took = time.time() - t0
    assert [r.status_code for r in res] == [200] * 6 + [422, 422], [r.text for r in res]
    counts = {r.json()["rep_count"] for r in res[:6]}
    assert len(counts) == 1  # the same clip gives the same analysis under load
    got = sources(server)
    assert all(got.count(j[0]) == 1 for j in jobs[:6]) and "bad1.mp4" not in got
    assert not list((server.data_dir / "uploads").glob(".part-*"))
    assert server.alive()
    print(f"8 concurrent uploads in {took:.1f} s")


def frames(clip: Path, n: int) -> list[bytes]:
    import cv2

    cap = cv2.VideoCapture(str(clip))
    out = []
    while len(out) < n:
        ok, img = cap.read()
        if not ok:
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            continue
        out.append(cv2.imencode(".jpg", img)[1].tobytes())
    return out


def live_frames(ws, jpegs: list[bytes], dt_ms: float = 1000 / 15) -> list[dict]:
    replies = []
    for i, jpeg in enumerate(jpegs):
        ws.send(struct.pack("<d", 1000.0 + i * dt_ms) + jpeg)
        replies.append(json.loads(ws.recv(timeout=60)))
    return replies


def wait_closed(server: Server, set_id: int, timeout_s: float = 60) -> dict:
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        s = httpx.get(f"{server.url}/api/sets/{set_id}").json()
        if s["status"] != "open":
            return s
        time.sleep(0.3)
    raise AssertionError(f"set {set_id} still open")


def test_live_dropped_connection_and_crash_keep_the_reps(own_server, short_clip):
    server = own_server
    from websockets.sync.client import connect

    url = server.url.replace("http", "ws") + "/ws/live"
    jpegs = frames(short_clip, 90)  # 6 s at 15 fps: the 2 s clip three times
    with connect(url, max_size=None) as ws:
        ws.send(struct.pack("<d", 0.0) + b"not a jpeg")  # before start
        assert json.loads(ws.recv(timeout=30))["type"] == "error"
        ws.send(json.dumps({"type": "start", "source": "../cam"}))
        started = json.loads(ws.recv(timeout=60))
        assert started["type"] == "started"
        ws.send(struct.pack("<d", 1.0) + b"garbage")
        assert json.loads(ws.recv(timeout=30))["message"] == "frame is not a JPEG image"
        replies = live_frames(ws, jpegs)
        assert all(r["type"] == "frame" for r in replies)
        assert sum(r["landmarks"] is not None for r in replies) > 60
        counted = replies[-1]["count"]
        ws.socket.shutdown(socket.SHUT_RDWR)  # the page vanishes: no stop, no close frame
    s = wait_closed(server, started["set_id"])
    assert s["status"] == "dropped" and s["source"] == "cam"
    assert s["rep_count"] >= counted >= 1 and s["analysis"]["live"]["ended"] == "dropped"
    assert server.alive() and httpx.get(server.url + "/api/info").status_code == 200

    # mid-set crash: reps saved as they happened, the set closed on restart
    with connect(url, max_size=None) as ws:
        ws.send(json.dumps({"type": "start"}))
        crash_id = json.loads(ws.recv(timeout=60))["set_id"]
        replies = live_frames(ws, jpegs)
        counted = replies[-1]["count"]
        assert counted >= 1
        saved = httpx.get(f"{server.url}/api/sets/{crash_id}").json()
        assert saved["status"] == "open" and len(saved["reps"]) == counted
        server.kill()
    server.start()
    s = httpx.get(f"{server.url}/api/sets/{crash_id}").json()
    assert s["status"] == "interrupted" and s["rep_count"] == counted
    assert [r["idx"] for r in s["reps"]] == list(range(1, counted + 1))
    assert all(np.isfinite(r["start_s"]) and r["end_s"] > r["start_s"] for r in s["reps"])
    assert crash_id in httpx.get(server.url + "/api/info").json()["interrupted_on_start"]


def test_bad_profile_is_refused(server):
    r = httpx.put(server.url + "/api/profile", json={"age": "old"})
    assert r.status_code == 422 and "age must be a int" in r.json()["error"]
    r = httpx.put(server.url + "/api/profile", json={"shoe_size": 44})
    assert r.status_code == 422 and "unknown profile field 'shoe_size'" in r.json()["error"]
    ok = httpx.put(server.url + "/api/profile", json={"age": 40, "healthy_eater": True})
    assert ok.status_code == 200 and ok.json()["age"] == 40 and ok.json()["healthy_eater"]

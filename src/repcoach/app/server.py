"""The coach's web server (FastAPI): live page over a WebSocket, uploads, history, export.

``create_app(model_dir, data_dir)`` builds the application; ``repcoach serve`` runs it with
uvicorn. Pose runs on the server: the live page sends downscaled JPEG frames (8-byte
little-endian float64 capture time in ms, then the JPEG) and gets back, per frame, the
landmarks and the live events as JSON. Every page, script and style sheet is served from the
package (``static/``); nothing comes from a CDN. This module imports FastAPI at the top.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import struct
import threading
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from fastapi import FastAPI, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

from repcoach.analyze import Analyzer, is_video, recording_frame_size
from repcoach.analyze.live import LiveAnalyzer, RepEvent
from repcoach.app.plots import progress_plot
from repcoach.app.plots import set_plot as plot
from repcoach.app.store import Store
from repcoach.deploy.runtime import RuntimeModels
from repcoach.errors import DataError
from repcoach.io.atomic import write_json
from repcoach.io.media import VIDEO_EXTENSIONS
from repcoach.io.pose_csv import read_pose_csv
from repcoach.pose.extract import extract_pose
from repcoach.skeleton import MEDIAPIPE_33

STATIC = Path(__file__).resolve().parent / "static"
UPLOAD_SUFFIXES = (*VIDEO_EXTENSIONS, ".csv")  # what `repcoach analyze` takes
MAX_FRAME_BYTES = 2_000_000


def safe_name(name: str | None) -> str:
    """A display name from a client's file name: last path part only, odd characters
    replaced (never used as a path: stored files get generated names)."""
    base = (name or "").replace("\\", "/").split("/")[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")
    return (base or "upload")[:100]


def user_message(e: DataError, name: str) -> str:
    """The error for the client, naming its file, not the server's temporary path."""
    where = [name]
    if e.row is not None:
        where.append(f"row {e.row}")
    if e.column is not None:
        where.append(f"column {e.column!r}")
    return f"{', '.join(where)}: {e.reason}"


class Coach:
    """What the routes share: the store, the models, the worker pools and the limits."""

    def __init__(
        self, model_dir: str | Path, data_dir: str | Path, max_upload_bytes: int,
        upload_workers: int,
    ) -> None:

        self.model_dir = Path(model_dir)
        self.data_dir = Path(data_dir)
        self.uploads = self.data_dir / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data_dir / "coach.sqlite")
        self.interrupted = self.store.close_open_sets()
        for stale in self.uploads.glob(".part-*"):  # uploads cut off by a stop
            stale.unlink(missing_ok=True)
        self.analyzer = Analyzer(self.model_dir)
        self.model_lock = threading.Lock()  # LiteRT interpreters are not thread-safe
        self.max_upload_bytes = int(max_upload_bytes)
        self.pool = ThreadPoolExecutor(max_workers=upload_workers, thread_name_prefix="upload")

    def info(self) -> dict[str, Any]:

        return {"classes": list(self.analyzer.models.classes), "bones": MEDIAPIPE_33.bones,
                "max_upload_bytes": self.max_upload_bytes, "model_dir": str(self.model_dir),
                "interrupted_on_start": self.interrupted}  # fmt: skip

    # ------------------------------------------------------------------ uploads
    def analyze_upload(self, path: Path, name: str) -> int:
        """Analyse a stored upload and save it (one transaction); returns the set id."""

        seq = extract_pose(path) if is_video(path) else read_pose_csv(path)
        if seq.n_frames < 2:
            raise DataError(f"the recording has {seq.n_frames} frame(s); need at least 2", path)
        if not seq.detected.any() or not np.isfinite(seq.coords).any():
            raise DataError("no person found in the recording (MediaPipe detected nobody in "
                            "any frame)", path)  # fmt: skip

        with self.model_lock, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            result = self.analyzer.analyze(seq, frame_size=recording_frame_size(path))
        analysis = result.to_dict()
        analysis["source"] = name
        media = uuid.uuid4().hex
        kept = []
        try:
            poses = {"t": [round(float(t), 3) for t in seq.timestamps],
                     "xy": np.round(np.nan_to_num(seq.coords[:, :, :2], nan=-1.0), 4).tolist(),
                     "video": is_video(path)}  # fmt: skip
            write_json(self.uploads / f"{media}.poses.json", poses)
            kept.append(self.uploads / f"{media}.poses.json")
            if is_video(path):
                final = self.uploads / f"{media}{path.suffix.lower()}"
                path.replace(final)
                kept.append(final)
            return self.store.save_analysis("upload", name, analysis, media=media)
        except BaseException:
            for p in kept:
                p.unlink(missing_ok=True)
            raise

    def media_path(self, set_id: int, what: str) -> Path | None:
        s = self.store.get_set(set_id)
        if s is None or not s.get("media"):
            return None
        if what == "poses":
            return self.uploads / f"{s['media']}.poses.json"
        for suffix in UPLOAD_SUFFIXES:
            p = self.uploads / f"{s['media']}{suffix}"
            if p.is_file():
                return p
        return None


class LiveSession:
    """One live WebSocket session: its own pose model and analyser, one worker thread."""

    def __init__(self, coach: Coach, source: str) -> None:
        self.coach = coach
        self.source = source
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live")
        self.live: Any = None
        self.set_id: int | None = None
        self.t0_ms: float | None = None
        self.closed = False

    def start(self) -> int:

        models = RuntimeModels.load(self.coach.model_dir, self.coach.analyzer.options.precision)
        # counting + repetition analysis off the frame path: a frame costs only its pose
        self.live = LiveAnalyzer(Analyzer(options=self.coach.analyzer.options, models=models),
                                 source=self.source, background=True)  # fmt: skip
        self.live.open(warm_up=True)
        self.set_id = self.coach.store.open_set("live", self.source)
        return self.set_id

    def frame(self, ts_ms: float, jpeg: bytes) -> dict[str, Any]:


        t_start = time.perf_counter()
        img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            return {"type": "error", "id": ts_ms, "message": "frame is not a JPEG image"}
        if self.t0_ms is None:
            self.t0_ms = ts_ms
        out = self.live.push_frame(cv2.cvtColor(img, cv2.COLOR_BGR2RGB),
                                   (ts_ms - self.t0_ms) / 1000.0)  # fmt: skip
        events = []
        for e in out.events:
            d = e.to_dict()
            if isinstance(e, RepEvent):
                self.coach.store.add_rep(self.set_id, e.index, d, e.exercise)
            events.append(d)
        lm = None
        if out.landmarks is not None:
            lm = np.round(np.column_stack([out.landmarks[:, :2], out.visibility]), 4).tolist()
        s = self.live.state
        return {"type": "frame", "id": ts_ms, "landmarks": lm, "count": s.count,
                "exercise": s.exercise, "events": events,
                "server_ms": round(1000 * (time.perf_counter() - t_start), 2)}  # fmt: skip

    def finish(self, status: str = "closed") -> dict[str, Any]:
        """Close the set with the final analysis (or with the reps saved so far)."""
        if self.closed:
            return {"type": "finished", "set_id": self.set_id, "analysis": None}
        self.closed = True
        analysis = None
        try:
            if self.live is not None and self.live.n_frames >= 2:
                analysis = self.live.finish().to_dict()
                analysis["live"]["ended"] = status
        except DataError:
            analysis = None
        finally:
            if self.live is not None:
                self.live.close()
        if self.set_id is not None:
            self.coach.store.close_set(self.set_id, analysis, status=status)
        return {"type": "finished", "set_id": self.set_id, "analysis": analysis}


def create_app(
    model_dir: str | Path, data_dir: str | Path, *, max_upload_mb: float = 200.0,
    upload_workers: int = 2,
) -> Any:
    """The FastAPI application (models loaded and open sets closed at start-up)."""
    coach = Coach(model_dir, data_dir, int(max_upload_mb * 1e6), upload_workers)

    @asynccontextmanager
    async def lifespan(_app: Any):
        yield
        coach.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="repcoach", lifespan=lifespan)
    app.state.coach = coach
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    def page(name: str) -> Any:
        def serve_page() -> FileResponse:
            return FileResponse(STATIC / name)

        return serve_page

    for route, name in (("/", "live.html"), ("/upload", "upload.html"),
                        ("/history", "history.html")):  # fmt: skip
        app.add_api_route(route, page(name), methods=["GET"], include_in_schema=False)

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        return coach.info()

    @app.get("/api/profile")
    def get_profile() -> dict[str, Any]:
        return coach.store.profile()

    @app.put("/api/profile")
    async def put_profile(request: Request) -> Any:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("expected a JSON object")
            return coach.store.set_profile(body)
        except ValueError as e:
            return error(422, f"profile: {e}")

    @app.post("/api/upload")
    async def upload(request: Request, file: UploadFile) -> Any:
        name = safe_name(file.filename)
        limit = coach.max_upload_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + 1_000_000:
            return error(413, f"{name}: the upload is larger than the {limit / 1e6:g} MB limit")
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            return error(415, f"{name}: unsupported file type {suffix or '(none)'!r}; upload a "
                              f"video ({', '.join(UPLOAD_SUFFIXES[:-1])}) or a pose .csv")
        tmp = coach.uploads / f".part-{uuid.uuid4().hex}{suffix}"
        size = 0
        try:
            with tmp.open("wb") as f:
                while chunk := await file.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        return error(413, f"{name}: the upload is larger than the "
                                          f"{limit / 1e6:g} MB limit")  # fmt: skip
                    f.write(chunk)
            if size == 0:
                return error(422, f"{name}: the file is empty")
            loop = asyncio.get_running_loop()
            set_id = await loop.run_in_executor(coach.pool, coach.analyze_upload, tmp, name)
        except DataError as e:
            return error(422, user_message(e, name))
        except Exception as e:  # keep serving; say what failed
            return error(500, f"{name}: analysis failed ({type(e).__name__}: {e})")
        finally:
            tmp.unlink(missing_ok=True)
        return {"set_id": set_id, **(coach.store.get_set(set_id) or {})}

    @app.get("/api/sets")
    def sets() -> list[dict[str, Any]]:
        return coach.store.sets()

    @app.get("/api/sets/{set_id}")
    def get_set(set_id: int) -> Any:
        s = coach.store.get_set(set_id)
        return s if s is not None else error(404, f"no set {set_id}")

    @app.get("/api/sets/{set_id}/plot.png")
    def set_plot(set_id: int) -> Any:

        s = coach.store.get_set(set_id)
        if s is None:
            return error(404, f"no set {set_id}")
        analysis = s["analysis"] or {"exercise": s["exercise"], "repetitions": s["reps"]}
        return Response(plot(analysis, f"set {set_id}"), media_type="image/png")

    @app.get("/api/sets/{set_id}/poses")
    def set_poses(set_id: int) -> Any:
        p = coach.media_path(set_id, "poses")
        return FileResponse(p) if p and p.is_file() else error(404, f"set {set_id} has no poses")

    @app.get("/api/sets/{set_id}/video")
    def set_video(set_id: int) -> Any:
        p = coach.media_path(set_id, "video")
        return FileResponse(p) if p else error(404, f"set {set_id} has no video")

    @app.get("/api/progress")
    def progress() -> dict[str, Any]:
        return coach.store.progress()

    @app.get("/api/progress.png")
    def progress_png() -> Response:

        return Response(progress_plot(coach.store.progress()), media_type="image/png")

    @app.get("/api/export.csv")
    def export_csv() -> PlainTextResponse:
        return PlainTextResponse(coach.store.export_csv(), media_type="text/csv",
                                 headers={"Content-Disposition":
                                          'attachment; filename="repcoach-history.csv"'})

    @app.websocket("/ws/live")
    async def ws_live(ws: WebSocket) -> None:
        await ws.accept()
        loop = asyncio.get_running_loop()
        session: LiveSession | None = None
        status = "dropped"
        try:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                if msg.get("text") is not None:
                    try:
                        cmd = json.loads(msg["text"])
                    except json.JSONDecodeError:
                        cmd = {}
                    kind = cmd.get("type") if isinstance(cmd, dict) else None
                    if kind == "start" and session is None:
                        session = LiveSession(coach, safe_name(str(cmd.get("source", "camera"))))
                        set_id = await loop.run_in_executor(session.pool, session.start)
                        await ws.send_json({"type": "started", "set_id": set_id})
                    elif kind == "stop" and session is not None:
                        status = "closed"
                        await ws.send_json(await loop.run_in_executor(session.pool,
                                                                      session.finish))
                        break
                    else:
                        await ws.send_json({"type": "error", "message": "expected "
                                            '{"type": "start"} first, then frames, then '
                                            '{"type": "stop"}'})  # fmt: skip
                    continue
                data = msg.get("bytes") or b""
                if session is None or session.closed:
                    await ws.send_json({"type": "error", "message": "send start first"})
                    continue
                if len(data) < 9 or len(data) > MAX_FRAME_BYTES:
                    await ws.send_json({"type": "error", "message": "a frame is 8 bytes of "
                                        "capture time then a JPEG under 2 MB"})  # fmt: skip
                    continue
                (ts_ms,) = struct.unpack("<d", data[:8])
                reply = await loop.run_in_executor(session.pool, session.frame, ts_ms, data[8:])
                await ws.send_json(reply)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            if session is not None and not session.closed:
                await loop.run_in_executor(session.pool, session.finish, status)
            if session is not None:
                session.pool.shutdown(wait=False)
            with contextlib.suppress(RuntimeError):  # already closed by the client
                await ws.close()

    return app

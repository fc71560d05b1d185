"""`repcoach serve`: the coach's local web app (live camera page, uploads, history)."""

from __future__ import annotations

from pathlib import Path

import typer

from repcoach.app.server import create_app
from repcoach.cli.app import app
from repcoach.errors import DataError


@app.command("serve")
def serve_cmd(
    model: Path = typer.Option(..., "--model", "-m", help="Exported model folder."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (local only by "
                             "default; the app has no login)."),
    data_dir: Path = typer.Option(Path("repcoach-data"), "--data-dir",
                                  help="Where the SQLite history and uploads are kept."),
    max_upload_mb: float = typer.Option(200.0, "--max-upload-mb", help="Largest upload."),
    upload_workers: int = typer.Option(2, "--upload-workers", min=1,
                                       help="Uploads analysed at the same time (others wait)."),
) -> None:
    """Serve the web app: open http://HOST:PORT/ in a browser (camera needs localhost/HTTPS)."""
    import uvicorn


    if not (model / "config.json").is_file():
        raise DataError("not a model folder (no config.json); train and export one first, "
                        "e.g. `repcoach demo`", model)
    web = create_app(model, data_dir, max_upload_mb=max_upload_mb,
                     upload_workers=upload_workers)
    print(f"repcoach serving on http://{host}:{port}/  (data in {data_dir})", flush=True)
    uvicorn.run(web, host=host, port=port, log_level="warning", ws_max_size=4 * 1024 * 1024)

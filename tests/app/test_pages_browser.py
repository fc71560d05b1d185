"""Upload and history pages in a real browser; the history survives a server restart."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from helpers.coach_helpers import Server

pytestmark = [pytest.mark.realdata, pytest.mark.slow, pytest.mark.timeout(240)]


def test_upload_history_restart_and_export(browser, clip, coach_model, tmp_path, shots):
    data = tmp_path / "data"
    server = Server(coach_model, data).start()
    try:
        page = browser.new_page()
        page.goto(server.url + "/upload")
        page.set_input_files("#file", str(clip[1]))
        page.click("#send")
        page.wait_for_selector("#reps tbody tr", timeout=120_000)
        rows = page.locator("#reps tbody tr").count()
        page.wait_for_function("document.getElementById('plot').naturalWidth > 0")
        page.wait_for_timeout(800)  # let the video show its first frame under the overlay
        page.screenshot(path=str(shots / "upload.png"), full_page=True)
        sets = httpx.get(server.url + "/api/sets").json()
        assert len(sets) == 1 and sets[0]["rep_count"] == rows >= 1
        assert page.inner_text("#count") == str(rows)
        png = httpx.get(f"{server.url}/api/sets/{sets[0]['id']}/plot.png")
        assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"

        page.goto(server.url + "/history")
        page.fill("input[name=age]", "31")
        page.fill("input[name=height_cm]", "178")
        page.check("input[name=smoker]")
        page.click("#profile button[type=submit]")
        page.wait_for_selector("#saved:has-text('saved')")
    finally:
        server.stop()

    server = Server(coach_model, data).start()  # a new process on the same data folder
    try:
        page.goto(server.url + "/history")
        page.wait_for_selector("#sets tbody tr")
        page.wait_for_function("document.getElementById('progress').naturalWidth > 0")
        assert page.input_value("input[name=age]") == "31"
        assert page.is_checked("input[name=smoker]")
        assert not page.is_checked("input[name=healthy_eater]")
        assert page.locator("#sets tbody tr").count() == 1
        page.screenshot(path=str(shots / "history.png"), full_page=True)
        with page.expect_download() as dl:
            page.click("#export")
        text = Path(dl.value.path()).read_text()
        table = list(csv.DictReader(io.StringIO(text)))
        assert len(table) == rows and {r["set_id"] for r in table} == {str(sets[0]["id"])}
        assert [int(r["rep"]) for r in table] == list(range(1, rows + 1))
        assert all(r["source"] == "clip.mp4" for r in table)
    finally:
        server.stop()

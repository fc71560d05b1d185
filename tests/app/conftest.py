"""Fixtures of the web-app tests: a tiny exported model, a real clip, a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.coach_helpers import CHROMIUM, CLIP_VIDEO, chromium_args, make_clip

_CLIPS: dict[str, tuple[Path, Path]] = {}


@pytest.fixture(scope="session")
def coach_model(tmp_path_factory) -> Path:
    from helpers.tiny_model_dir import exported_copy

    return exported_copy(tmp_path_factory.mktemp("coach") / "model")


@pytest.fixture
def clip(realdata, tmp_path_factory) -> tuple[Path, Path]:
    """A real jumping-jack video looped to 8 s, 480 px wide, 15 fps: (.y4m, .mp4); made once."""
    if "clip" not in _CLIPS:
        _CLIPS["clip"] = make_clip(realdata(*CLIP_VIDEO), tmp_path_factory.mktemp("clip"))
    return _CLIPS["clip"]


@pytest.fixture(scope="session")
def playwright_session():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser(playwright_session, clip):
    """Headless Debian Chromium whose fake camera plays the clip."""
    b = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=chromium_args(clip[0]))
    yield b
    b.close()


@pytest.fixture
def shots(tmp_path_factory) -> Path:
    """Where screenshots go (REPCOACH_SHOTS to keep them somewhere known)."""
    import os

    d = os.environ.get("REPCOACH_SHOTS")
    p = Path(d) if d else tmp_path_factory.mktemp("shots")
    p.mkdir(parents=True, exist_ok=True)
    return p

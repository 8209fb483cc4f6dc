"""The viewer in real headless Chromium, opened from disk and served over HTTP."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from honeycast.build import BuildOptions, BuildResult, build
from honeycast.scan import ReadOptions

SMALL_LOG = Path(__file__).parent / "data" / "small-auth.log"


@pytest.fixture(scope="module")
def served(small_site: BuildResult) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(small_site.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass


@pytest.mark.parametrize("how", ["file", "http"])
def test_page_plays_from_disk_and_over_http(how: str, small_site: BuildResult, served: str, browser: Any) -> None:
    base = small_site.out.resolve().as_uri() + "/" if how == "file" else served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(base + "index.html")
    expect(page.locator("#time")).to_have_text("2026-11-29 06:00–06:10 UTC")
    page.wait_for_function("() => document.getElementById('map').complete")

    assert page.eval_on_selector("#map", "img => img.naturalWidth") == 1280
    first = page.text_content("#time")
    assert first == "2026-11-29 06:00–06:10 UTC"
    assert page.text_content("#slice-attempts") == str(small_site.timeline.slices[0].attempts)

    page.click("#play")
    expect(page.locator("#time")).not_to_have_text(first)
    assert page.get_attribute("#play", "aria-label") == "Pause"
    assert page.eval_on_selector("#map", "img => img.src").endswith(("/frames/0001.png", "/frames/0002.png"))

    page.click("#play")  # pause
    page.fill("#slider", "5")
    assert page.text_content("#time") == "2026-11-29 06:50–07:00 UTC"
    assert page.eval_on_selector("#map", "img => img.src").endswith("/frames/0005.png")

    assert errors == []
    assert requests and all(url.startswith(base) for url in requests), requests
    page.close()


def test_site_built_without_frames_scrubs_the_video(small_site: BuildResult, browser: Any, tmp_path: Path) -> None:
    options = BuildOptions(
        read=ReadOptions(logs=[str(SMALL_LOG)], year=2026, tz=UTC), out=tmp_path / "site", frames=False, size=(640, 360)
    )
    site = build(options)
    assert not (site.out / "frames").exists()
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site.out.resolve().as_uri() + "/index.html")
    expect(page.locator("video#map")).to_have_count(1)
    page.wait_for_function("() => document.getElementById('map').readyState >= 1")
    page.fill("#slider", "3")
    assert page.text_content("#time") == "2026-11-29 06:30–06:40 UTC"
    assert page.eval_on_selector("#map", "video => video.currentTime") == pytest.approx(3.5, abs=0.01)
    assert errors == []
    page.close()

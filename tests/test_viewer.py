"""The viewer in real headless Chromium: opened from disk, served over HTTP, embedded, attacked."""

from __future__ import annotations

import functools
import http.server
import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from honeycast.build import BuildOptions, BuildResult, build
from honeycast.scan import ReadOptions

DATA = Path(__file__).parent / "data"
FIRST = "2026-11-29 06:00–06:10 UTC"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(small_site: BuildResult) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(small_site.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def document(small_site: BuildResult) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((small_site.out / "data" / "slices.json").read_text(encoding="utf-8"))
    return loaded


class Watched:
    """A page with its console errors, page errors, dialogs and requests recorded."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.page = browser.new_page(**options)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def open(self, url: str) -> Any:
        self.page.goto(url)
        expect(self.page.locator("#map svg")).to_have_count(1)
        return self.page


@pytest.mark.parametrize("how", ["file", "http"])
def test_page_plays_from_disk_and_over_http(how: str, small_site: BuildResult, served: str, browser: Any) -> None:
    base = small_site.out.resolve().as_uri() + "/" if how == "file" else served
    watched = Watched(browser, viewport={"width": 1280, "height": 900})
    page = watched.open(base + "index.html")

    assert page.locator("#map path.country").count() > 200
    expect(page.locator("#time")).to_have_text(FIRST)
    expect(page.locator("#range")).to_have_text(re.compile(r"^Sun 29 Nov 2026 · 11 attempts from 5 countries$"))
    assert page.text_content("#slice-attempts") == str(small_site.timeline.slices[0].attempts)
    page.click("#play")
    expect(page.locator("#time")).not_to_have_text(FIRST)
    assert page.get_attribute("#play", "aria-label") == "Pause"
    page.click("#play")
    page.fill("#slider", "5")
    assert page.text_content("#time") == "2026-11-29 06:50–07:00 UTC"

    assert watched.errors == []
    assert watched.requests and all(url.startswith(base) for url in watched.requests), watched.requests
    page.close()


def test_keys_step_and_jump(small_site: BuildResult, browser: Any) -> None:
    page = Watched(browser).open(small_site.out.resolve().as_uri() + "/index.html")
    page.locator("body").press("End")
    expect(page.locator("#time")).to_have_text("2026-11-29 06:50–07:00 UTC")
    page.locator("body").press("ArrowLeft")
    expect(page.locator("#time")).to_have_text("2026-11-29 06:40–06:50 UTC")
    page.locator("body").press("Home")
    expect(page.locator("#time")).to_have_text(FIRST)
    page.locator("body").press("ArrowRight")
    expect(page.locator("#time")).to_have_text("2026-11-29 06:10–06:20 UTC")
    assert page.evaluate("() => location.hash") == "#t=2026-11-29T06:10"
    page.locator("body").press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-label", "Pause")
    page.locator("body").press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-label", "Play")
    page.close()


def test_deep_link_opens_at_its_slice(small_site: BuildResult, browser: Any) -> None:
    page = Watched(browser).open(small_site.out.resolve().as_uri() + "/index.html#t=2026-11-29T06:30")
    expect(page.locator("#time")).to_have_text("2026-11-29 06:30–06:40 UTC")
    assert page.input_value("#slider") == "3"
    page.close()


def test_hover_shows_the_numbers_of_the_json(small_site: BuildResult, browser: Any, document: dict[str, Any]) -> None:
    page = Watched(browser, viewport={"width": 1280, "height": 900}).open(
        small_site.out.resolve().as_uri() + "/index.html"
    )
    page.hover("#map path.country[data-code=CN]")
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    text = tooltip.text_content()
    assert text is not None
    assert text.startswith("China")
    assert f"{document['slices'][0]['counts']['CN']} attempts in this slice" in text
    assert f"{document['totals']['CN']} attempts over the whole span" in text
    assert f"{document['attackers']['CN']} distinct addresses" in text
    # Small countries have markers to hover: Andorra was hit in slice 3.
    page.fill("#slider", "3")
    page.hover("#map circle.marker[data-code=AD]")
    expect(tooltip).to_contain_text("Andorra")
    expect(tooltip).to_contain_text(f"{document['slices'][3]['counts']['AD']} attempts in this slice")
    page.close()


def test_metric_toggle_and_panel(small_site: BuildResult, browser: Any, document: dict[str, Any]) -> None:
    page = Watched(browser, viewport={"width": 1280, "height": 900}).open(
        small_site.out.resolve().as_uri() + "/index.html"
    )
    first = page.locator("#top-countries li").first
    expect(first).to_contain_text("China")
    page.click("#period-day")
    expect(page.locator("#top-users li").first).to_contain_text("oracle")
    page.select_option("#metric", "probes")
    expect(page.locator("#legend-label")).to_contain_text("probes")
    probes = sorted(document["probes"].items(), key=lambda item: (-item[1], item[0]))
    expect(page.locator("#top-countries li").first).to_contain_text(document["countries"][probes[0][0]])
    page.close()


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    out = tmp_path_factory.mktemp("xss") / "site"
    return build(
        BuildOptions(read=ReadOptions(logs=[str(DATA / "xss-auth.log")], year=2026, tz=UTC), out=out, size=(640, 360))
    )


def test_attacker_names_are_shown_literally_and_never_run(xss_site: BuildResult, browser: Any) -> None:
    watched = Watched(browser, viewport={"width": 1280, "height": 900})
    page = watched.open(xss_site.out.resolve().as_uri() + "/index.html")
    page.click("#period-day")
    users = page.locator("#top-users").text_content()
    assert users is not None
    for name in (
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(2)</script>",
        '"><svg onload=alert(3)>',
        "${alert(4)}",
    ):
        assert name in users
    assert page.locator("#top-users img, #top-users svg, #top-users script").count() == 0
    expect(page.locator("#compromise-section")).to_be_visible()
    expect(page.locator("#compromises")).to_contain_text("root from 45.148.10.240")
    page.wait_for_timeout(300)
    assert watched.dialogs == []
    assert watched.errors == []
    page.close()


def test_page_carries_a_strict_content_security_policy(small_site: BuildResult) -> None:
    page = (small_site.out / "index.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in page and "script-src 'self'" in page and "unsafe-inline" not in page
    assert re.search(r"\son[a-z]+\s*=", page) is None, "no inline event handlers"
    for name in ("index.html", "embed.html", "assets/viewer.js"):
        text = (small_site.out / name).read_text(encoding="utf-8")
        assert "innerHTML" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_embed_view_fits_a_600_by_400_iframe(small_site: BuildResult, browser: Any, tmp_path: Path) -> None:
    host = tmp_path / "wiki.html"
    embed = (small_site.out / "embed.html").resolve().as_uri()
    host.write_text(f'<!doctype html><iframe src="{embed}" width="600" height="400" style="border:0"></iframe>')
    watched = Watched(browser, viewport={"width": 800, "height": 600})
    page = watched.page
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    expect(frame.locator("#map svg")).to_be_visible()
    expect(frame.locator("#slider")).to_be_visible()
    expect(frame.locator(".panel")).to_be_hidden()
    inner = page.frames[1]
    width, height = inner.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert width <= 600 and height <= 400, (width, height)
    assert watched.errors == []
    page.close()


def test_phone_width_has_no_sideways_scroll(small_site: BuildResult, browser: Any) -> None:
    page = Watched(browser, viewport={"width": 375, "height": 740}).open(
        small_site.out.resolve().as_uri() + "/index.html"
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.close()


def test_slices_of_seconds_read_as_such(tmp_path: Path, browser: Any) -> None:
    read = ReadOptions(logs=[str(DATA / "small-auth.log")], year=2026, tz=UTC)
    site = build(BuildOptions(read=read, out=tmp_path / "site", slice_seconds=90, size=(640, 360), frames=False))
    watched = Watched(browser, viewport={"width": 1280, "height": 900})
    page = watched.open(site.out.resolve().as_uri() + "/index.html")
    expect(page.locator("#time")).to_have_text("2026-11-29 06:00:00–06:01:30 UTC")
    expect(page.locator("#legend-label")).to_have_text("failed login attempts per country per 90 s")
    assert watched.errors == []
    page.close()

"""The viewer in real headless Chromium: opened from disk, served over HTTP, embedded, attacked."""

from __future__ import annotations

import functools
import http.server
import json
import math
import re
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from files import DATA
from playwright.sync_api import expect

from honeycast.build import BuildOptions, BuildResult, build
from honeycast.geo import Geolocator
from honeycast.privacy import host_label
from honeycast.scan import ReadOptions

FIRST = "Sun 29 Nov 2026 · 06:00–06:10 UTC"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="session")
def served(small_site: BuildResult) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(small_site.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="session")
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
        self.page.on("dialog", self._dismiss)

    def _dismiss(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str) -> Any:
        self.page.goto(url)
        expect(self.page.locator("#map svg")).to_have_count(1)
        return self.page


DESKTOP = {"width": 1280, "height": 900}


def viewer(browser: Any, site: BuildResult, viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
    """Open a built site's page in a fresh, watched tab."""
    return Watched(browser, viewport=viewport, **options).open(site.out.resolve().as_uri() + "/index.html")


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
    assert page.text_content("#time") == "Sun 29 Nov 2026 · 06:50–07:00 UTC"

    assert watched.errors == []
    assert watched.requests and all(url.startswith(base) for url in watched.requests), watched.requests
    page.close()


def test_keys_step_and_jump(small_site: BuildResult, browser: Any) -> None:
    page = Watched(browser).open(small_site.out.resolve().as_uri() + "/index.html")
    page.locator("body").press("End")
    expect(page.locator("#time")).to_have_text("Sun 29 Nov 2026 · 06:50–07:00 UTC")
    page.locator("body").press("ArrowLeft")
    expect(page.locator("#time")).to_have_text("Sun 29 Nov 2026 · 06:40–06:50 UTC")
    page.locator("body").press("Home")
    expect(page.locator("#time")).to_have_text(FIRST)
    page.locator("body").press("ArrowRight")
    expect(page.locator("#time")).to_have_text("Sun 29 Nov 2026 · 06:10–06:20 UTC")
    assert page.evaluate("() => location.hash") == "#t=2026-11-29T06:10"
    page.locator("body").press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-label", "Pause")
    page.locator("body").press(" ")
    expect(page.locator("#play")).to_have_attribute("aria-label", "Play")
    page.close()


def test_deep_link_opens_at_its_slice(small_site: BuildResult, browser: Any) -> None:
    page = Watched(browser).open(small_site.out.resolve().as_uri() + "/index.html#t=2026-11-29T06:30")
    expect(page.locator("#time")).to_have_text("Sun 29 Nov 2026 · 06:30–06:40 UTC")
    assert page.input_value("#slider") == "3"
    page.close()


def figures(attempts: int, addresses: int, probes: int = 0) -> str:
    """The tooltip's line for some numbers, as a reader would write them."""
    parts = [
        f"{attempts} attempt" + ("s" if attempts != 1 else ""),
        f"{addresses} distinct address" + ("es" if addresses != 1 else ""),
    ]
    if probes:
        parts.append(f"{probes} probe" + ("s" if probes != 1 else ""))
    return " · ".join(parts)


def test_hover_shows_the_numbers_of_the_json(small_site: BuildResult, browser: Any, document: dict[str, Any]) -> None:
    page = viewer(browser, small_site)
    page.hover("#map path.country[data-code=CN]")
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    first = document["slices"][0]
    expect(tooltip.locator("strong")).to_have_text("China")
    assert tooltip.locator("div").all_text_contents() == [
        "This slice: " + figures(first["counts"]["CN"], first["addresses"]["CN"], first["probes"].get("CN", 0)),
        "Whole span: "
        + figures(document["totals"]["CN"], document["attackers"]["CN"], document["probes"].get("CN", 0)),
    ]
    # Small countries have markers to hover: Andorra was hit in slice 3.
    page.fill("#slider", "3")
    page.hover("#map circle.marker[data-code=AD]")
    expect(tooltip.locator("strong")).to_have_text("Andorra")
    expect(tooltip.locator("div").first).to_have_text(
        "This slice: " + figures(document["slices"][3]["counts"]["AD"], document["slices"][3]["addresses"]["AD"])
    )
    # A country without data is named, not coded.
    page.hover("#map path.country[data-code=AU]")
    expect(tooltip.locator("strong")).to_have_text("Australia")
    expect(tooltip.locator("div").first).to_have_text("This slice: 0 attempts · 0 distinct addresses")
    page.close()


def test_metric_toggle_and_panel(small_site: BuildResult, browser: Any, document: dict[str, Any]) -> None:
    page = viewer(browser, small_site)
    first = page.locator("#top-countries li").first
    expect(first).to_contain_text("China")
    page.click("#period-day")
    expect(page.locator("#top-users li").first).to_contain_text("oracle")
    page.select_option("#metric", "probes")
    expect(page.locator("#legend-label")).to_contain_text("probes")
    probes = sorted(document["probes"].items(), key=lambda item: (-item[1], item[0]))
    expect(page.locator("#top-countries li").first).to_contain_text(document["countries"][probes[0][0]])
    page.close()


def test_the_credits_link_back_to_db_ip_as_its_licence_asks(small_site: BuildResult, browser: Any) -> None:
    page = viewer(browser, small_site)
    link = page.locator("#credits a")
    expect(link).to_have_text("IP Geolocation by DB-IP")
    expect(link).to_have_attribute("href", "https://db-ip.com")
    page.close()


def test_the_top_networks_beside_the_top_countries(
    small_site: BuildResult, browser: Any, document: dict[str, Any]
) -> None:
    """Networks by attempts, slice by slice and over the span, named by number and organisation; by distinct
    addresses with that metric."""
    page = viewer(browser, small_site)
    rows = page.locator("#top-networks li")
    slice_top = sorted(document["slices"][0]["networks"].items(), key=lambda item: (-item[1], item[0]))[0]
    expect(rows.first).to_contain_text(slice_top[0])
    expect(rows.first.locator(".count")).to_have_text(f"{slice_top[1]:,}")
    page.click("#period-day")
    key, name, attempts, _ = document["top_networks"][0]
    expect(rows.first).to_contain_text(f"{key} · {name}")
    expect(rows.first.locator(".count")).to_have_text(f"{attempts:,}")
    expect(page.locator("#networks-heading")).to_have_text("Top networks (attempts)")
    page.select_option("#metric", "addresses")
    expect(page.locator("#networks-heading")).to_have_text("Top networks (addresses)")
    most = max(document["network_attackers"].values())
    expect(rows.first.locator(".count")).to_have_text(f"{most:,}")
    page.close()


@pytest.fixture(scope="session")
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


def test_attacker_text_keeps_its_own_direction_and_shows_what_hides(tmp_path: Path, browser: Any) -> None:
    """A user name with a right-to-left override reads as typed, not as "root"; characters that show nothing are
    shown by their code; nothing around such a name turns round."""
    names = {"\u202etoor": "\\u202etoor", "ad\u200bmin": "ad\\u200bmin", "bell\u0007": "bell\\u0007"}
    log = tmp_path / "auth.log"
    log.write_text(
        "".join(
            f"Nov 29 06:0{n}:00 web sshd[{n + 10}]: Failed password for invalid user {name} from 61.177.172.{n} "
            f"port 4{n}000 ssh2\n"
            for n, name in enumerate(names)
        )
        + "Nov 29 06:05:00 web sshd[20]: Failed password for root from 61.177.172.9 port 41000 ssh2\n",
        encoding="utf-8",
    )
    site = build(
        BuildOptions(read=ReadOptions(logs=[str(log)], year=2026, tz=UTC), out=tmp_path / "site", size=(320, 180))
    )
    watched = Watched(browser, viewport=DESKTOP)
    page = watched.open(site.out.resolve().as_uri() + "/index.html")
    page.click("#period-day")
    users = page.locator("#top-users")
    shown = users.text_content() or ""
    for typed, escaped in names.items():
        assert escaped in shown and typed not in shown
    assert users.locator("bdi").count() == len(names) + 1  # each name isolated
    assert page.evaluate("() => getComputedStyle(document.querySelector('#top-users bdi')).unicodeBidi") == "isolate"
    assert watched.errors == []
    page.close()


def test_page_carries_a_strict_content_security_policy(small_site: BuildResult) -> None:
    page = (small_site.out / "index.html").read_text(encoding="utf-8")
    assert "default-src 'none'" in page and "script-src 'self'" in page and "unsafe-inline" not in page
    assert re.search(r"\son[a-z]+\s*=", page) is None, "no inline event handlers"
    for name in ("index.html", "embed.html", "assets/viewer.js"):
        text = (small_site.out / name).read_text(encoding="utf-8")
        assert "innerHTML" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.parametrize(("iframe_width", "iframe_height"), [(320, 240), (400, 300), (600, 400), (800, 450)])
def test_embed_view_fits_its_iframe(
    small_site: BuildResult, browser: Any, tmp_path: Path, iframe_width: int, iframe_height: int
) -> None:
    host = tmp_path / "wiki.html"
    embed = (small_site.out / "embed.html").resolve().as_uri()
    host.write_text(
        f'<!doctype html><iframe src="{embed}" width="{iframe_width}" height="{iframe_height}" style="border:0">'
        "</iframe>"
    )
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
    assert width <= iframe_width and height <= iframe_height, (width, height)
    # Title, legend and the data's credit line (CC BY 4.0 asks for it) are there, and no band is left empty.
    expect(frame.locator("h1")).to_have_text("web-1 test")
    expect(frame.locator("#legend-label")).to_be_visible()
    expect(frame.locator("#credits")).to_contain_text("CC BY 4.0")
    bottom = inner.evaluate("() => document.querySelector('footer').getBoundingClientRect().bottom")
    assert iframe_height - 16 <= bottom <= iframe_height, bottom
    assert inner.evaluate("() => document.querySelector('#map svg').getBoundingClientRect().height") > 100
    assert watched.errors == []
    page.close()


@pytest.mark.parametrize(("width", "height"), [(320, 568), (375, 667), (390, 844), (600, 740), (900, 740)])
def test_a_narrow_screen_has_the_controls_under_the_map_and_no_sideways_scroll(
    small_site: BuildResult, browser: Any, width: int, height: int
) -> None:
    """On a phone (or a narrow window) the play button and the scrubber come right under the map, on the first
    screen, before the lists."""
    page = viewer(browser, small_site, viewport={"width": width, "height": height})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    box = {name: page.locator(name).bounding_box() for name in ("#figure", "#play", "#slider", ".panel")}
    assert all(found is not None for found in box.values())
    under = box["#figure"]["y"] + box["#figure"]["height"]
    for control in ("#play", "#slider"):
        assert under <= box[control]["y"] <= under + 120, (control, box)
        assert box[control]["y"] + box[control]["height"] <= height, (control, box)
    assert box[".panel"]["y"] > box["#slider"]["y"]
    page.close()


def test_slices_of_seconds_read_as_such(tmp_path: Path, browser: Any) -> None:
    read = ReadOptions(logs=[str(DATA / "small-auth.log")], year=2026, tz=UTC)
    site = build(BuildOptions(read=read, out=tmp_path / "site", slice_seconds=90, size=(640, 360), frames=False))
    watched = Watched(browser, viewport={"width": 1280, "height": 900})
    page = watched.open(site.out.resolve().as_uri() + "/index.html")
    expect(page.locator("#time")).to_have_text("Sun 29 Nov 2026 · 06:00:00–06:01:30 UTC")
    expect(page.locator("#legend-label")).to_have_text("failed login attempts per country per 90 s")
    assert watched.errors == []
    page.close()


def fill_of(page: Any, code: str) -> str:
    return str(page.get_attribute(f"#map path.country[data-code={code}]", "fill"))


def test_whole_span_shows_the_totals_on_the_map_and_the_legend_and_nothing_moves(
    small_site: BuildResult, browser: Any, document: dict[str, Any]
) -> None:
    page = viewer(browser, small_site)
    land = document["style"]["colors"]["land"]
    assert document["slices"][0]["counts"].get("BR") is None and document["totals"]["BR"] == 1
    assert fill_of(page, "BR") == land  # Brazil attacks only in the last slice
    controls = page.locator(".controls").bounding_box()
    page.click("#period-day")
    assert fill_of(page, "BR") != land
    expect(page.locator("#legend-label")).to_have_text("failed login attempts per country over the whole span")
    expect(page.locator("#legend-max")).to_have_text(str(max(document["totals"].values())))
    assert page.evaluate("() => window.scrollY") == 0
    positions = {str(page.locator(".controls").bounding_box())}
    for _ in range(len(document["slices"])):  # the panel's lists change; the controls stay where they are
        page.keyboard.press("ArrowRight")
        positions.add(str(page.locator(".controls").bounding_box()))
    page.click("#period-slice")
    positions.add(str(page.locator(".controls").bounding_box()))
    assert positions == {str(controls)}
    page.close()


def test_keyboard_path_table_and_quiet_announcements(
    small_site: BuildResult, browser: Any, document: dict[str, Any]
) -> None:
    page = viewer(browser, small_site)
    focusable = page.locator("#map [tabindex='0']")
    with_data = document["totals"].keys() | document["probes"].keys()
    assert focusable.count() == sum(1 for code in with_data if re.fullmatch("[A-Z]{2}", code))  # buckets: no shape
    page.focus("#map path.country[data-code=CN]")
    expect(page.locator("#tooltip")).to_be_visible()
    expect(page.locator("#tooltip strong")).to_have_text("China")
    page.click("#table-section summary")
    first = page.locator("#table-body tr").first
    expect(first.locator("th")).to_have_text("China")
    expect(first.locator("td").first).to_have_text(str(document["slices"][0]["counts"]["CN"]))
    assert page.get_attribute("#time", "aria-live") is None
    page.click("#next")
    expect(page.locator("#announce")).to_have_text(
        f"Sun 29 Nov 2026 · 06:10–06:20 UTC: {document['slices'][1]['attempts']} attempts, most from Germany"
    )
    page.select_option("#speed", "8")
    page.click("#play")
    said = page.text_content("#announce")
    page.wait_for_timeout(400)  # slices go by; nothing is said until the pause
    assert page.text_content("#announce") == said
    page.click("#play")
    assert page.text_content("#announce") != said
    page.close()


def test_a_phone_shows_the_numbers_under_the_tapped_country_not_over_it(small_site: BuildResult, browser: Any) -> None:
    page = viewer(browser, small_site, viewport={"width": 390, "height": 800}, has_touch=True)
    country = page.locator("#map path.country[data-code=CN]")
    country.tap()
    tooltip = page.locator("#tooltip")
    expect(tooltip).to_be_visible()
    tip, map_box = tooltip.bounding_box(), page.locator("#map").bounding_box()
    assert tip["y"] >= map_box["y"] + map_box["height"]  # under the map: it covers no country
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.close()


def test_the_light_theme_themes_the_page_and_every_download_is_offered(tmp_path: Path, browser: Any) -> None:
    read = ReadOptions(logs=[str(DATA / "small-auth.log")], year=2026, tz=UTC)
    options = BuildOptions(read=read, out=tmp_path / "site", theme="light", size=(640, 360), frames=False, gif=True)
    site = build(options)
    page = viewer(browser, site)
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(247, 247, 242)"
    # the whole page, past the body too (a short embed, a page scrolled past its end): no dark band
    assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == "rgb(247, 247, 242)"
    embed = Watched(browser, viewport={"width": 320, "height": 600}).open(site.out.resolve().as_uri() + "/embed.html")
    assert embed.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == "rgb(247, 247, 242)"
    embed.close()
    assert page.locator("footer a[href='timelapse.gif']").count() == 1
    assert page.locator("footer a[href='timelapse.webm']").count() == 0
    page.close()


def test_zone_names_follow_the_clock_change(tmp_path: Path, browser: Any) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "2026-10-25T01:30:00+02:00 web-1 sshd[1]: Failed password for root from 8.8.8.8 port 2 ssh2\n"
        "2026-10-25T05:30:00+01:00 web-1 sshd[2]: Failed password for root from 8.8.8.8 port 3 ssh2\n"
    )
    read = ReadOptions(logs=[str(log)], year=None, tz=ZoneInfo("Europe/Berlin"))
    site = build(BuildOptions(read=read, out=tmp_path / "site", slice_seconds=3600, size=(640, 360), frames=False))
    page = viewer(browser, site)
    expect(page.locator("#time")).to_have_text("Sun 25 Oct 2026 · 01:00–02:00 CEST")
    page.keyboard.press("End")
    expect(page.locator("#time")).to_have_text("Sun 25 Oct 2026 · 05:00–06:00 CET")
    page.close()


def test_the_afterglow_is_grey_and_keyed_in_the_viewer_as_on_the_frames(
    small_site: BuildResult, browser: Any, document: dict[str, Any]
) -> None:
    page = viewer(browser, small_site)
    colors, style = document["style"]["colors"], document["style"]
    assert style["afterglow"] == 3 and style["afterglow_minutes"] == 30
    page.keyboard.press("ArrowRight")  # China was hit in slice 0 only: in slice 1 it glows
    land, glow = ([int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in (colors["land"], colors["glow"]))
    expected = "#" + "".join(f"{math.floor(a + (b - a) * 0.75 + 0.5):02x}" for a, b in zip(land, glow, strict=True))
    assert fill_of(page, "CN") == expected
    expect(page.locator("#glow-label")).to_have_text("hit in the last 30 min")
    page.click("#period-day")
    expect(page.locator("#glow-key")).to_be_hidden()
    page.close()


ARCHIVE_ADDRESSES = ("61.177.172.60", "203.0.113.9", "218.92.0.31", "45.135.232.18", "185.220.101.4")


def _archive_line(day: int, hour: int, host: str, address: str, pid: int) -> str:
    return (
        f"2026-11-{day:02}T{hour:02}:05:00+00:00 {host} sshd[{pid}]: "
        f"Failed password for root from {address} port {pid} ssh2\n"
    )


@pytest.fixture(scope="session")
def archive_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three nights of --append builds: web-1 alone, then web-1 and db-1 (by the syslog host field)."""
    folder = tmp_path_factory.mktemp("archive")
    out = folder / "site"
    nights = {
        27: [("web-1", "61.177.172.60", 3), ("web-1", "203.0.113.9", 1)],
        28: [("web-1", "61.177.172.60", 2), ("db-1", "218.92.0.31", 4), ("db-1", "61.177.172.60", 1)],
        29: [("db-1", "45.135.232.18", 5), ("web-1", "185.220.101.4", 2)],
    }
    pid = 100
    for day, hits in nights.items():
        log = folder / f"auth-{day}.log"
        lines = []
        for hour, (host, address, times) in enumerate(hits, start=6):
            for _ in range(times):
                pid += 1
                lines.append(_archive_line(day, hour, host, address, pid))
        log.write_text("".join(lines))
        read = ReadOptions(logs=[str(log)], year=None, tz=UTC)
        build(BuildOptions(read=read, out=out, frames=False, append=True, fps=12))
    return out


def test_the_archive_plays_any_day_and_totals_any_range(archive_site: Path, browser: Any) -> None:
    index = json.loads((archive_site / "data" / "history" / "index.json").read_text())
    assert [entry["day"] for entry in index["days"]] == ["2026-11-27", "2026-11-28", "2026-11-29"]
    with Geolocator(None) as geo:
        countries = {geo.country(address) for address in ARCHIVE_ADDRESSES}
    hit = len({code for code in countries if code.isupper()})
    web, db = host_label("web-1", False), host_label("db-1", False)  # no --show-hosts: digests of the names
    assert sorted(index["hosts"].values()) == sorted([web, db])
    base = archive_site.resolve().as_uri() + "/index.html"
    watched = Watched(browser, viewport=DESKTOP)
    page = watched.open(base)
    # the last build's own span first, and the archive's last day chosen, with its totals per host
    expect(page.locator("#range")).to_have_text(re.compile(r"^Sun 29 Nov 2026 · 7 attempts"))
    expect(page.locator("#archive")).to_be_visible()
    assert page.input_value("#to") == "2026-11-29"
    assert page.locator("#from option").all_text_contents() == ["Fri 27 Nov 2026", "Sat 28 Nov 2026", "Sun 29 Nov 2026"]
    page.select_option("#from", "2026-11-27")
    expect(page.locator("#range-totals")).to_have_text(
        re.compile(rf"^27–29 Nov 2026: 18 attempts from {hit} countries, most from China \(10\) · (.*)$")
    )
    shown = page.text_content("#range-totals") or ""
    assert shown.endswith(" · ".join(f"{name}: {n}" for name, n in sorted([(db, 10), (web, 8)], key=lambda x: -x[1])))

    # one way of writing a day across the page: no ISO date shown anywhere (the links keep theirs)
    assert not re.search(r"\d{4}-\d\d-\d\d|\d\d?/\d\d?/\d{4}", page.evaluate("() => document.body.innerText"))
    # days opened from the archive play in the history's slices, from their first, deep-linked
    page.click("#open-days")
    expect(page.locator("#range")).to_have_text(re.compile(rf"^27–29 Nov 2026 · 18 attempts from {hit} countries$"))
    expect(page.locator("#play")).to_have_attribute("aria-label", "Pause")
    page.wait_for_function("() => Number(document.getElementById('slider').value) > 0")
    page.click("#play")
    expect(page.locator("#play")).to_have_attribute("aria-label", "Play")
    assert 0 < int(page.input_value("#slider")) < 144  # played from the first day's first slice, not from elsewhere
    assert page.get_attribute("#slider", "max") == str(3 * 144 - 1)
    assert page.evaluate("() => location.hash").startswith("#from=2026-11-27&to=2026-11-29&t=2026-11-2")

    page.goto(base + "#day=2026-11-28&t=2026-11-28T08:00")
    expect(page.locator("#time")).to_have_text("Sat 28 Nov 2026 · 08:00–08:10 UTC")
    expect(page.locator("#range")).to_have_text(re.compile(r"^Sat 28 Nov 2026 · 7 attempts"))
    expect(page.locator("#slice-attempts")).to_have_text("1")
    # the day's networks as the history keeps them, named
    day = json.loads((archive_site / "data" / "history" / "2026-11-28.json").read_text())
    ((network, attempts),) = day["slices"]["2026-11-28T08:00:00+00:00"]["networks"].items()
    named = f"{network} · {day['network_names'][network]}" if network in day["network_names"] else network
    expect(page.locator("#top-networks li").first).to_contain_text(named)
    expect(page.locator("#top-networks li .count").first).to_have_text(str(attempts))
    # one host's counts: db-1's one attempt at 08:05, and none of web-1's two at 06:05
    page.select_option("#host", db)
    expect(page.locator("#slice-attempts")).to_have_text("1")
    expect(page.locator("#panel-note")).to_be_visible()
    page.fill("#slider", "36")  # 06:00
    expect(page.locator("#time")).to_have_text("Sat 28 Nov 2026 · 06:00–06:10 UTC")
    expect(page.locator("#slice-attempts")).to_have_text("0")
    assert f"host={db}" in page.evaluate("() => location.hash")
    page.select_option("#host", "")
    expect(page.locator("#slice-attempts")).to_have_text("2")
    page.click("#latest")
    expect(page.locator("#range")).to_have_text(re.compile(r"^Sun 29 Nov 2026 · 7 attempts"))

    assert watched.errors == []
    assert all(url.startswith(archive_site.resolve().as_uri()) for url in watched.requests), watched.requests
    page.close()


def test_a_day_missing_from_the_archive_is_said_not_thrown(archive_site: Path, browser: Any, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(archive_site, site)
    (site / "data" / "history" / "2026-11-28.js").unlink()
    watched = Watched(browser, viewport=DESKTOP)
    page = watched.open(site.as_uri() + "/index.html")
    page.select_option("#from", "2026-11-27")
    page.click("#open-days")
    expect(page.locator("#range-totals")).to_have_text("cannot load data/history/2026-11-28.js")
    expect(page.locator("#range")).to_have_text(re.compile(r"^Sun 29 Nov 2026 · 7 attempts"))  # still the last build
    assert not [error for error in watched.errors if "Uncaught" in error or "cannot load" in error]
    page.close()


@pytest.fixture(scope="module")
def defended_site(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    from files import DEMO, DEMO_FAIL2BAN

    out = tmp_path_factory.mktemp("defended") / "site"
    read = ReadOptions(logs=[str(DEMO), str(DEMO_FAIL2BAN)], year=2026, tz=UTC)
    return build(BuildOptions(read=read, out=out, frames=False, size=(640, 360)))


def test_the_defences_panel_and_the_banned_in_each_countrys_numbers(
    defended_site: BuildResult, small_site: BuildResult, browser: Any
) -> None:
    """With a fail2ban log among the logs: what the bans did, the addresses that got through while banned, and
    each country's banned addresses under its numbers; without one, no panel."""
    found = defended_site.defences
    assert found is not None
    page = viewer(browser, defended_site)
    expect(page.locator("#defences-section")).to_be_visible()
    expect(page.locator("#defences-summary")).to_contain_text(
        f"fail2ban banned {found['banned_addresses']:,} of {found['attacking_addresses']:,} attacking addresses"
    )
    address, country, leaked = found["leaked"][0]
    names = json.loads((defended_site.out / "data" / "slices.json").read_text())["countries"]
    first = page.locator("#defences-leaked li").first
    expect(first).to_contain_text(f"{address} · {names.get(country, country)}")
    expect(first.locator(".count")).to_have_text(f"{leaked:,}")
    code, banned = max(found["banned_by_country"].items(), key=lambda item: (item[1], item[0]))
    page.hover(f"#map path.country[data-code={code}]")
    expect(page.locator("#tooltip")).to_contain_text(f"Banned: {banned} address")
    # The same day from the archive: what the day kept of the defences, added up in the page.
    day = json.loads(next((defended_site.out / "data" / "history").glob("20*.json")).read_text())["defences"]
    page.click("#open-days")
    expect(page.locator("#defences-summary")).to_contain_text(
        f"{day['blocks']:,} bans began · {len(day['banned']):,} addresses banned"
    )
    leaking = sorted(day["leaked"], key=lambda one: (-one[2], one[0]))[0]
    expect(page.locator("#defences-leaked li").first).to_contain_text(
        f"{leaking[0]} · {names.get(leaking[1], leaking[1])}"
    )
    expect(page.locator("#defences-leaked li .count").first).to_have_text(f"{leaking[2]:,}")
    page.close()
    plain = viewer(browser, small_site)
    expect(plain.locator("#defences-section")).to_be_hidden()
    plain.close()

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from files import SMALL_LOG

import examples  # noqa: F401  (registers the Hypothesis profiles before any test module is read)
from honeycast.build import BuildOptions, BuildResult, build
from honeycast.scan import ReadOptions

CHROMIUM = "/usr/bin/chromium"
# Every test process shares one map cache (tests/test_mapcache.py tests the cache itself in folders of its own).
os.environ.setdefault("HONEYCAST_CACHE", str(Path(__file__).parent / ".cache" / "maps"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The small fixture log, built once with real rendering, ffmpeg and the bundled MMDB."""
    out = tmp_path_factory.mktemp("small") / "site"
    options = BuildOptions(read=ReadOptions(logs=[str(SMALL_LOG)], year=2026, tz=UTC), out=out, title="web-1 test")
    return build(options)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by playwright."""
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def small_site_path(small_site: BuildResult) -> Path:
    return small_site.out

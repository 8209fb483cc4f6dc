"""Make the README's pictures from a real build of the demo day and its fail2ban log: docs/viewer.png (the viewer
at 15:00, China hovered), docs/defences.png (the side panel's defences) and docs/frame.png (that slice's map as the
time-lapse shows it).

    python tools/screenshots.py                 # rewrite docs/viewer.png, docs/defences.png and docs/frame.png
    python tools/screenshots.py --out /tmp/x    # write them elsewhere, to compare

Needs playwright (pip) and a Chromium (Debian: apt-get install chromium); the browser is never downloaded.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import UTC
from pathlib import Path

from playwright.sync_api import sync_playwright

from honeycast.build import BuildOptions, build
from honeycast.scan import ReadOptions

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-auth.log"
FAIL2BAN = ROOT / "examples" / "demo-fail2ban.log"
CHROMIUM = "/usr/bin/chromium"
ARGUMENTS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update"]  # fmt: skip
SLICE = "2026-11-29T15:00"
"""The slice shown: the afternoon's busiest hour of the demo day."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where to write the pictures")
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium to drive")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        read = ReadOptions(logs=[str(DEMO), str(FAIL2BAN)], year=2026, tz=UTC)
        result = build(BuildOptions(read=read, out=site))
        index = next(number for number, one in enumerate(result.timeline.slices) if one.start.isoformat()[:16] == SLICE)
        shutil.copyfile(site / "frames" / f"{index:04d}.png", args.out / "frame.png")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=ARGUMENTS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto((site / "index.html").resolve().as_uri() + f"#t={SLICE}")
            page.locator('#map [data-code="CN"]').first.hover()
            page.wait_for_selector("#tooltip:not([hidden])")
            page.screenshot(path=str(args.out / "viewer.png"))
            page.mouse.move(0, 0)
            page.locator("#defences-section").screenshot(path=str(args.out / "defences.png"))
            browser.close()
    print(f"wrote viewer.png, defences.png and frame.png in {args.out} (slice {SLICE}, frame {index:04d})")


if __name__ == "__main__":
    main()

"""Regenerate docs/serve.png, the README's screenshot of ``policy-tools serve``.

Serves a temporary store of the two canonical revisions (their committed extraction and
copies of the PDFs) and photographs the compare page in Debian's Chromium with the
authorization finding opened. While the committed extraction carries no boxes, the two
printed authorization lines get their boxes by hand (tests/web_helpers.py); pass
``--no-hand-boxes`` once box provenance has landed.

Usage: ``python docs/serve_screenshot.py [--no-hand-boxes] [-o docs/serve.png]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_web_browser import ARGS, CHROMIUM, VISIBLE_IMAGES_DRAWN, LiveServer, twin  # noqa: E402
from web_helpers import (  # noqa: E402
    COMPARE,
    box_authorization_lines,
    canonical_store,
    find_change,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "serve.png")
    parser.add_argument("--no-hand-boxes", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        store = canonical_store(Path(tmp) / "store")
        if not args.no_hand_boxes:
            box_authorization_lines(store)
        with LiveServer(store) as live, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 860})
            months = find_change(
                twin(live.url), section="criteria.authorization", field="initial_months"
            )
            page.goto(live.url + COMPARE + f"#change-{months.id}")
            page.wait_for_selector("rect.hl.active")
            page.wait_for_function(VISIBLE_IMAGES_DRAWN)
            page.screenshot(path=str(args.output))
            browser.close()
    print(f"Wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

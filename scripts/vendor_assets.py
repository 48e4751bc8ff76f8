"""Copy the prebuilt front-end files from node_modules into static files.

No Sass build: GOV.UK Frontend and MOJ Frontend ship compiled CSS and JS.
Two rewrites make them fit a council service:
- asset URLs point beside the stylesheet instead of the site root `/assets/`;
- the GDS Transport typeface is licensed for GOV.UK only, so its font faces
  are dropped and text falls back to Arial, as GOV.UK Frontend advises for
  services off GOV.UK.
Source-map comments are removed since the maps are not shipped.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
OUT = ROOT / "interchange" / "web" / "static" / "vendor"

FONT_FACE = re.compile(r"@font-face\{font-family:GDS Transport;[^}]*\}")
SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=\S+?(?: \*/)?\s*$")


def clean(text: str) -> str:
    text = FONT_FACE.sub("", text)
    text = text.replace("GDS Transport,arial,sans-serif", "arial,sans-serif")
    text = text.replace("url(/assets/", "url(assets/")
    return SOURCE_MAP.sub("\n", text)


def copy_text(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(clean(src.read_text(encoding="utf-8")), encoding="utf-8")


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)


def main() -> int:
    if not NODE.is_dir():
        print("node_modules is missing: run `npm ci` first (make does this).", file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    govuk = NODE / "govuk-frontend" / "dist" / "govuk"
    copy_text(govuk / "govuk-frontend.min.css", OUT / "govuk" / "govuk-frontend.min.css")
    copy_text(govuk / "all.bundle.js", OUT / "govuk" / "govuk-frontend.js")
    copy_tree(govuk / "assets" / "images", OUT / "govuk" / "assets" / "images")

    moj = NODE / "@ministryofjustice" / "frontend" / "moj"
    copy_text(moj / "moj-frontend.min.css", OUT / "moj" / "moj-frontend.min.css")
    copy_text(moj / "all.bundle.js", OUT / "moj" / "moj-frontend.js")
    copy_tree(moj / "assets" / "images", OUT / "moj" / "assets" / "images")

    copy_text(NODE / "htmx.org" / "dist" / "htmx.min.js", OUT / "htmx" / "htmx.min.js")

    leaflet = NODE / "leaflet" / "dist"
    copy_text(leaflet / "leaflet.js", OUT / "leaflet" / "leaflet.js")
    copy_text(leaflet / "leaflet.css", OUT / "leaflet" / "leaflet.css")
    copy_tree(leaflet / "images", OUT / "leaflet" / "images")
    print(f"copied front-end assets into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

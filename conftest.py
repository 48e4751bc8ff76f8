"""Fixtures every app's tests share: the browser harness and its accessibility check."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

pytest_plugins = ["interchange.testing.people"]

ROOT = Path(__file__).resolve().parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_browser_missing: list[str] = []


def _chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skipped loudly, or failed under REQUIRE_BROWSER=1."""
    path = _chromium_path()
    reason = None
    if path is None:
        reason = "no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "the playwright package is not installed (make install)"
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        _browser_missing.append(reason)
        pytest.skip(f"BROWSER TESTS SKIPPED: {reason}")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page that can reach only this machine's loopback addresses."""
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    blocked: list[str] = []

    def guard(route: Any) -> None:
        if _is_loopback(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    # Init scripts run outside the page's CSP, so this sees every violation the page causes.
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    new_page = context.new_page()
    new_page.set_default_timeout(10_000)
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(str(exc)))
    new_page.js_errors = errors
    new_page.blocked_requests = blocked
    yield new_page
    context.close()


def assert_accessible(page: Any, *, exclude: list[str] | None = None) -> None:
    """Fail with each WCAG 2.2 A/AA violation axe-core finds, and each CSP violation seen."""
    # Evaluated through the driver, so the page's Content Security Policy still holds for it.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}}
    context = {"exclude": [[selector] for selector in exclude or []]}
    result = page.evaluate("([ctx, opts]) => axe.run(ctx, opts)", [context, options])
    violations = result["violations"]
    lines = []
    for v in violations:
        targets = [json.dumps(node["target"]) for node in v["nodes"][:5]]
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} at {', '.join(targets)}")
    csp = page.evaluate("window.__cspViolations || []")
    lines.extend(f"- Content Security Policy blocked: {c}" for c in csp)
    if lines:
        pytest.fail(f"Problems on {page.url}:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
def axe() -> Any:
    return assert_accessible


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _browser_missing:
        bar = "!" * 72
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(
            f"BROWSER TESTS WERE SKIPPED: {_browser_missing[0]}", red=True, bold=True
        )
        terminalreporter.write_line(bar, red=True, bold=True)

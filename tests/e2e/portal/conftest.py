"""Browser fixtures: Playwright for Python driving Debian's Chromium (never `playwright install`:
nothing is downloaded), headless, against pytest-django's live server on 127.0.0.1.

Where Chromium (or Playwright) is missing the browser tests are skipped LOUDLY; under CI
(CI=true) they are required and their absence fails the run. `make test` installs Debian's
chromium first when it runs as root (scripts/test.sh)."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

# The live server must listen on 127.0.0.1 only (read when the session fixture starts).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str | None:
    explicit = os.environ.get("TIMBRA_CHROMIUM")  # a chromium outside PATH ("none": pretend there is none)
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def _missing(what: str) -> None:
    message = (f"the portal's browser tests cannot run: {what}. Install Debian's Chromium (apt-get install -y "
               "chromium; `make test` does it as root).")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} They are required under CI.")
    message = f"!!! BROWSER TESTS SKIPPED: {message}"
    warnings.warn(message, stacklevel=2)
    print("\n" + message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module (module scope: the async-unsafe allowance below
    ends with the module, not with the whole session)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    path = chromium_path()
    if path is None:
        _missing("no chromium executable on PATH")
    # Playwright's sync API keeps an asyncio loop on this thread, which Django takes for an async
    # context; the test code (and the live server's own thread) stay synchronous, so allow it
    # for the browser tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, headless=True,
                                                 args=["--no-sandbox", "--disable-dev-shm-usage"])
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    """A fresh browser page on a desktop or a 375 px phone viewport."""
    context = chromium.new_context(locale="es-MX", accept_downloads=True, **VIEWPORTS[request.param])
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.viewport_name = request.param
    yield tab
    context.close()

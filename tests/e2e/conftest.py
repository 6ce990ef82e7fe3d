"""Real-browser journeys: Playwright (sync API) driving Debian's Chromium against ``live_server``.

Run with ``make e2e`` (``pytest -m e2e tests/e2e``). One Chromium for the whole session, a fresh
browser context (cookies, storage) per test, desktop viewport 1366×768 unless a test parametrises
``viewport``. A failing test leaves a screenshot in ``test-results/e2e/<test-name>.png``.

Environment: ``E2E_CHROMIUM`` (default ``/usr/bin/chromium``), ``E2E_HEADED=1`` to watch,
``E2E_SLOWMO=<ms>`` to slow every action down.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# The network flags matter on a closed network: without them Chromium's own background
# connections are refused in bursts and slow every page down.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}
TIMEOUT_MS = 10_000
SCREENSHOT_DIR = Path("test-results") / "e2e"

_started = time.perf_counter()  # this conftest is imported while collecting tests/e2e
_ran: list[str] = []


# --- Browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright_sync() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread; Django refuses ORM calls from a
    # thread with a running loop unless told it is safe (it is: the test thread owns the loop and
    # never awaits anything while fixtures touch the database). Set only while e2e tests run.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as pw:
            yield pw
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_sync: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt install chromium, or set E2E_CHROMIUM)")
    browser = playwright_sync.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS,
        headless=os.environ.get("E2E_HEADED") != "1", slow_mo=float(os.environ.get("E2E_SLOWMO", 0)),
    )
    yield browser
    browser.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    """Desktop by default; ``@pytest.mark.parametrize("viewport", [TABLET])`` overrides it."""
    return DESKTOP


@pytest.fixture
def context(browser: Any, live_server: Any, viewport: dict[str, int]) -> Iterator[Any]:
    ctx = browser.new_context(base_url=live_server.url, viewport=viewport, locale="zh-CN",
                              timezone_id="Asia/Shanghai", accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def new_page(browser: Any, live_server: Any, viewport: dict[str, int]) -> Iterator[Callable[[], Any]]:
    """Pages in further, separate contexts: a second user in the same test."""
    contexts = []

    def make() -> Any:
        ctx = browser.new_context(base_url=live_server.url, viewport=viewport, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


# --- Logging in -----------------------------------------------------------------------------------


def _login(page: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form and wait until the page shows who is logged in."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    assert "/accounts/" not in page.url, f"{username} did not get past the login page: {page.url}"


@pytest.fixture
def login(users: dict[str, Any]) -> Callable[..., None]:
    """``login(page, "s11_clerk")``; requesting it creates the demo accounts (password PASSWORD)."""
    return _login


# --- Screenshot on failure, wall time -------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if report.when == "call" and "e2e" in item.keywords:
        _ran.append(item.nodeid)
    if report.failed and report.when in ("setup", "call"):
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None and not page.is_closed():
            name = re.sub(r"[^\w.\[\]-]+", "_", item.name)
            path = Path(item.config.rootpath) / SCREENSHOT_DIR / f"{name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                page.screenshot(path=str(path), full_page=True)
            except Exception as exc:  # a failed screenshot must not hide the failure
                report.sections.append(("e2e screenshot", f"could not save: {exc}"))
            else:
                report.sections.append(("e2e screenshot", f"{path}  (page: {page.url})"))
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _ran:
        terminalreporter.write_line(
            f"e2e wall time: {time.perf_counter() - _started:.1f} s for {len(_ran)} browser tests "
            f"(from collecting tests/e2e to the end of the run)"
        )

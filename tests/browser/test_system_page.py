"""The System page in a real browser: what the studio uses, the worker the studio fixture started,
and a Test action whose answer (the voice speaking) plays in the page and lands in the log."""

from __future__ import annotations

import time

import pytest

from aijesus.studio.models import ModeratorAction
from tests.browser.conftest import OWNER, log_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_system_page_shows_the_studio_and_a_test_speaks(studio, browser, owner_login):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    log_in(page, studio, OWNER)  # tests spend the owner's keys: theirs alone
    page.click("nav a:has-text('System')")
    page.wait_for_url(studio.url + "/system/")
    assert "offline (studio default, LLM_ENGINE)" in page.inner_text("#check-llm")
    assert "espeak" in page.inner_text("#check-voice")
    assert page.get_attribute("#check-database", "data-status") == "ok"

    # The fixture's worker answers once it is up: reload until the page says so.
    deadline = time.monotonic() + 90
    while page.get_attribute("#check-workers", "data-status") != "ok" and time.monotonic() < deadline:
        page.reload()
    assert "queues gpu, library" in page.inner_text("#check-workers")

    page.click("#check-voice button.test")
    page.wait_for_selector("#check-voice .test-result[data-ok=yes]", timeout=30_000)
    assert page.inner_text("#check-voice .test-result").startswith("Works: spoke")
    page.wait_for_function(
        "() => { const a = document.querySelector('#check-voice audio');"
        " return a.src && a.readyState >= 2; }",
        timeout=30_000,
    )

    page.click("#check-workers button.test")
    page.wait_for_selector("#check-workers .test-result[data-ok=yes]", timeout=30_000)
    assert "1 answered" in page.inner_text("#check-workers .test-result")

    logged = ModeratorAction.objects.filter(kind="system").values_list("detail", flat=True)
    assert {line.split(":")[0] for line in logged} == {"test voice", "test workers"}

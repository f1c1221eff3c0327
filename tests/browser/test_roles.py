"""The owner and a volunteer moderator in two real browsers: the owner invites the moderator from
the Users page; the moderator runs the queue but meets a refusal at every owner's door (the admin,
Users, System tests, Twitch, voice installs, engines); removed, their open dashboard closes."""

from __future__ import annotations

import pytest

from aijesus.studio.models import EndpointKey, Persona
from tests.browser.conftest import OWNER, log_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def post_status(page, path: str) -> int:
    """What the server answers this session's POST to `path` (with the page's CSRF token)."""
    return page.evaluate(
        """async (path) => {
            const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken=")).split("=")[1];
            const response = await fetch(path, {method: "POST", headers: {"X-CSRFToken": token},
                                                redirect: "manual"});
            return response.status;
        }""",
        path,
    )


def test_an_owner_invites_a_moderator_who_cannot_reach_the_owners_things(studio, browser, owner_login):
    owner = browser.new_context().new_page()
    log_in(owner, studio, OWNER)
    assert owner.inner_text(".who .role") == "owner"
    owner.click("nav a:has-text('Users')")
    owner.fill("#invite-name", "vol")
    owner.click("form.invite button[type=submit]")
    password = owner.inner_text("#shown-password")
    assert owner.get_attribute("#users tr[data-user=vol]", "data-role") == "moderator"

    # A second browser: the volunteer.
    moderator = browser.new_context().new_page()
    log_in(moderator, studio, "vol", password)
    assert moderator.inner_text(".who .role") == "moderator"
    nav = moderator.inner_text("nav")
    assert "Users" not in nav and "Admin" not in nav

    moderator.goto(studio.url + "/admin/")
    assert "/admin/login/" in moderator.url  # the admin is refused, not shown
    assert "not authorized" in moderator.inner_text("body")
    assert moderator.goto(studio.url + "/users/").status == 403

    moderator.goto(studio.url + "/system/")
    assert moderator.locator("button.test").count() == 0
    assert post_status(moderator, "/system/test/llm") == 403
    moderator.goto(studio.url + "/chat/")
    assert moderator.locator("form.connect").count() == 0
    assert post_status(moderator, "/chat/twitch/connect") == 403
    moderator.goto(studio.url + "/personas/")
    assert moderator.locator("form.voice-upload").count() == 0
    assert post_status(moderator, "/personas/voices/upload") == 403
    assert post_status(moderator, "/users/invite") == 403

    persona = Persona.objects.active()
    moderator.goto(f"{studio.url}/personas/{persona.pk}/")
    assert moderator.is_disabled("select[name=llm_engine]") and moderator.is_disabled(
        "input[name=llm_base_url]"
    )
    assert moderator.locator("input[name=llm_key]").count() == 0
    moderator.fill("textarea[name=system_prompt]", "You are a patient teacher.")
    moderator.click("form.persona-form button[type=submit]")
    moderator.wait_for_selector(".flash")
    persona.refresh_from_db()
    assert persona.system_prompt == "You are a patient teacher." and persona.llm.get("engine") == ""
    assert not EndpointKey.objects.exists()

    # The owner removes the volunteer: the open dashboard closes at once, and stays closed.
    moderator.goto(studio.url + "/")
    moderator.wait_for_selector("#conn[data-state=live]")
    owner.goto(studio.url + "/users/")
    owner.once("dialog", lambda dialog: dialog.accept())
    owner.click("#users tr[data-user=vol] button.danger")
    owner.wait_for_selector(".flash")
    moderator.wait_for_selector("#conn[data-state=down]", timeout=15_000)
    assert "not allowed" in moderator.inner_text("#conn")
    moderator.reload()
    assert "/login/" in moderator.url

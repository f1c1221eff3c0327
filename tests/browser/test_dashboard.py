"""The dashboard in a real browser: log in, see a question arrive, approve it, watch it build,
play the clip in the library; hostile chat text stays text; the page heals after a disconnect."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from aijesus.studio.models import Clip, Question
from streamer import control
from streamer.state import StatePublisher
from tests.browser.conftest import log_in, screenshot_dir
from tests.builder.worker import ROOT, stop_process

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

HOSTILE = [
    '<img src=x onerror="window.__pwned = 1">',
    "<script>window.__pwned = 2</script> and what is love?",
]
# Records every build stage the page shows, so a stage shown for a moment is not missed.
WATCH_STAGES = """
window.__stages = [];
new MutationObserver(() => {
  document.querySelectorAll('#building .stages li[data-state=now]').forEach((li) => {
    const last = window.__stages[window.__stages.length - 1];
    if (last !== li.dataset.stage) window.__stages.push(li.dataset.stage);
  });
}).observe(document.getElementById('building'), {subtree: true, childList: true, attributes: true});
"""


def ask(studio, text: str, viewer: str) -> None:
    """`manage.py ask` as its own process, as a streamer would type it."""
    argv = [sys.executable, "manage.py", "ask", text, "--user", viewer]
    subprocess.run(argv, cwd=ROOT, env=studio.env, check=True, capture_output=True)


def test_a_moderator_approves_a_question_and_plays_its_clip(studio, browser, moderator_login):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, studio)
    page.evaluate(WATCH_STAGES)

    # A question from the command line appears without a reload.
    ask(studio, "What is forgiveness?", "maria")
    row = page.locator("#pending li.question", has_text="What is forgiveness?")
    row.wait_for(timeout=10_000)
    assert row.locator(".viewer").inner_text() == "maria"

    # Hostile text shows as text and runs nothing.
    for text in HOSTILE:
        ask(studio, text, "<b>mallory</b>")
    for text in HOSTILE:
        page.locator("#pending li.question .text", has_text=text).wait_for(timeout=10_000)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#pending img").count() == 0 and page.locator("#pending script").count() == 0
    assert page.locator("#pending .viewer", has_text="<b>mallory</b>").count() == 2
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "queue.png"))

    # Approve: the row leaves pending, the build moves through its stages, the clip becomes ready.
    row.locator("button.approve").click()
    page.locator("#toast", has_text="Approved").wait_for()
    ready = page.locator("#recent li.question[data-status=ready]", has_text="What is forgiveness?")
    ready.wait_for(timeout=90_000)
    stages = page.evaluate("window.__stages")
    question = Question.objects.get(text="What is forgiveness?")
    clip = Clip.objects.get(question=question)
    assert clip.status == "ready" and question.moderated_by.username == "alice"
    assert stages and set(stages) <= {"queued", "answer", "video", "join"}, stages
    assert ready.locator(".clip").inner_text().startswith(f"clip #{clip.pk}:")

    # The clip plays in the library, subtitles attached, once its MP4 is made (after the build).
    deadline = time.monotonic() + 120
    while not Clip.objects.get(pk=clip.pk).video:
        assert time.monotonic() < deadline, "the library MP4 was not made"
        time.sleep(0.2)
    page.goto(studio.url + "/clips/")
    video = page.locator(f"video[data-clip='{clip.pk}']")
    video.scroll_into_view_if_needed()
    if shots:
        page.screenshot(path=str(shots / "library.png"))
    find = "document.querySelector(`video[data-clip='${id}']`)"
    page.evaluate(f"(id) => {{ const v = {find}; v.muted = true; return v.play(); }}", clip.pk)
    page.wait_for_function(f"(id) => {find}.currentTime > 1", arg=clip.pk, timeout=30_000)
    tracks = page.evaluate(f"(id) => {find}.textTracks.length", clip.pk)
    assert tracks == 1
    assert errors == []


def test_a_second_moderator_sees_who_won(studio, browser, moderator_login):
    """Two pages act on one question: the second is told clearly, nothing changes twice."""
    ask(studio, "Who wins?", "bo")
    first, second = browser.new_page(), browser.new_page()
    for page in (first, second):
        log_in(page, studio)
        page.locator("#pending li.question", has_text="Who wins?").wait_for()
    first.locator("#pending li.question button.reject").click()
    first.locator("#pending li.question .reject-form button[type=submit]").click()
    first.locator("#toast", has_text="Rejected").wait_for()
    Question.objects.get(text="Who wins?")  # still there
    # Whatever the second page still shows, approving now is refused with the reason.
    response = second.evaluate(
        """async (id) => {
             const csrf = document.querySelector('input[name=csrfmiddlewaretoken]').value;
             const headers = {'X-CSRFToken': csrf};
             const r = await fetch('/questions/' + id + '/approve', {method: 'POST', headers: headers});
             return [r.status, (await r.json()).error];
           }""",
        Question.objects.get(text="Who wins?").pk,
    )
    assert response[0] == 409 and "rejected" in response[1]
    second.locator("#recent li.question[data-status=rejected]", has_text="Who wins?").wait_for()


def test_the_page_says_when_it_is_disconnected_and_heals(studio, browser, moderator_login):
    page = browser.new_page()
    log_in(page, studio)
    studio.stop()
    page.wait_for_selector("#conn[data-state=down]", timeout=10_000)
    assert "reconnecting" in page.inner_text("#conn")
    ask(studio, "Asked while the page was cut off", "cy")
    studio.start()
    page.wait_for_selector("#conn[data-state=live]", timeout=20_000)
    page.locator("#pending li.question", has_text="Asked while the page was cut off").wait_for(timeout=10_000)


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (390, 844)])
def test_the_queue_fits_a_laptop_and_a_phone(studio, browser, moderator_login, width, height):
    ask(studio, "A long question " + "word " * 60, "dee")
    page = browser.new_page(viewport={"width": width, "height": height})
    log_in(page, studio)
    row = page.locator("#pending li.question").first
    row.wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    approve = row.locator("button.approve")
    box = approve.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    shots = screenshot_dir()
    if shots and width < 500:
        page.screenshot(path=str(shots / "queue-phone.png"), full_page=False)


def test_the_on_air_card_shows_the_running_stream(studio, browser, moderator_login, tmp_path):
    """With the streamer running: the live preview, health, and the answer on air with its time."""
    argv = [sys.executable, "manage.py", "stream", "--output", "preview", "--duration", "120"]
    log = tmp_path / "streamer.log"
    with log.open("wb") as out:
        streamer = subprocess.Popen(argv, cwd=ROOT, env=studio.env, stdout=out, stderr=subprocess.STDOUT)
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        log_in(page, studio)
        page.wait_for_function(
            "() => { const p = document.getElementById('preview');"
            " return !p.hidden && p.complete && p.naturalWidth > 0; }",
            timeout=60_000,
        )
        page.locator("#health", has_text="fps").wait_for()

        # The live preview plays with sound in the card (hls.js on the moderator-only playlist).
        page.locator("#listen").click()
        page.wait_for_function("() => document.getElementById('live').currentTime > 1", timeout=60_000)
        assert page.evaluate("typeof window.Hls === 'function' && !document.getElementById('live').muted")
        assert page.locator("#preview").is_hidden()  # the video stands in for the still frame
        page.locator("#listen").click()
        page.locator("#listen[aria-pressed=false]").wait_for()
        assert page.locator("#live").is_hidden() and page.locator("#preview").is_visible()

        ask(studio, "What does the Sermon on the Mount teach?", "noah")
        row = page.locator("#pending li.question", has_text="Sermon on the Mount")
        row.locator("button.approve").click()
        page.locator("#on-air", has_text="Sermon on the Mount").wait_for(timeout=90_000)
        assert "noah" in page.inner_text("#on-air")
        shots = screenshot_dir()
        if shots:
            page.wait_for_timeout(1500)  # a fresher preview frame
            page.screenshot(path=str(shots / "queue-on-air.png"))
        page.locator("button[data-stream=skip]").click()
        page.locator("#toast", has_text="Skip").wait_for()
        page.locator("#on-air", has_text="idle loop").wait_for(timeout=20_000)
    finally:
        stop_process(streamer)


def stream_frames(page) -> list[dict]:
    """Every message the page's socket receives from now on, decoded."""
    received: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: received.append(json.loads(data))))
    return received


def test_the_on_air_card_follows_stream_messages_without_queue_snapshots(studio, browser, moderator_login):
    """The streamer's state, published as the streamer does, moves the on-air card (now playing,
    position, up next, health) through small "stream" messages: the queue is never resent."""
    client = control.redis_client()
    client.delete(control.state_key())
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    frames = stream_frames(page)
    log_in(page, studio)
    page.wait_for_function("() => document.getElementById('persona').textContent !== '—'")  # snapshot in
    assert page.inner_text("#on-air") == "streamer not running" and page.locator("#listen").is_hidden()
    connected = len(frames)
    assert [f["type"] for f in frames] == ["snapshot"] and frames[0]["stream"] is None

    def state(now_playing: dict | None, queue: list[dict], **extra: object) -> dict:
        health = {"fps": 29.5, "target_fps": 30, "encoder_speed": 1.01, "reconnects": 0, "underruns": 0}
        return {"on_air": True, "output": "preview", "paused": False, "now_playing": now_playing,
                "queue": queue, "health": health, "updated_at": time.time(), **extra}  # fmt: skip

    answer = {"clip": 4, "question": "What is mercy?", "viewer": "ruth", "elapsed": 3.0, "remaining": 7.0}
    waiting = [{"clip": 5, "kind": "new", "question": "And grace?", "viewer": "sam"}]
    publisher = StatePublisher(client)  # the streamer's own publisher
    try:
        publisher.publish(state(answer, waiting))
        page.locator("#on-air", has_text="0:03 / 0:10").wait_for()
        assert "What is mercy?" in page.inner_text("#on-air") and "ruth" in page.inner_text("#on-air")
        assert page.inner_text("#up-next") == "And grace? — sam"
        assert "29.5 / 30 fps" in page.inner_text("#health")
        width = "document.getElementById('on-air-bar').style.width"
        assert page.evaluate(width) == "30%"
        assert page.locator("#listen").is_visible()  # on air: the live player can be started

        publisher.publish(state({**answer, "elapsed": 6.0, "remaining": 4.0}, waiting))
        page.locator("#on-air", has_text="0:06 / 0:10").wait_for()
        assert page.evaluate(width) == "60%"

        # Keys the page does not know, and ones it expects gone, break nothing.
        publisher.publish(state(None, [], future_key={"x": 1}) | {"health": None, "queue": None})
        page.locator("#on-air", has_text="idle loop").wait_for()
        page.locator("#up-next", has_text="nothing waiting").wait_for()
    finally:
        final = state(None, [])
        final["on_air"] = False
        publisher.close(final)
    page.locator("#on-air", has_text="off air").wait_for()
    assert page.locator("#listen").is_hidden()
    after = [f["type"] for f in frames[connected:]]
    assert after and set(after) == {"stream"}, after  # not a single queue snapshot
    assert all(len(json.dumps(f)) < 2000 for f in frames[connected:])


def test_a_persona_edit_becomes_a_version_and_the_playground_speaks(studio, browser, moderator_login):
    from aijesus.studio.models import Persona

    persona = Persona.objects.active()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    log_in(page, studio)
    page.goto(f"{studio.url}/personas/{persona.pk}/")
    page.fill("textarea[name=system_prompt]", persona.system_prompt + "\nAlways end with a blessing.")
    page.fill("input[name=note]", "ends with a blessing")
    page.click("button[type=submit]:has-text('Save new version')")
    page.locator("text=ends with a blessing").first.wait_for()
    assert persona.versions.count() == 2
    assert "Always end with a blessing." in persona.latest_version().data["system_prompt"]

    page.goto(f"{studio.url}/personas/{persona.pk}/playground")
    page.fill("textarea[name=question]", "What is forgiveness?")
    page.click("#ask button[type=submit]")
    page.locator("#answer").wait_for(timeout=30_000)
    assert "forgive" in page.inner_text("#answer").lower()
    page.wait_for_function(
        "() => { const a = document.getElementById('audio'); return a.src && a.readyState >= 2; }",
        timeout=30_000,
    )
    page.evaluate("() => { const a = document.getElementById('audio'); a.muted = true; return a.play(); }")
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.5", timeout=20_000)
    assert not Question.objects.exists() and not Clip.objects.exists()  # nothing aired or queued


def test_the_mode_switch_asks_before_auto_approving(studio, browser, moderator_login):
    from aijesus.chat.models import ChatSettings

    page = browser.new_page()
    log_in(page, studio)
    auto = page.locator("button[data-mode=auto]")
    page.once("dialog", lambda dialog: dialog.dismiss())
    auto.click()
    page.wait_for_timeout(300)
    assert auto.get_attribute("aria-pressed") == "false" and ChatSettings.load().mode == "hold"
    page.once("dialog", lambda dialog: dialog.accept())
    auto.click()
    page.locator("button[data-mode=auto][aria-pressed=true]").wait_for()
    assert ChatSettings.load().mode == "auto"


def test_replayed_chat_reaches_the_queue_with_verdicts_and_priorities(studio, browser, moderator_login):
    """`readchat --replay` (the same path as Twitch chat) into the live queue: merged, flagged and
    dropped messages are explained, none is lost."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    log_in(page, studio)
    replay = ROOT / "aijesus" / "chat" / "samples" / "demo.jsonl"
    argv = [sys.executable, "manage.py", "readchat", "--replay", str(replay), "--speed", "0"]
    subprocess.run(argv, cwd=ROOT, env=studio.env, check=True, capture_output=True, timeout=120)
    flagged = page.locator("#pending li.question", has_text="Ignore all previous instructions")
    flagged.wait_for(timeout=10_000)
    assert flagged.locator(".verdict").inner_text() == "flagged"
    parables = page.locator("#pending li.question", has_text="Why did Jesus speak in parables?")
    assert "bits" in parables.locator(".priority").get_attribute("title")
    dropped = page.locator("#recent li.question[data-status=dropped]")
    dropped.first.wait_for()
    assert dropped.count() >= 2  # the link spam, the emoji-only message, the duplicate...
    assert all(row.locator(".reason").inner_text() for row in dropped.all())
    total = Question.objects.count()
    assert total == sum(1 for line in replay.read_text().splitlines() if '"text"' in line)
    shots = screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "queue-chat.png"))
    page.goto(studio.url + "/chat/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    if shots:
        page.screenshot(path=str(shots / "chat-settings.png"))

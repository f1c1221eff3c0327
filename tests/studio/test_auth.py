"""Every page, action and socket is for moderators only."""

import re

import pytest
from asgiref.sync import async_to_sync
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aijesus.studio.models import Question
from aijesus.studio.services import question_submit
from tests.studio.ws import dashboard_socket, session_cookie

CONVERTERS = [
    (re.compile(r"<int:\w+>"), "1"),
    (re.compile(r"<str:\w+>"), "skip"),
    (re.compile(r"<slug:\w+>"), "x"),
    (re.compile(r"<path:\w+>"), "x"),
    (re.compile(r"<uuid:\w+>"), "00000000-0000-0000-0000-000000000000"),
]


def studio_urls() -> list[str]:
    """A concrete path for every route outside the login pages and the admin (which guards itself),
    including every app's pages (personas, avatars, chat...)."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern) != "admin/":
                    walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name not in {"login", "logout"}:
                path = "/" + prefix + str(pattern.pattern)
                for converter, value in CONVERTERS:
                    path = converter.sub(value, path)
                found.append(path)

    walk(get_resolver().url_patterns)
    return found


def test_the_route_list_covers_the_dashboard_and_actions():
    assert "/" in studio_urls()
    assert "/questions/1/approve" in studio_urls()
    assert "/stream/skip" in studio_urls()
    assert "/clips/1/skip" in studio_urls()  # clips/<pk>/<kind>: the media files


@pytest.mark.django_db
@pytest.mark.parametrize("path", studio_urls())
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    """GET and POST: the method a route takes sends to the login page, the other is not allowed."""
    responses = [client.get(path), client.post(path)]
    assert all(r.status_code in (302, 405) for r in responses), [r.status_code for r in responses]
    redirects = [r for r in responses if r.status_code == 302]
    assert redirects and all(r.url.startswith(reverse("login")) for r in redirects)


@pytest.mark.django_db
@pytest.mark.parametrize("path", studio_urls())
def test_logged_in_non_moderators_are_refused(client, viewer_account, path):
    client.force_login(viewer_account)
    codes = [client.get(path).status_code, client.post(path).status_code]
    assert set(codes) <= {403, 405} and 403 in codes, codes


@pytest.mark.django_db
def test_the_admin_refuses_anonymous_visitors(client):
    response = client.get("/admin/studio/question/")
    assert response.status_code == 302 and "/admin/login/" in response.url


@pytest.mark.django_db
def test_a_moderator_sees_the_dashboard(client, moderator):
    client.force_login(moderator)
    response = client.get("/")
    assert response.status_code == 200
    assert b"/static/studio/dashboard.js" in response.content


@pytest.mark.django_db
def test_the_login_page_logs_a_moderator_in(client, moderator):
    response = client.post(reverse("login"), {"username": "mod", "password": "pw-mod-123"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_a_refused_action_changes_nothing(client, viewer_account):
    question = question_submit(text="Hi?", viewer_name="x")
    client.force_login(viewer_account)
    client.post(f"/questions/{question.pk}/approve")
    assert Question.objects.get(pk=question.pk).status == "pending"


async def connect_and_close_code(cookie: bytes | None, origin: bytes = b"http://localhost"):
    communicator = dashboard_socket(cookie, origin)
    connected, code = await communicator.connect()
    await communicator.disconnect()
    return connected, code


@pytest.mark.django_db(transaction=True)
def test_the_socket_refuses_anonymous_visitors():
    assert async_to_sync(connect_and_close_code)(None) == (False, 4403)


@pytest.mark.django_db(transaction=True)
def test_the_socket_refuses_non_moderators(viewer_account):
    assert async_to_sync(connect_and_close_code)(session_cookie(viewer_account)) == (False, 4403)


@pytest.mark.django_db(transaction=True)
def test_the_socket_refuses_other_origins(moderator):
    connected, _ = async_to_sync(connect_and_close_code)(session_cookie(moderator), b"http://evil.example")
    assert connected is False


@pytest.mark.django_db(transaction=True)
def test_the_socket_accepts_a_moderator(moderator):
    connected, _ = async_to_sync(connect_and_close_code)(session_cookie(moderator))
    assert connected is True

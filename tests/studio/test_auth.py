"""Every page, action and socket is for moderators only."""

import pytest
from asgiref.sync import async_to_sync
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aijesus.studio.models import Question
from aijesus.studio.services import question_submit
from tests.studio.ws import dashboard_socket, session_cookie


def studio_urls() -> list[tuple[str, str]]:
    """(method, path) for every route outside the login pages and the admin (which guards itself)."""
    found = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern) != "admin/":
                    walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name not in {"login", "logout"}:
                path = "/" + (prefix + str(pattern.pattern)).replace("<int:pk>", "1")
                path = path.replace("<str:command>", "skip")
                method = "get" if pattern.name == "dashboard" else "post"
                found.append((method, path))

    walk(get_resolver().url_patterns)
    return found


def test_the_route_list_covers_the_dashboard_and_actions():
    assert ("get", "/") in studio_urls()
    assert ("post", "/questions/1/approve") in studio_urls()
    assert ("post", "/stream/skip") in studio_urls()


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), studio_urls())
def test_anonymous_visitors_are_sent_to_log_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), studio_urls())
def test_logged_in_non_moderators_are_refused(client, viewer_account, method, path):
    client.force_login(viewer_account)
    assert getattr(client, method)(path).status_code == 403


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

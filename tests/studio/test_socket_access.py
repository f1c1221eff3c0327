"""An open dashboard socket lasts only while its login does: a logout or a removal closes it at
once; a role taken away some other way (the admin) closes it at the next recheck."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.test import Client

from aijesus.studio import users
from aijesus.studio.broadcast import broadcast_now
from aijesus.studio.consumers import CLOSE_FORBIDDEN
from aijesus.studio.roles import MODERATOR_GROUP
from tests.studio.ws import dashboard_socket

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10.0  # seconds a socket may take to close: a bound for a slow day, not an expected time


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cookie_of(client: Client) -> bytes:
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def open_socket(client: Client):
    socket = dashboard_socket(cookie_of(client))
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=WAIT))["type"] == "snapshot"
    return socket


async def closed_code(socket) -> int:
    """Wait for the close, skipping any snapshot or stream message sent before it."""
    while True:
        message = await socket.receive_output(timeout=WAIT)
        if message["type"] == "websocket.close":
            return message["code"]


def test_logging_out_closes_that_sessions_socket_and_no_other(moderator, persona):
    first, second = login(moderator), login(moderator)  # two browsers

    async def scenario():
        leaving, staying = await open_socket(first), await open_socket(second)
        await sync_to_async(first.post)("/logout/")
        assert await closed_code(leaving) == CLOSE_FORBIDDEN
        await sync_to_async(broadcast_now)("queue")  # the other browser's socket still gets news
        assert (await staying.receive_json_from(timeout=WAIT))["type"] == "snapshot"
        await staying.disconnect()

    async_to_sync(scenario)()


def test_removing_a_moderator_closes_their_sockets(moderator, persona):
    browser = login(moderator)

    async def scenario():
        socket = await open_socket(browser)
        await sync_to_async(users.remove_moderator)(moderator.username)
        assert await closed_code(socket) == CLOSE_FORBIDDEN

    async_to_sync(scenario)()


def test_a_role_taken_away_in_the_admin_closes_the_socket_at_the_next_recheck(moderator, persona, settings):
    settings.DASHBOARD_ACCESS_RECHECK_SECONDS = 0.2
    browser = login(moderator)

    def take_the_role() -> None:  # as an owner would in the admin: no signal, no message
        moderator.groups.remove(moderator.groups.get(name=MODERATOR_GROUP))

    async def scenario():
        socket = await open_socket(browser)
        await sync_to_async(take_the_role)()
        assert await closed_code(socket) == CLOSE_FORBIDDEN

    async_to_sync(scenario)()


def test_a_session_without_the_role_is_refused_at_connect(viewer_account, persona):
    cookie = cookie_of(login(viewer_account))

    async def scenario():
        connected, code = await dashboard_socket(cookie).connect()
        assert not connected and code == CLOSE_FORBIDDEN

    async_to_sync(scenario)()

"""Who a dashboard socket belongs to, and whether that still holds.

Each socket joins a group for its user and one for its login session, so a logout or a removal
closes it at once (`revoke_sockets`); a check every DASHBOARD_ACCESS_RECHECK_SECONDS catches the
rest (a role taken away in the admin, an expired session, a changed password).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from aijesus.studio.broadcast import revoke_sockets
from aijesus.studio.roles import is_moderator


def user_group(user_id: int) -> str:
    return f"studio.user.{user_id}"


def session_group(session_key: str) -> str:
    # A digest, not the key: group names live in Redis, and a session key is a credential.
    return "studio.session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def still_allowed(user_id: int, session_key: str) -> bool:
    """The session still exists, still logs in this user with their current password, and the
    user still has the moderator role (or the owner's)."""
    from django.conf import settings

    store: SessionBase = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    if not store.exists(session_key):
        return False
    data = store.load()
    if str(data.get(SESSION_KEY)) != str(user_id) or not data.get(BACKEND_SESSION_KEY):
        return False
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not is_moderator(user):
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())


def close_on_logout(sender: Any, request: Any, user: Any, **_: Any) -> None:
    """`user_logged_out` receiver: the sockets of the session that logged out close now."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        revoke_sockets(session_group(key))

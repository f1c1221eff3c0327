"""Two roles, checked on the server: the owner (engines, keys, voices, Twitch, users, the admin) and
moderators (the show). Every page names the role it needs; the owner's pages refuse a moderator;
the admin refuses everyone but an owner, staff flag or not."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aijesus.studio.models import ModeratorAction
from aijesus.studio.roles import Role, is_moderator, is_owner, role_of

pytestmark = pytest.mark.django_db

# (name, args, method) of every owner-only action.
OWNER_ONLY = [
    ("voice-upload", [], "post"),
    ("system-test", ["llm"], "post"),
    ("chat:twitch-connect", [], "post"),
    ("chat:twitch-callback", [], "get"),
    ("chat:twitch-disconnect", [1], "post"),
    ("users", [], "get"),
    ("user-invite", [], "post"),
    ("user-remove", [], "post"),
    ("user-password", [], "post"),
]
# Pages a moderator works in.
MODERATOR_PAGES = ["dashboard", "library", "latency", "personas", "avatars", "chat:settings", "system"]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def every_view(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            yield from every_view(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_page_and_action_names_the_role_it_needs():
    public = {"login/", "logout/"}
    unguarded = [
        route
        for route, view in every_view()
        if route not in public and not isinstance(getattr(view, "required_role", None), Role)
    ]
    assert unguarded == []


def test_the_owners_actions_refuse_a_moderator_and_admit_the_owner(moderator, owner, persona):
    as_moderator, as_owner = logged_in(moderator), logged_in(owner)
    for name, args, method in OWNER_ONLY:
        url = reverse(name, args=args)
        assert getattr(as_moderator, method)(url).status_code == 403, name
        assert getattr(as_owner, method)(url).status_code != 403, name


def test_moderators_and_the_owner_run_the_show(moderator, owner, persona):
    for user in (moderator, owner):
        client = logged_in(user)
        for name in MODERATOR_PAGES:
            assert client.get(reverse(name)).status_code == 200, (user, name)


def test_the_nav_shows_the_role_and_only_the_owner_gets_users_and_admin(moderator, owner, persona):
    page = logged_in(moderator).get(reverse("dashboard")).content.decode()
    assert 'data-role="moderator"' in page and reverse("users") not in page and "/admin/" not in page
    page = logged_in(owner).get(reverse("dashboard")).content.decode()
    assert 'data-role="owner"' in page and reverse("users") in page and "/admin/" in page


def test_the_admin_is_the_owners_alone_whatever_the_staff_flag_says(moderator, owner, django_user_model):
    staff = django_user_model.objects.create_user("old-staff", password="pw-staff-123", is_staff=True)
    for user in (moderator, staff):
        response = logged_in(user).get("/admin/")
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
        assert logged_in(user).get("/admin/studio/persona/").status_code == 302
    assert logged_in(owner).get("/admin/").status_code == 200
    assert not is_owner(staff) and not is_moderator(staff)


def test_an_owner_invites_a_moderator_who_logs_in_and_is_never_staff(owner, persona):
    page = logged_in(owner).post(reverse("user-invite"), {"username": "ruth"})
    assert page.status_code == 200
    password = page.context["shown"].password
    assert password in page.content.decode()  # shown once, in the answer to the POST itself
    ruth = get_user_model().objects.get(username="ruth")
    assert role_of(ruth) == Role.MODERATOR and not ruth.is_staff and not ruth.is_superuser
    browser = Client()
    assert browser.login(username="ruth", password=password)
    assert browser.get(reverse("dashboard")).status_code == 200
    assert password not in logged_in(owner).get(reverse("users")).content.decode()  # never again
    logged = ModeratorAction.objects.get(kind="users")
    assert logged.detail == "invited moderator ruth" and logged.user == owner


def test_removing_a_moderator_ends_their_logins(owner, moderator, persona):
    theirs = logged_in(moderator)
    assert theirs.get(reverse("dashboard")).status_code == 200
    response = logged_in(owner).post(reverse("user-remove"), {"username": moderator.username}, follow=True)
    assert "removed" in response.content.decode()
    assert theirs.get(reverse("dashboard")).status_code == 302  # back to the login page
    assert not Client().login(username=moderator.username, password="pw-mod-123")
    page = logged_in(owner).get(reverse("users")).content.decode()
    assert f'data-user="{moderator.username}"' in page and "removed" in page


def test_owners_are_not_removed_from_the_users_page(owner, persona):
    response = logged_in(owner).post(reverse("user-remove"), {"username": owner.username}, follow=True)
    assert "is an owner" in response.content.decode()
    owner.refresh_from_db()
    assert owner.is_active


def test_bad_or_taken_names_are_refused_with_a_reason(owner, moderator, persona):
    client = logged_in(owner)
    for name, reason in [
        ("", "needs a user name"),
        ("a b<c>", "Enter a valid username"),
        ("MOD", "already has"),
    ]:
        response = client.post(reverse("user-invite"), {"username": name})
        assert response.status_code == 400 and reason in response.content.decode(), name


def test_the_moderators_command(capsys, persona):
    call_command("moderators", "add", "sam")
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    assert Client().login(username="sam", password=password)
    call_command("moderators", "list")
    assert "sam" in capsys.readouterr().out
    call_command("moderators", "password", "sam")
    assert not Client().login(username="sam", password=password)
    call_command("moderators", "remove", "sam")
    assert not get_user_model().objects.get(username="sam").is_active
    with pytest.raises(CommandError, match="No login called"):
        call_command("moderators", "remove", "nobody")


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_makes_the_seeded_login_the_owner_and_no_one_else_staff():
    before, after = [("studio", "0006_automod_holds")], [("studio", "0007_owner_role")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        User, Group = old.get_model("auth", "User"), old.get_model("auth", "Group")
        group, _ = Group.objects.get_or_create(name="moderator")
        seeded = User.objects.create(username="moderator", is_staff=True)
        seeded.groups.add(group)
        later = User.objects.create(username="helper", is_staff=True)
        later.groups.add(group)
        MigrationExecutor(connection).migrate(after)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    users = get_user_model().objects
    assert role_of(users.get(username="moderator")) == Role.OWNER
    helper = users.get(username="helper")
    assert role_of(helper) == Role.MODERATOR and not helper.is_staff

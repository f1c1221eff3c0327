"""Nothing in Django's admin names a file to load: file fields (clips, segments, avatars) and a
persona's raw engine settings (`llm`, `voice`) are shown on the change pages, never editable, and
a post that sends them changes nothing. Checked as the owner (a superuser) through the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from aijesus.studio.models import Avatar, Clip, Persona, Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def clip(persona) -> Clip:
    clip = Clip.objects.create(
        persona_version=persona.latest_version(), status=Clip.Status.READY, video="clips/1.mp4"
    )
    Segment.objects.create(clip=clip, index=0, media="segments/1-0.mp4", duration=1.0)
    return clip


def change_page(client, obj) -> tuple[dict, str]:
    """(the form's editable fields, the page) of `obj`'s admin change page."""
    meta = obj._meta
    response = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]))
    assert response.status_code == 200
    return response.context["adminform"].form.fields, response.content.decode()


def test_a_personas_engine_settings_are_shown_not_edited(admin_client, persona):
    persona.voice = {"engine": "coqui", "voice": "tiny-vits#bob"}
    persona.save()

    fields, page = change_page(admin_client, persona)

    assert "llm" not in fields and "voice" not in fields
    assert "system_prompt" in fields  # the rest stays editable
    assert "tiny-vits#bob" in page


def test_posting_engine_settings_to_the_admin_changes_nothing(admin_client, persona):
    before = dict(persona.voice)
    url = reverse("admin:studio_persona_change", args=[persona.pk])
    data = {
        **posted_as_shown(admin_client.get(url).context["adminform"].form),
        "system_prompt": "Edited in the admin.",
        "voice": '{"engine": "coqui", "model_path": "/srv/media/avatars/upload.pth"}',
        "llm": '{"engine": "openai", "base_url": "http://elsewhere.example/v1"}',
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    persona.refresh_from_db()
    assert persona.system_prompt == "Edited in the admin."
    assert persona.voice == before and "base_url" not in persona.llm


def posted_as_shown(form) -> dict:
    """What a browser posts from the admin's form without changes."""
    from django.contrib.admin.widgets import AdminSplitDateTime

    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(form.fields[name].widget, AdminSplitDateTime):
            data[f"{name}_0"], data[f"{name}_1"] = value.date().isoformat(), value.time().isoformat()
        elif value not in (None, False):
            data[name] = value
    return data


@pytest.mark.parametrize(
    ("make", "file_fields"),
    [
        (lambda clip: clip, ["video", "subtitles", "thumbnail"]),
        (lambda clip: clip.segments.get(), ["media"]),
        (lambda _: Avatar.objects.create(name="Face", kind="video", source="avatars/face.png"), ["source"]),
    ],
    ids=["clip", "segment", "avatar"],
)
def test_file_fields_are_shown_not_uploadable(admin_client, clip, make, file_fields):
    obj = make(clip)

    fields, page = change_page(admin_client, obj)

    assert not set(file_fields) & set(fields)
    assert str(getattr(obj, file_fields[0])) in page
    assert 'type="file"' not in page


def test_every_admin_keeps_every_file_field_read_only(rf, owner):
    from django.contrib import admin
    from django.db.models import FileField

    request = rf.get("/admin/")
    request.user = owner
    for model, model_admin in admin.site._registry.items():
        files = {f.name for f in model._meta.concrete_fields if isinstance(f, FileField)}
        assert files <= set(model_admin.get_readonly_fields(request)), model.__name__
    assert {"llm", "voice"} <= set(admin.site._registry[Persona].get_readonly_fields(request))

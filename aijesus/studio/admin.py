"""Admin for every model. Rows with history are never deleted from here: they are marked instead.

Nothing here chooses what the studio loads or decodes: every file field is shown, never uploaded or
replaced (an upload here would skip the dashboard's checks and limits), and a persona's raw engine
settings (`llm`, `voice` JSON) are shown, never edited (the dashboard's persona editor checks them
against what the engines accept, and models load only from the installed folders).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from aijesus.studio.models import Avatar, Clip, Persona, PersonaVersion, Question, Segment


class ReadOnlyFilesAdmin(admin.ModelAdmin):
    """Every file field of the model is read-only, whatever the subclass lists (a field added
    later included)."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        listed = list(super().get_readonly_fields(request, obj))
        return listed + [name for name in file_fields(self.model) if name not in listed]


def file_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


class NoDeleteAdmin(ReadOnlyFilesAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Avatar)
class AvatarAdmin(ReadOnlyFilesAdmin):
    list_display = ["name", "kind", "prepared_at", "created_at"]
    list_filter = ["kind"]
    # The Avatars page uploads and checks the file (size, pixels, the face box); here it is shown.
    readonly_fields = ["settings"]


class PersonaVersionInline(admin.TabularInline):
    model = PersonaVersion
    fields = ["number", "note", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-number"]


@admin.register(Persona)
class PersonaAdmin(ReadOnlyFilesAdmin):
    list_display = ["name", "language", "avatar", "is_active"]
    list_filter = ["language", "is_active"]
    inlines = [PersonaVersionInline]
    # Engine settings are changed on the dashboard's persona page, which checks them.
    readonly_fields = ["llm", "voice"]

    def save_model(self, request: HttpRequest, obj: Persona, form: Any, change: bool) -> None:
        # The admin's change view is one transaction already. save_version writes only the versioned
        # fields: save first for the rest the form shows (is_active).
        obj.save()
        obj.save_version(by=request.user, note="edited in admin")


@admin.register(PersonaVersion)
class PersonaVersionAdmin(NoDeleteAdmin):
    list_display = ["persona", "number", "note", "created_by", "created_at"]
    readonly_fields = ["persona", "number", "data", "note", "created_by", "created_at"]


@admin.register(Question)
class QuestionAdmin(NoDeleteAdmin):
    list_display = ["id", "viewer_name", "text", "status", "priority", "prescreen_verdict", "received_at"]
    list_filter = ["status", "source", "prescreen_verdict"]
    search_fields = ["text", "viewer_name", "original_text"]
    # Status only changes through moderation moves and aijesus/studio/lifecycle.py (who and why kept).
    readonly_fields = [
        "status",
        "status_reason",
        "original_text",
        "moderated_by",
        "moderated_at",
        "updated_at",
    ]


class SegmentInline(admin.TabularInline):
    model = Segment
    fields = ["attempt", "index", "media", "duration", "ready_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Clip)
class ClipAdmin(NoDeleteAdmin):
    list_display = ["id", "question", "status", "attempt", "duration", "aired_count", "created_at"]
    list_filter = ["status", "lipsync_engine"]
    search_fields = ["answer_text", "question__text", "question__viewer_name"]
    # Everything the lifecycle (aijesus/studio/lifecycle.py) owns is shown, never edited here.
    readonly_fields = [
        "status", "error", "note", "attempt", "claimed_by", "enqueued_at", "heartbeat_at", "started_at",
        "finished_at", "progress", "timings", "on_air_since", "aired_count", "first_aired_at",
        "last_aired_at", "updated_at",
    ]  # fmt: skip
    inlines = [SegmentInline]


@admin.register(Segment)
class SegmentAdmin(NoDeleteAdmin):
    list_display = ["clip", "attempt", "index", "duration", "ready_at"]

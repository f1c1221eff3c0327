"""Admin for the chat app. Tokens are never shown, not even sealed. As in the studio's admin, a file
field (none today) would be shown, never uploaded (`ReadOnlyFilesAdmin`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from aijesus.chat.models import ChatSettings, SupportEvent, TwitchAccount
from aijesus.studio.admin import ReadOnlyFilesAdmin


@admin.register(ChatSettings)
class ChatSettingsAdmin(ReadOnlyFilesAdmin):
    readonly_fields = ["updated_at", "updated_by", "aged_at", "replied_until"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ChatSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TwitchAccount)
class TwitchAccountAdmin(ReadOnlyFilesAdmin):
    list_display = ["login", "user_id", "connected_at", "refreshed_at"]
    fields = ["login", "user_id", "scopes", "connected_at", "connected_by", "refreshed_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are connected through Twitch's own consent page (the chat page)


@admin.register(SupportEvent)
class SupportEventAdmin(ReadOnlyFilesAdmin):
    list_display = ["received_at", "viewer_name", "kind", "label", "value", "question"]
    list_filter = ["kind"]
    search_fields = ["viewer_name"]
    raw_id_fields = ["question"]

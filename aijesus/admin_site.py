"""Django's admin is the owner's tool: it edits everything (users, raw rows), so only an owner
enters, whatever `is_staff` says. Installed as the default admin site (settings.INSTALLED_APPS)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class OwnerAdminSite(AdminSite):
    site_header = "AI streamer studio — owner's admin"

    def has_permission(self, request: HttpRequest) -> bool:
        from aijesus.studio.roles import is_owner

        return is_owner(request.user)


class OwnerAdminConfig(AdminConfig):
    default_site = "aijesus.admin_site.OwnerAdminSite"

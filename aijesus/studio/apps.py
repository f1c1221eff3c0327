from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StudioConfig(AppConfig):
    name = "aijesus.studio"
    label = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from aijesus.studio.access_groups import close_on_logout
        from aijesus.studio.roles import ensure_moderator_group

        # After every migrate, so a fresh install and every test database have the group.
        post_migrate.connect(ensure_moderator_group, sender=self)
        user_logged_out.connect(close_on_logout, dispatch_uid="studio.close_on_logout")

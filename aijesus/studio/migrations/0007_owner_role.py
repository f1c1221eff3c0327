"""Two roles (issue 23): the owner is a superuser; a moderator is never staff.

Until now setup created one login, "moderator", as staff: it was the streamer's own. On upgrade
that login becomes the owner (same name, same password), when the database has no superuser yet.
Every other staff account that is not a superuser stops being staff: it keeps the moderator role
if it had it, and loses the admin.
"""

from django.conf import settings
from django.db import migrations


def owner_and_moderators(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    if not User.objects.filter(is_superuser=True, is_active=True).exists():
        seeded = (
            User.objects.filter(is_staff=True, is_active=True, groups__name="moderator")
            .order_by("date_joined", "pk")
            .first()
        )
        if seeded is not None:
            seeded.is_superuser = True
            seeded.save(update_fields=["is_superuser"])
    User.objects.filter(is_staff=True, is_superuser=False).update(is_staff=False)


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("studio", "0006_automod_holds"),
    ]

    operations = [migrations.RunPython(owner_and_moderators, migrations.RunPython.noop)]

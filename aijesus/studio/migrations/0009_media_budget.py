# The disk budget (issue 24, item 5): a clip a moderator starred keeps its media; a clip whose files
# were removed keeps its row, marked; starring is recorded in the moderator log.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0008_endpoint_keys_user_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="clip",
            name="starred",
            field=models.BooleanField(
                default=False, help_text="Kept by a moderator: its media is never removed."
            ),
        ),
        migrations.AddField(
            model_name="clip",
            name="media_removed_at",
            field=models.DateTimeField(
                blank=True, help_text="When its files were removed (disk budget or deletion).", null=True
            ),
        ),
        migrations.AlterField(
            model_name="moderatoraction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("approve", "Approved"),
                    ("edit", "Edited the text"),
                    ("reject", "Rejected"),
                    ("bump", "Bumped priority"),
                    ("cancel", "Cancelled a build"),
                    ("retry", "Retried a build"),
                    ("reair", "Re-aired a clip"),
                    ("delete", "Deleted a clip"),
                    ("stream", "Stream command"),
                    ("persona", "Changed a persona"),
                    ("avatar", "Changed an avatar"),
                    ("chat", "Changed the chat settings"),
                    ("system", "Tested a service"),
                    ("voice", "Installed a voice"),
                    ("automod", "Twitch AutoMod"),
                    ("users", "Changed a user's access"),
                    ("keys", "Set an engine address and key"),
                    ("star", "Starred or unstarred a clip"),
                ],
                max_length=10,
            ),
        ),
    ]

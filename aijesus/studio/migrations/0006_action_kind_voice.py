from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("studio", "0005_persona_studio_defaults")]

    operations = [
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
                ],
                max_length=10,
            ),
        ),
    ]

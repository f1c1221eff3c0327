from django.db import migrations, models

# What `seed` wrote before personas could say "studio default": a persona still holding exactly
# this, never saved by a moderator, was not a choice anyone made, so it follows the defaults now.
OLD_SEEDED_LLM = {"engine": "offline", "temperature": 0.7, "max_tokens": 180}
OLD_SEEDED_VOICE = {"engine": "espeak", "voice": "", "speed": 1.0, "pitch": 1.0}
NOTE = "follows the studio defaults (LLM_ENGINE, TTS_ENGINE)"


def follow_studio_defaults(apps, schema_editor):
    Persona = apps.get_model("studio", "Persona")
    PersonaVersion = apps.get_model("studio", "PersonaVersion")
    for persona in Persona.objects.all():
        if persona.llm != OLD_SEEDED_LLM or persona.voice != OLD_SEEDED_VOICE:
            continue
        versions = PersonaVersion.objects.filter(persona=persona)
        if versions.exclude(created_by=None).exists():
            continue  # a moderator saved it: offline / espeak may be their choice
        persona.llm = {**persona.llm, "engine": ""}
        persona.voice = {**persona.voice, "engine": ""}
        persona.save(update_fields=["llm", "voice"])
        last = versions.aggregate(last=models.Max("number"))["last"] or 0
        data = {
            field: getattr(persona, field)
            for field in ("name", "system_prompt", "language", "llm", "voice", "banned_words")
        }
        data["avatar_id"] = persona.avatar_id
        PersonaVersion.objects.create(persona=persona, number=last + 1, data=data, note=NOTE)


def back_to_named_engines(apps, schema_editor):
    Persona = apps.get_model("studio", "Persona")
    for persona in Persona.objects.all():
        if persona.llm.get("engine") == "" and persona.voice.get("engine") == "":
            persona.llm = {**persona.llm, "engine": "offline"}
            persona.voice = {**persona.voice, "engine": "espeak"}
            persona.save(update_fields=["llm", "voice"])


class Migration(migrations.Migration):
    dependencies = [("studio", "0004_clip_lifecycle")]

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
        migrations.RunPython(follow_studio_defaults, back_to_named_engines),
    ]

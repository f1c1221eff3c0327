"""Persona and its version history: every save is a version, clips record which one they used."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from aijesus.studio.models.avatar import Avatar

# The fields a version captures; the avatar is kept by id.
VERSIONED_FIELDS = ("name", "system_prompt", "language", "llm", "voice", "banned_words")
# All that saving a version writes to an existing row. A full save would also write back this copy's
# is_active as it was when loaded, undoing an activation (or deactivation) made since.
SAVED_FIELDS = (*VERSIONED_FIELDS, "avatar")


class PersonaQuerySet(models.QuerySet):
    def active(self) -> Persona | None:
        return self.filter(is_active=True).first()


class Persona(models.Model):
    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        FRENCH = "fr", "French"

    name = models.CharField(max_length=100, unique=True)
    system_prompt = models.TextField()
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    llm = models.JSONField(default=dict, blank=True, help_text="engine, model, temperature, max_tokens")
    voice = models.JSONField(default=dict, blank=True, help_text="engine, voice, speed, pitch")
    avatar = models.ForeignKey(Avatar, null=True, blank=True, on_delete=models.PROTECT)
    banned_words = models.TextField(blank=True, help_text="One word or phrase per line.")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PersonaQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_persona"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def snapshot(self) -> dict[str, Any]:
        data = {field: getattr(self, field) for field in VERSIONED_FIELDS}
        data["avatar_id"] = self.avatar_id
        return data

    def save_version(self, *, by: Any = None, note: str = "") -> PersonaVersion:
        """Save the persona's versioned fields and record them as a new version, numbered after the last."""
        with transaction.atomic():
            if self._state.adding:
                self.save()
            else:
                # The UPDATE locks the row until commit (on SQLite the database is locked from BEGIN
                # IMMEDIATE): a concurrent save of this persona waits here, then reads this version's
                # number and takes the next. The (persona, number) constraint refuses a duplicate.
                self.save(update_fields=SAVED_FIELDS)
            last = self.versions.aggregate(last=models.Max("number"))["last"] or 0
            return self.versions.create(number=last + 1, data=self.snapshot(), created_by=by, note=note)

    def ensure_version(self, *, by: Any = None, note: str = "first version") -> PersonaVersion:
        """The latest version; when there is none, the persona as its row is now becomes version 1.

        The row is read afresh under a lock: a copy loaded before someone changed the persona never
        records (or writes back) the old values, and two callers at once make one version, not two.
        """
        with transaction.atomic():
            current = Persona.objects.select_for_update().get(pk=self.pk)
            return current.latest_version() or current.save_version(by=by, note=note)

    def latest_version(self) -> PersonaVersion | None:
        return self.versions.order_by("-number").first()

    @transaction.atomic
    def rollback(self, version: PersonaVersion, *, by: Any = None) -> PersonaVersion:
        if version.persona_id != self.pk:
            raise ValueError(f"version {version.pk} belongs to another persona")
        # Re-read under a lock: the activation flag (and anything not versioned) is whatever it is
        # now, not what this object held when it was loaded; a concurrent activation stands.
        current = Persona.objects.select_for_update().get(pk=self.pk)
        for field in VERSIONED_FIELDS:
            setattr(current, field, version.data[field])
        current.avatar_id = version.data.get("avatar_id")
        restored = current.save_version(by=by, note=f"rollback to v{version.number}")
        self.refresh_from_db()
        return restored

    @transaction.atomic
    def activate(self) -> None:
        Persona.objects.filter(is_active=True).exclude(pk=self.pk).update(is_active=False)
        self.is_active = True
        self.save(update_fields=["is_active"])


class PersonaVersion(models.Model):
    persona = models.ForeignKey(Persona, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["persona", "-number"]
        constraints = [models.UniqueConstraint(fields=["persona", "number"], name="unique_persona_version")]

    def __str__(self) -> str:
        return f"{self.data.get('name', self.persona_id)} v{self.number}"

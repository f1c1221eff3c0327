from django.db import models
from django.utils import timezone


class Avatar(models.Model):
    """The character's look. A sprite avatar with no files is the one the builder draws itself."""

    class Kind(models.TextChoices):
        SPRITE = "sprite", "Sprite set (2D, mouth shapes)"
        VIDEO = "video", "Image or loop video (GPU lip-sync)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SPRITE)
    source = models.FileField(
        upload_to="avatars/",
        blank=True,
        help_text="Sprite set (zip of PNGs) or an image / loop video. Empty: the built-in character.",
    )
    settings = models.JSONField(default=dict, blank=True, help_text="Engine options, e.g. face box.")
    prepared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_builtin(self) -> bool:
        return not self.source

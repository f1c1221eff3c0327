"""Forms for avatars: the upload, and the manual face box for GPU lip-sync.

A valid upload form has its file already copied and checked (`staged`): the slow checks run while
the form is cleaned, with no transaction open, and the view only has to keep the result.
"""

from __future__ import annotations

from typing import Any

from django import forms

from aijesus.studio import avatar_staging
from aijesus.studio.avatar_files import AvatarFileError, FaceBoxError, check_upload
from aijesus.studio.avatar_staging import StagedUpload
from aijesus.studio.models import Avatar

_BOX_FIELDS = ("x1", "y1", "x2", "y2")


class FaceBoxForm(forms.Form):
    """Optional: all four corners or none. Checked against the picture's size by the view."""

    x1 = forms.IntegerField(min_value=0, required=False)
    y1 = forms.IntegerField(min_value=0, required=False)
    x2 = forms.IntegerField(min_value=0, required=False)
    y2 = forms.IntegerField(min_value=0, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        given = [data.get(name) for name in _BOX_FIELDS]
        if any(v is not None for v in given) and any(v is None for v in given):
            raise forms.ValidationError("Give all four face box values (x1, y1, x2, y2), or none.")
        return data

    @property
    def box(self) -> list[int] | None:
        values = [self.cleaned_data.get(name) for name in _BOX_FIELDS]
        return None if values[0] is None else [int(v) for v in values]


class AvatarUploadForm(FaceBoxForm):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Avatar.Kind.choices, initial=Avatar.Kind.SPRITE)
    source = forms.FileField(label="File", allow_empty_file=False)

    field_order = ["name", "kind", "source", *_BOX_FIELDS]

    def __init__(self, *args: Any, refused: dict[str, str] | None = None, **kwargs: Any) -> None:
        """`refused`: files dropped while they arrived, over the upload limit (`uploads.refusals`)."""
        super().__init__(*args, **kwargs)
        self.refused = refused or {}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Avatar.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("Another avatar already has this name.")
        return name

    staged: StagedUpload | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for field, reason in self.refused.items():
            self.errors.pop(field, None)  # "This field is required" would hide why it is missing
            self.add_error(field if field in self.fields else None, reason)
        kind, upload = data.get("kind"), data.get("source")
        if kind and upload:
            try:
                check_upload(kind, upload)
            except AvatarFileError as exc:
                self.add_error("source", str(exc))
        if kind == Avatar.Kind.SPRITE and self.box is not None:
            self.add_error(None, "A face box is for image or video avatars; a sprite set has its own mouth.")
        if kind and upload and not self.errors:
            # Last, and only for an otherwise valid form: a valid form's staged files are the
            # view's to keep or discard; an invalid form has none.
            try:
                self.staged = avatar_staging.stage(kind, upload, data["name"], self.box)
            except FaceBoxError as exc:
                self.add_error(None, str(exc))
            except AvatarFileError as exc:
                self.add_error("source", str(exc))
        return data

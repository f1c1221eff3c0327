"""Uploaded files are cut off while they arrive, at the upload limit of the form they are sent to.

Django writes an upload to a temporary file before any view sees it, so a size check in a form
comes after the bytes are on disk: a 50 GB post would fill the disk first. This handler, first in
FILE_UPLOAD_HANDLERS, drops a file at its limit instead: the rest of it is read and discarded,
nothing of it is kept, and the refusal is left on the request (`refusals`) for the view to show,
naming the limit. The forms check the size again (any other path to them), and say the same.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from builder.limits import MB, over_size

# The upload forms' URL names and the setting that bounds their files; any other post (Django's
# admin) is held to the largest of them.
LIMIT_OF_FORM = {"avatars": "UPLOAD_AVATAR_MAX_MB", "voice-upload": "UPLOAD_VOICE_MAX_MB"}


def refusals(request: HttpRequest) -> dict[str, str]:
    """The files this request's handler dropped: {field name: why, naming the limit}."""
    request.FILES  # noqa: B018 - the body is parsed (and the files bounded) on first access
    return dict(_refused(request))


def _refused(request: HttpRequest) -> dict[str, str]:
    return request.__dict__.setdefault("upload_refusals", {})


def _limit(request: HttpRequest | None) -> tuple[int, str]:
    """(bytes, setting) for the form this request posts to. The URL is resolved before any
    middleware reads the body (CSRF's check is the first)."""
    match = getattr(request, "resolver_match", None)
    setting = LIMIT_OF_FORM.get(getattr(match, "url_name", None) or "")
    if setting is None:
        setting = max(LIMIT_OF_FORM.values(), key=lambda name: getattr(settings, name))
    return getattr(settings, setting) * MB, setting


class BoundedUploadHandler(FileUploadHandler):
    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)
        self.limit, self.setting = _limit(self.request)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            refused = over_size(self.file_name or self.field_name, self.limit, self.setting)
            _refused(self.request)[self.field_name] = str(refused)
            raise SkipFile  # Django closes (and deletes) what the next handlers stored so far
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) makes the file

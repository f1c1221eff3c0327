"""Avatars: list, upload (sprite set zip, or image / loop video for GPU lip-sync), face box, previews.

Uploads are checked the way the builder will read them before they are kept, and before any row
is written (`avatar_staging`); a refused upload leaves nothing behind. Who uploaded what, and who
changed a face box, is logged with the user.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aijesus import mediastore
from aijesus.studio import avatar_files, avatar_staging, uploads
from aijesus.studio.avatar_files import AvatarFileError
from aijesus.studio.forms_avatars import AvatarUploadForm, FaceBoxForm
from aijesus.studio.models import Avatar, ModeratorAction, Persona
from aijesus.studio.views.access import moderator_required
from aijesus.studio.views.media import media_path, serve
from builder.avatars import AvatarUploadError
from builder.limits import MB, LimitExceeded

log = logging.getLogger(__name__)


def _list(request: HttpRequest, form: AvatarUploadForm, status: int = 200) -> HttpResponse:
    avatars = Avatar.objects.prefetch_related("persona_set")
    limits = avatar_files.limits()
    context = {
        "avatars": avatars,
        "form": form,
        # One size limit for every kind of avatar file (UPLOAD_AVATAR_MAX_MB), as the page lists them.
        "limits": dict.fromkeys(("zip", "image", "video"), limits.avatar_bytes),
        "mb": MB,
        "max_seconds": limits.video_seconds,
    }
    return render(request, "studio/avatars/list.html", context, status=status)


@require_http_methods(["GET", "POST"])
@moderator_required
def avatar_list(request: HttpRequest) -> HttpResponse:
    """GET: every avatar with its preview and the upload form. POST: an upload."""
    if request.method == "GET":
        return _list(request, AvatarUploadForm())
    form = AvatarUploadForm(request.POST, request.FILES, refused=uploads.refusals(request))
    if not form.is_valid():
        return _list(request, form, status=400)
    avatar = Avatar(name=form.cleaned_data["name"], kind=form.cleaned_data["kind"])
    if form.box is not None:
        avatar.settings = {"face_box": form.box}
    assert form.staged is not None  # a valid upload form has checked its file
    with form.staged as staged:  # what is not kept is removed, whatever happens
        try:
            avatar_staging.keep(staged, avatar)
        except IntegrityError:
            # The form checked the name, but another upload took it since.
            form.add_error("name", "Another avatar already has this name.")
            return _list(request, form, status=400)
    try:
        avatar_staging.share(avatar)
    except mediastore.StoreUnavailable as exc:
        form.add_error("source", f"Nothing was saved: {exc}. Try again once the store answers.")
        return _list(request, form, status=503)
    info = staged.info
    who = request.user.get_username()
    log.info(
        "avatar %r (#%s, %s, %s) uploaded by %s", avatar.name, avatar.pk, avatar.kind, avatar.source.name, who
    )
    ModeratorAction.record(
        "avatar", by=request.user, detail=f"uploaded {avatar.name} (#{avatar.pk}, {avatar.kind})"
    )
    messages.success(request, f"Uploaded {avatar.name} ({info.width}x{info.height}).")
    return redirect("avatar-detail", pk=avatar.pk)


@require_GET
@moderator_required
def avatar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    avatar = get_object_or_404(Avatar, pk=pk)
    return _detail(request, avatar, _face_box_form(avatar))


def _face_box_form(avatar: Avatar) -> FaceBoxForm:
    box = avatar.settings.get("face_box") or [None] * 4
    return FaceBoxForm(initial=dict(zip(("x1", "y1", "x2", "y2"), box, strict=True)))


def _detail(request: HttpRequest, avatar: Avatar, form: FaceBoxForm, status: int = 200) -> HttpResponse:
    context = {
        "avatar": avatar,
        "form": form,
        "previews": avatar_files.PREVIEW_KINDS[avatar.kind],
        "personas": Persona.objects.filter(avatar=avatar),
        "is_video": avatar.source.name.lower().endswith(tuple(avatar_files.VIDEO_TYPES)),
    }
    return render(request, "studio/avatars/detail.html", context, status=status)


@require_POST
@moderator_required
def face_box(request: HttpRequest, pk: int) -> HttpResponse:
    avatar = get_object_or_404(Avatar, pk=pk, kind=Avatar.Kind.VIDEO)
    form = FaceBoxForm(request.POST)
    if not form.is_valid():
        return _detail(request, avatar, form, status=400)
    box = form.box
    if box is not None:
        try:
            avatar_files.check_face_box(box, avatar_files.media_info(avatar))
        except (AvatarFileError, LimitExceeded) as exc:  # over: a picture kept before the limits
            form.add_error(None, str(exc))
            return _detail(request, avatar, form, status=400)
    settings = {k: v for k, v in avatar.settings.items() if k != "face_box"}
    avatar.settings = {**settings, "face_box": box} if box else settings
    avatar.save(update_fields=["settings"])
    log.info(
        "avatar %r (#%s) face box set to %s by %s", avatar.name, avatar.pk, box, request.user.get_username()
    )
    ModeratorAction.record(
        "avatar", by=request.user, detail=f"face box of {avatar.name} (#{avatar.pk}): {box}"
    )
    messages.success(
        request, "Face box saved." if box else "Face box cleared: it will be found automatically."
    )
    return redirect("avatar-detail", pk=pk)


@require_GET
@moderator_required
def preview(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    avatar = get_object_or_404(Avatar, pk=pk)
    if which not in avatar_files.PREVIEW_KINDS[avatar.kind]:
        raise Http404("no such preview")
    try:
        path = avatar_files.preview_png(avatar, which)
    except (AvatarUploadError, OSError, ValueError) as exc:
        log.warning("preview of avatar #%s failed: %s", avatar.pk, exc)
        raise Http404("this avatar's files cannot be read") from None
    response = serve(request, path, "image/png")
    response["Cache-Control"] = "private, no-cache"
    return response


@require_GET
@moderator_required
def source(request: HttpRequest, pk: int) -> HttpResponse:
    """The uploaded image or loop video itself (sprite zips are not served)."""
    avatar = get_object_or_404(Avatar, pk=pk, kind=Avatar.Kind.VIDEO)
    response = serve(request, media_path(avatar.source.name))
    response["Cache-Control"] = "private, max-age=3600"
    return response

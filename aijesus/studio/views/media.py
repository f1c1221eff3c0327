"""Clip media and the stream preview, served to moderators only (MEDIA_ROOT is never public).

With a remote media store (MEDIA_STORAGE=s3) a clip file is fetched into this process's MEDIA_ROOT
the first time it is asked for and served from there, ranges included: the browser never talks
to the store and never sees a credential or a store address.

Videos answer HTTP Range requests: a browser's <video> seeks, and Chromium asks for ranges
before it will play past the first buffer. The live preview is the streamer's latest frame (a JPEG)
and its HLS output (a rolling playlist of short segments) for the on-air card's player.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from aijesus import mediastore
from aijesus.studio.models import Clip
from aijesus.studio.views.access import moderator_required
from streamer.outputs import PREVIEW_PLAYLIST
from streamer.preview import PREVIEW_FRAME

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
KINDS = {"video": "video/mp4", "subtitles": "text/vtt; charset=utf-8", "thumbnail": "image/jpeg"}
# Only the segment names the streamer writes into MEDIA_ROOT/preview (streamer/outputs.py,
# -hls_segment_filename "seg-%d.ts"), nothing else that may lie in that folder.
HLS_SEGMENT = re.compile(r"seg-\d+\.ts")
HLS_PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
HLS_SEGMENT_TYPE = "video/mp2t"


def media_path(name: str) -> Path:
    """A FileField name as a path that must stay inside MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / name).resolve()
    if not name or root not in path.parents or not path.is_file():
        raise Http404("no such file")
    return path


def serve(request: HttpRequest, path: Path, content_type: str | None = None) -> HttpResponse:
    content_type = content_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    size = path.stat().st_size
    wanted = RANGE.match(request.headers.get("Range", "").strip())
    if wanted is None or size == 0:
        response = FileResponse(path.open("rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = wanted.groups()
    if first == "":  # "bytes=-N": the last N bytes
        start, end = max(0, size - int(last or 0)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    with path.open("rb") as handle:
        handle.seek(start)
        body = handle.read(end - start + 1)
    response = HttpResponse(body, status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response


@require_GET
@moderator_required
def clip_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    if kind not in KINDS:
        raise Http404("no such kind of file")
    clip = get_object_or_404(Clip, pk=pk, deleted_at__isnull=True)
    name = getattr(clip, kind).name
    try:
        if name:
            mediastore.local(name)  # made by a worker elsewhere: fetched once, then served from here
    except (mediastore.ObjectMissing, ValueError):
        raise Http404("no such file") from None
    except mediastore.StoreUnavailable as exc:
        return HttpResponse(f"{exc}. Try again in a moment.", status=503, content_type="text/plain")
    response = serve(request, media_path(name), KINDS[kind])
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@moderator_required
def stream_preview(request: HttpRequest) -> HttpResponse:
    """The streamer's latest frame (written about once a second while it runs)."""
    response = serve(request, media_path(PREVIEW_FRAME), "image/jpeg")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@moderator_required
def stream_hls(request: HttpRequest, name: str) -> HttpResponse:
    """The streamer's HLS preview (STREAM_OUTPUT=preview or both): the playlist and its segments.
    The playlist changes every segment, so it is never cached; a segment never changes."""
    if name == PREVIEW_PLAYLIST:
        response = serve(request, media_path(f"preview/{name}"), HLS_PLAYLIST_TYPE)
        response["Cache-Control"] = "no-store"
        return response
    if not HLS_SEGMENT.fullmatch(name):
        raise Http404("no such preview file")
    response = serve(request, media_path(f"preview/{name}"), HLS_SEGMENT_TYPE)
    response["Cache-Control"] = "private, max-age=60"
    return response

"""The disk budget: which clips keep their files.

At one answer a minute the library grows by tens of GB a month. A pass (the scheduler's, every
MEDIA_RETENTION_MINUTES; `manage.py media_budget` for the owner) removes:

- the files of soft-deleted clips (nothing airs them again);
- those of aired clips older than MEDIA_MAX_AGE_DAYS (0: no age limit);
- then, while the clips' media still pass MEDIA_MAX_GB (0: no budget), those of the oldest aired
  clips first.

Never a clip a moderator starred, one not aired yet (queued, building, ready and waiting), one on
air or waiting to be re-aired. The row stays, marked `media_removed_at` (the library says "media
removed" and offers no player and no re-air); its segment rows go, as they point at nothing now.

Each removal is claimed first with a conditional UPDATE (still eligible, still not on air), then
the files go: a clip the streamer picked meanwhile is left alone, and files a store that did not
answer kept are removed again by the next pass (as are files a late library render wrote).
The figures of the last pass are kept in MEDIA_ROOT/`RECORD` for the System page.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from aijesus import mediastore
from aijesus.studio import clip_media
from aijesus.studio.models import Clip, ModeratorAction, Segment

log = logging.getLogger(__name__)

RECORD = ".disk-budget.json"
GB = 2**30  # as MEDIA_CACHE_MB counts MiB
_BUILDING = [Clip.S.QUEUED, Clip.S.BUILDING]


@dataclass
class Pass:
    removed: list[int] = field(default_factory=list)  # aired clips, for the age limit or the budget
    deleted: list[int] = field(default_factory=list)  # soft-deleted clips
    leftovers: list[int] = field(default_factory=list)  # files of clips marked before, removed again
    freed_bytes: int = 0
    used_bytes: int = 0  # clip media kept after the pass
    other_bytes: int = 0  # files under clips/ of no clip this database knows (never removed)
    error: str = ""  # the store did not answer: the pass stopped there


def budget_bytes() -> int:
    return int(settings.MEDIA_MAX_GB * GB)


def sweep(*, now: datetime | None = None) -> Pass:
    """One pass; see the module's docstring. Raises StoreUnavailable only if the store cannot be
    listed (nothing is removed then)."""
    now = now or timezone.now()
    sizes, other = clip_media.media_sizes()
    known = set(Clip.objects.values_list("pk", flat=True))
    done = Pass(other_bytes=other + sum(size for pk, size in sizes.items() if pk not in known))
    sizes = {pk: size for pk, size in sizes.items() if pk in known}
    try:
        _sweep(done, sizes, now)
    except mediastore.StoreUnavailable as exc:
        done.error = str(exc)
        log.warning("disk budget: the media store did not answer (next pass tries again): %s", exc)
    done.used_bytes = sum(sizes.values())
    _write_record(done, now)
    if done.removed or done.deleted or done.leftovers:
        log.info(
            "disk budget: removed the media of %d aired and %d deleted clip(s), %.2f GB; %.2f GB kept",
            len(done.removed), len(done.deleted), done.freed_bytes / GB, done.used_bytes / GB,
        )  # fmt: skip
    return done


def _sweep(done: Pass, sizes: dict[int, int], now: datetime) -> None:
    # A clip marked before whose files are back or stayed; never one being built again.
    marked = Clip.objects.filter(media_removed_at__isnull=False).exclude(status__in=_BUILDING)
    for pk in set(marked.values_list("pk", flat=True)) & set(sizes):
        _remove_files(pk, sizes, done)
        done.leftovers.append(pk)
    deleted = Clip.objects.filter(deleted_at__isnull=False, media_removed_at=None, on_air_since=None)
    deleted = deleted.exclude(status__in=_BUILDING)  # its worker stops at its next step first
    for pk in deleted.values_list("pk", flat=True):
        _take(deleted, pk, now, sizes, done, done.deleted)
    eligible = removable(busy=_streamer_busy())
    if settings.MEDIA_MAX_AGE_DAYS:
        old = eligible.filter(created_at__lt=now - timedelta(days=settings.MEDIA_MAX_AGE_DAYS))
        for pk in old.values_list("pk", flat=True):
            _take(eligible, pk, now, sizes, done, done.removed)
    budget, used = budget_bytes(), sum(sizes.values())
    if not budget:
        return
    for pk in _oldest_first(eligible):
        if used <= budget:
            return
        size = sizes.get(pk, 0)
        if size and _take(eligible, pk, now, sizes, done, done.removed):
            used -= size


def removable(*, busy: Collection[int] = ()) -> QuerySet[Clip]:
    """Clips whose media the budget may remove: aired, ready, not starred, not deleted (those go
    anyway), not on air, not `busy` (on air or waiting to be re-aired, as the streamer says)."""
    return Clip.objects.filter(
        status=Clip.S.READY,
        aired_count__gt=0,
        starred=False,
        deleted_at=None,
        media_removed_at=None,
        on_air_since=None,
    ).exclude(pk__in=list(busy))


def _oldest_first(rows: QuerySet[Clip], chunk: int = 500) -> Iterator[int]:
    """The rows' ids, oldest first, a chunk per query: no cursor stays open over a table the pass
    writes to (SQLite does not isolate the two), and a long library is not read whole."""
    after: tuple[datetime, int] | None = None
    while True:
        page = rows.order_by("created_at", "pk")
        if after is not None:
            page = page.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1]))
        found = list(page.values_list("created_at", "pk")[:chunk])
        yield from (pk for _, pk in found)
        if len(found) < chunk:
            return
        after = found[-1]


def _take(
    rows: QuerySet[Clip], pk: int, now: datetime, sizes: dict[int, int], done: Pass, into: list[int]
) -> bool:
    """Mark the clip if it still is one of `rows` (its segment rows go), then remove its files.
    A store that does not answer raises once the clip is marked: the next pass removes them."""
    with transaction.atomic():
        if rows.filter(pk=pk).update(media_removed_at=now) != 1:
            return False
        Segment.objects.filter(clip_id=pk).delete()
    into.append(pk)
    _remove_files(pk, sizes, done)
    return True


def _remove_files(pk: int, sizes: dict[int, int], done: Pass) -> None:
    clip_media.remove_media(pk, strict=True)
    done.freed_bytes += sizes.pop(pk, 0)


def _streamer_busy() -> set[int]:
    """The clip on air and those waiting to be re-aired, from the streamer's published state (its
    re-air requests live in its memory). Without Redis: none (the database's on_air_since holds)."""
    import redis

    from streamer.state import read_state

    try:
        state = read_state() or {}
    except redis.RedisError as exc:
        log.warning("disk budget: cannot read the streamer's state (%s)", exc)
        return set()
    busy = {item.get("clip") for item in state.get("queue") or [] if isinstance(item, dict)}
    busy.add((state.get("now_playing") or {}).get("clip"))
    return {pk for pk in busy if isinstance(pk, int)}


def clip_star(*, clip: Clip, by: Any, starred: bool) -> None:
    """A moderator keeps (or lets go of) a clip's media: the budget never removes a starred one."""
    with transaction.atomic():
        Clip.objects.filter(pk=clip.pk).update(starred=starred)
        clip.starred = starred
        ModeratorAction.record(
            "star", by=by, clip=clip, question=clip.question, detail="starred" if starred else "unstarred"
        )


# -- the figures the System page shows


def _write_record(done: Pass, now: datetime) -> None:
    path = Path(settings.MEDIA_ROOT) / RECORD
    before = read_record() or {}
    record = {
        "at": now.isoformat(),
        "used_bytes": done.used_bytes,
        "other_bytes": done.other_bytes,
        "freed_bytes_total": int(before.get("freed_bytes_total", 0)) + done.freed_bytes,
        "last": {k: v for k, v in asdict(done).items() if k not in ("used_bytes", "other_bytes")},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(RECORD + ".tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)  # the System page never reads half a record
    except OSError as exc:
        log.warning("disk budget: cannot write %s: %s", path, exc)


def read_record() -> dict[str, Any] | None:
    """The last pass's figures (None before the first pass)."""
    try:
        data = json.loads((Path(settings.MEDIA_ROOT) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None

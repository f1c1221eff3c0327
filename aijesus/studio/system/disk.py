"""The disk budget's row on the System page: clip media against MEDIA_MAX_GB, the free disk, and
what the budget removed so far. The clip media are measured by the budget's pass (the scheduler's,
aijesus/studio/retention.py), not here: walking a year of clips on every page load is too slow."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.timesince import timesince

from aijesus.studio import retention
from aijesus.studio.system.report import OK, WARN, Check

LOW_DISK = 0.05  # free space below this share of the disk is worth a look


def disk_check() -> Check:
    record = retention.read_record()
    budget = retention.budget_bytes()
    limit = f"{budget / retention.GB:g} GB budget" if budget else "no budget (MEDIA_MAX_GB=0)"
    free, low = _disk()
    detail = [free, _removed_so_far(record)]
    if record is None:
        value = f"not measured yet; {limit}"
        detail.append(
            f"the scheduler measures every {settings.MEDIA_RETENTION_MINUTES:g} min "
            "(or: python manage.py media_budget)."
        )
    else:
        used = int(record.get("used_bytes", 0))
        value = f"{_gb(used)} of clip media; {limit}"
        if budget:
            value = f"{_gb(used)} of {_gb(budget)} ({used / budget:.0%})"
        detail.append(f"measured {_ago(record.get('at'))}")
        if record.get("other_bytes"):
            detail.append(f"{_gb(int(record['other_bytes']))} under clips/ belong to no clip (left alone)")
        if (record.get("last") or {}).get("error"):
            detail.append(f"last pass stopped: {record['last']['error']}")
    status = OK
    fix = ""
    if record is not None and budget and int(record.get("used_bytes", 0)) > budget:
        status = WARN
        detail.append("over budget: what is left is starred, not aired yet or on air")
        fix = "Unstar clips in the library, or raise MEDIA_MAX_GB (docs/deploy.md, Disk budget)."
    if low:
        status = WARN
        fix = fix or "Lower MEDIA_MAX_GB or MEDIA_MAX_AGE_DAYS, or free space on the media disk."
    return Check("disk", "Disk budget", status, value, "; ".join(part for part in detail if part), fix=fix)


def _gb(size: int) -> str:
    if size < retention.GB:  # a new studio's few clips: "0.0 GB" would say nothing
        return f"{size / 2**20:.0f} MB"
    return f"{size / retention.GB:.1f} GB"


def _disk() -> tuple[str, bool]:
    """The free space on MEDIA_ROOT's disk, in words, and whether it runs low."""
    folder = Path(settings.MEDIA_ROOT)
    while not folder.exists() and folder != folder.parent:  # a fresh studio has no folder yet
        folder = folder.parent
    try:
        usage = shutil.disk_usage(folder)
    except OSError as exc:
        return f"free disk unknown ({exc.strerror or exc})", False
    low = usage.total > 0 and usage.free / usage.total < LOW_DISK
    return f"{_gb(usage.free)} free of {_gb(usage.total)} on the media disk", low


def _removed_so_far(record: dict[str, object] | None) -> str:
    from aijesus.studio.models import Clip

    try:
        removed = Clip.objects.filter(media_removed_at__isnull=False).count()
    except DatabaseError:
        return ""
    freed = int(str((record or {}).get("freed_bytes_total", 0) or 0))
    return f"media of {removed} clip(s) removed so far ({_gb(freed)} freed)"


def _ago(at: object) -> str:
    try:
        when = datetime.fromisoformat(str(at))
    except ValueError:
        return "at an unknown time"
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return f"{timesince(when)} ago"

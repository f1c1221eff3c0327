"""Rows where a clip's media or data goes bad: its segment files removed while it waits to air, a
clip that raises whenever the playout picks it, and a disk budget smaller than the clips made."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.faults.llm import ScriptedLLM
from bench.faults.outcome import finish
from bench.faults.rig import Rig, row_studio
from bench.faults.rows_process import BUILD_WAIT_S, QUESTIONS, ask_several, status_is

BUDGET_CLIPS = 2.5  # the disk budget, in clips' worth of media (measured on the first clip)
RETENTION_S = 6.0  # the scheduler's retention pass, this often


def media_files(rig: Rig, clip: int) -> list[Path]:
    """The segment files of `clip` in the studio's MEDIA_ROOT (a speech segment's WAV + sidecar)."""
    from aijesus.studio.models import Segment
    from builder.encode.speech import segment_files

    media = rig.root / "media"
    files = []
    for name, kind in Segment.objects.filter(clip_id=clip).values_list("media", "kind"):
        files += [media / p for p in segment_files(Path(name), kind)]
    return files


def segment_files_removed(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """Answers paused; an answer built; its segment files removed (a disk cleaned by hand, a
    volume lost); a second answer approved; answers resumed."""
    with row_studio("segment_files_removed", root, llm) as rig:
        rig.streamer()
        rig.command("pause")
        first = rig.ask(QUESTIONS[0])
        rig.expect(lambda: status_is(first, "ready", "failed"), "the first answer built", BUILD_WAIT_S)
        time.sleep(2)  # the playout has it in hand, as it would while an answer airs before it
        removed = [p for p in media_files(rig, first) if p.exists()]
        for path in removed:
            path.unlink()
        second = rig.ask(QUESTIONS[1])
        rig.expect(lambda: status_is(second, "ready", "failed"), "the second answer built", BUILD_WAIT_S)
        rig.mark("fault")
        rig.command("resume")
        out = finish(rig, 180)
    out["note"] = f"{len(removed)} files removed"
    return out


def poison_clip(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """A clip that raises whenever the playout picks it (its persona version's voice settings made
    unreadable after it was built, so drawing it fails with a TypeError; a stand-in for any
    drawing or media-store error), first in line; two good answers behind it. The streamer
    starts once all three are built."""
    with row_studio("poison_clip", root, llm) as rig:
        rig.ready()
        clips = ask_several(rig, 3)
        for pk in clips:
            rig.expect(lambda pk=pk: status_is(pk, "ready", "failed"), f"clip {pk} built", BUILD_WAIT_S)
        poison(clips[0])
        rig.mark("fault")
        rig.streamer()
        return finish(rig, 180)


def poison(clip: int) -> None:
    """Point `clip` at a copy of its persona version whose voice settings are an int; then a
    good copy is numbered after it, so the clips approved later are built from a good version."""
    from django.db import transaction
    from django.db.models import Max

    from aijesus.studio.models import Clip, PersonaVersion

    good = Clip.objects.select_related("persona_version").get(pk=clip).persona_version
    with transaction.atomic():
        versions = PersonaVersion.objects.select_for_update().filter(persona_id=good.persona_id)
        number = versions.aggregate(n=Max("number"))["n"] + 1
        bad = PersonaVersion.objects.create(
            persona_id=good.persona_id, number=number, data={**good.data, "voice": 5}, note="bench: poison"
        )
        PersonaVersion.objects.create(
            persona_id=good.persona_id, number=number + 1, data=good.data, note="bench: current again"
        )
        Clip.objects.filter(pk=clip).update(persona_version=bad)


def disk_over_budget(root: Path, llm: ScriptedLLM) -> dict[str, Any]:
    """A disk budget of BUDGET_CLIPS clips' worth of media (MEDIA_MAX_GB, measured on the row's
    first answer once its library MP4 is made; the scheduler restarted with it, as an owner
    changing the setting does) and a retention pass every RETENTION_S. Three answers air one
    after another, the first starred by a moderator; then, answers paused, two more are built and
    wait over the budget through two passes before answers resume."""
    from aijesus.studio.models import Clip

    with row_studio("disk_over_budget", root, llm) as rig:
        assert rig.studio is not None
        rig.streamer()
        aired = [rig.ask(QUESTIONS[0])]
        rig.expect(
            lambda: Clip.objects.filter(pk=aired[0]).exclude(video="").exists(), "its MP4", BUILD_WAIT_S
        )
        rig.expect(lambda: rig.settled(), "the first answer to air", BUILD_WAIT_S)
        _star(aired[0])
        clip_bytes = _clip_media(rig.root / "media")
        budget = round(BUDGET_CLIPS * clip_bytes)
        rig.studio.stop("scheduler")
        rig.studio.env |= {"MEDIA_MAX_GB": f"{budget / 2**30:.9f}",
                           "MEDIA_RETENTION_MINUTES": f"{RETENTION_S / 60:.4f}"}  # fmt: skip
        rig.studio.scheduler()
        for i in (1, 2):
            aired.append(rig.ask(QUESTIONS[i]))
            rig.expect(lambda: rig.settled(), f"answer {i + 1} to air", BUILD_WAIT_S)
        rig.command("pause")
        waiting = ask_several(rig, 2, start=3)
        for pk in waiting:
            rig.expect(lambda pk=pk: status_is(pk, "ready", "failed"), f"clip {pk} built", BUILD_WAIT_S)
        # Their files and the starred clip's, listed now: a pass removes a clip's segment rows too.
        waiting_files = [p for pk in waiting for p in media_files(rig, pk)]
        starred = media_files(rig, aired[0])
        rig.mark("fault")
        time.sleep(2 * RETENTION_S + 1)
        kept_waiting = bool(waiting_files) and all(p.exists() for p in waiting_files)
        rig.command("resume")
        rig.mark("restored")  # recovery: from answers resumed
        rig.expect(lambda: rig.settled(), "the waiting answers to air", 120)
        time.sleep(2 * RETENTION_S + 1)  # a pass after the last airing
        starred_kept = bool(starred) and all(p.exists() for p in starred)
        used = _clip_media(rig.root / "media")
        out = finish(rig, 60)
    out["disk"] = (
        f"clip media {used / 1e6:.2f} MB at the end, budget {budget / 1e6:.2f} MB"
        f"{'' if used <= budget else ' (over)'}; starred clip's files kept: {starred_kept};"
        f" waiting clips' files kept over budget: {kept_waiting}"
    )
    out["disk_figures"] = {"used_bytes": used, "budget_bytes": budget, "clip_bytes": clip_bytes,
                           "starred_kept": starred_kept, "waiting_kept": kept_waiting}  # fmt: skip
    return out


def _star(clip: int) -> None:
    from aijesus.studio.models import Clip

    if any(f.name == "starred" for f in Clip._meta.get_fields()):
        Clip.objects.filter(pk=clip).update(starred=True)


def _clip_media(media: Path) -> int:
    """Bytes of clip media (segments, library MP4s, thumbnails: what the budget is about), not the
    streamer's preview frame or the drawn character's cache."""
    return sum(p.stat().st_size for d in ("clips", "segments") for p in (media / d).rglob("*") if p.is_file())

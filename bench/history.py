"""A year of history: the dashboard and the library with 500,000 questions and 100,000 clips.

Runs on a PostgreSQL database of its own, `aijesus_history` on 127.0.0.1 (BENCH_HISTORY_DATABASE_URL
names another), in a child process whatever this process's DATABASE_URL is. The database is made
afresh, migrated and filled with COPY: a year of chat where most questions were rejected, dropped,
aired or failed long ago and a few hundred wait or build now; every clip has its answer text and
segments, some are soft-deleted; one moderator action per moderated question. `--reuse` (or
BENCH_HISTORY_REUSE=1) keeps a database already filled and only migrates it, so a new index is
measured against the same rows. Then, each many times (median and p95, ms): the snapshot a
dashboard socket sends on connect; the library (the search query and the page rendered for a
logged-in moderator) for realistic terms; the other pages and queries that read history; the
approval and the streamer's pick, the path from approval to on air. Beside each time: this
process's CPU (`cpu_median_ms`) and, for the snapshot and the searches, the database's own time
(`server_ms`, EXPLAIN ANALYZE): on a shared machine the wall times carry its load (`load_*`).
Goals (issue 24): snapshot ≤ 50 ms, library search ≤ 200 ms, at p95. BENCH_HISTORY_QUESTIONS /
_CLIPS / _REPEATS shrink a trial run.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

QUESTIONS = int(os.environ.get("BENCH_HISTORY_QUESTIONS", "500000"))
CLIPS = int(os.environ.get("BENCH_HISTORY_CLIPS", "100000"))
DATABASE_URL = os.environ.get(
    "BENCH_HISTORY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aijesus_history"
)
GOAL_SNAPSHOT_MS, GOAL_SEARCH_MS = 50.0, 200.0
REPEATS = int(os.environ.get("BENCH_HISTORY_REPEATS", "60"))
# What waits or builds now (the newest questions); everything older is history.
LIVE = {"pending": 300, "approved": 20, "building": 5, "ready": 10}
RETRIED, FAILED = 0.015, 0.015  # of the approved history: aired on a second clip; failed for good
DELETED = 0.02  # of the aired clips: soft-deleted from the library
SEARCHES = {
    "common word": {"q": "love"},
    "topic": {"q": "forgiveness"},
    "phrase": {"q": "prodigal son"},
    "rare name": {"q": "Zacchaeus"},
    "no match": {"q": "Nicodemus"},
    "viewer": {"viewer": "mara"},
    "topic + month": {"q": "prayer", "since": "", "until": ""},  # the month before last, set below
    "no filter": {},
}
TOPICS = [
    ("forgiveness", 30), ("prayer", 30), ("suffering", 20), ("the Sabbath", 8), ("loving enemies", 12),
    ("the prodigal son", 6), ("heaven", 25), ("faith and doubt", 18), ("money", 10), ("grief", 14),
    ("the lost sheep", 5), ("the good Samaritan", 7), ("fasting", 4), ("anger", 9), ("Zacchaeus", 1),
    ("the Beatitudes", 3), ("temptation", 8), ("loneliness", 12), ("work and rest", 6), ("children", 5),
]  # fmt: skip
ASKS = [
    "What do you think about {t}?", "Jesus, how should I deal with {t}?", "Can you explain {t}?",
    "Is {t} still relevant today?", "what would you say to someone struggling with {t}", "{t}??",
    "My friend asked me about {t}, what do I tell her?", "Why did you teach about {t}?",
]  # fmt: skip
SAYS = [
    "My child, {t} is closer to you than you think.", "Remember that the Father loves you in {t}.",
    "When I spoke of {t}, I spoke to the heart, not to the law.", "Peace be with you.",
    "Consider the lilies of the field: they do not worry, and neither should you.",
    "Love one another as I have loved you; that is the whole of it.",
    "Ask, and it will be given to you; seek, and you will find.", "Blessed are the meek.",
    "In {t} as in all things, begin with mercy toward yourself and others.",
    "The kingdom of God is within you, even on the hardest day.",
]  # fmt: skip
SYLLABLES = ["ma", "ra", "jo", "el", "li", "an", "to", "ne", "ka", "si", "ru", "be", "do", "vi", "zu"]


def run() -> dict[str, Any]:
    """The measurement runs in a child on the history database (ours may be SQLite or a test db)."""
    import psycopg

    try:
        psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
    except psycopg.Error as exc:
        return {"skipped": f"no PostgreSQL answers at {DATABASE_URL}: {exc}"}
    reuse = "--reuse" in sys.argv or os.environ.get("BENCH_HISTORY_REUSE") == "1"
    argv = [sys.executable, "-m", "bench.history", *(["--reuse"] if reuse else [])]
    done = subprocess.run(argv, stdout=subprocess.PIPE, check=True, text=True)
    return json.loads(done.stdout)


def main(reuse: bool) -> dict[str, Any]:
    import django

    os.environ["DATABASE_URL"] = DATABASE_URL
    # Keys (and any task message) of our own on a shared Redis: nothing here reaches a studio.
    os.environ.setdefault("REDIS_KEY_PREFIX", "bench-history")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aijesus.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from aijesus.studio.models import Question

    _ensure_database(fresh=not reuse)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = round(time.perf_counter() - started, 1)  # new indexes on a reused database
    started = time.perf_counter()
    filled = reuse and Question.objects.count() >= QUESTIONS
    if not filled:
        _fill()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum leaves on a year-old database
    fill_seconds = None if filled else round(time.perf_counter() - started, 1)
    figures = {
        "database": DATABASE_URL.rsplit("@", 1)[-1],
        "reused": filled,
        "migrate_seconds": migrate_seconds,
        "fill_seconds": fill_seconds,
        **_sizes(),
    }
    figures["load_before"] = round(os.getloadavg()[0], 2)  # the machine may be shared: how busy
    figures.update(_measure())
    figures["load_after"] = round(os.getloadavg()[0], 2)
    return figures


# -- the database


def _ensure_database(*, fresh: bool) -> None:
    import psycopg
    from django.db import connection

    name = connection.settings_dict["NAME"]
    params = {k: connection.settings_dict[k.upper()] for k in ("host", "port", "user", "password")}
    with psycopg.connect(dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v}) as db:
        exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            db.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or fresh:
            db.execute(f'CREATE DATABASE "{name}"')


def _copy(model: Any, rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows into the model's table; a field a row leaves out gets its default."""
    from django.db import connection

    fields = model._meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields}
    json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            count += 1
            values = []
            for f in fields:
                value = row.get(f.attname, count if f.primary_key else defaults[f.attname])
                values.append(json.dumps(value) if f.attname in json_fields else value)
            copy.write_row(values)
    with connection.cursor() as cursor:
        table = model._meta.db_table
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        cursor.execute(f"SELECT setval({sequence}, coalesce(max(id), 1)) FROM {table}")
    return count


def _fill() -> None:
    from django.contrib.auth import get_user_model

    from aijesus.chat.models import AutoModHold
    from aijesus.studio.models import Clip, ModeratorAction, Persona, Question, Segment
    from aijesus.studio.roles import ensure_moderator_group
    from aijesus.studio.seed import seed_studio

    seed_studio(owner="history-owner")
    group = ensure_moderator_group()
    mods = []
    for name in ("anna", "ben", "chloe", "dev", "eli"):
        user = get_user_model().objects.create_user(f"mod-{name}", password="bench-history-pw-24")
        user.groups.add(group)
        mods.append(user.pk)
    persona = Persona.objects.active()
    versions = [persona.save_version(note=f"month {m}").pk for m in range(12)]
    plan = _Plan(random.Random(24), datetime.now().astimezone(), mods, versions)
    print(f"bench history: filling {QUESTIONS} questions, {CLIPS} clips…", file=sys.stderr)
    _copy(Question, plan.questions())
    _copy(Clip, plan.clips)
    _copy(Segment, plan.segments())
    _copy(ModeratorAction, plan.actions())
    _copy(AutoModHold, plan.holds)


class _Plan:
    """Rows of a year of history, in id order (ids grow with time, as they do)."""

    def __init__(self, rng: random.Random, now: datetime, mods: list[int], versions: list[int]) -> None:
        self.rng, self.now, self.mods, self.versions = rng, now, mods, versions
        self.topics, self.weights = [t for t, _ in TOPICS], [w for _, w in TOPICS]
        self.viewers = [self._name() for _ in range(20000)]
        # A few regulars ask much, most viewers once or twice (Zipf-like).
        self.viewer_odds = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(20000)))
        self.clips: list[dict[str, Any]] = []
        self.holds: list[dict[str, Any]] = []
        self.moderated: list[tuple[int, str, datetime, int]] = []

    def _name(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(2, 4))) + str(
            self.rng.randint(0, 99)
        )

    def _topic(self) -> str:
        return self.rng.choices(self.topics, self.weights)[0]

    def _statuses(self) -> Iterator[str]:
        live = sum(LIVE.values())
        history_clips = CLIPS - LIVE["approved"] - LIVE["building"] - LIVE["ready"]
        approved = round(history_clips / (1 + RETRIED))  # each retried question has two clips
        approved_share = approved / (QUESTIONS - live)
        rest = (1 - approved_share) / 1.6
        shares = {"rejected": rest, "dropped": rest * 0.6, "aired": approved_share}
        for _ in range(QUESTIONS - live):
            yield self.rng.choices(list(shares), list(shares.values()))[0]
        for status, n in LIVE.items():
            yield from [status] * n

    def questions(self) -> Iterator[dict[str, Any]]:
        start, year = self.now - timedelta(days=365), timedelta(days=365).total_seconds()
        for pk, status in enumerate(self._statuses(), start=1):
            live = status in LIVE
            received = self.now - timedelta(seconds=self.rng.uniform(60, 3600)) if live else (
                start + timedelta(seconds=year * pk / QUESTIONS)
            )  # fmt: skip
            if status == "aired" and self.rng.random() < FAILED / (1 - RETRIED):
                status = "failed"
            source = self.rng.choices(["twitch", "replay", "manual"], [85, 10, 5])[0]
            viewer = self.rng.choices(range(len(self.viewers)), cum_weights=self.viewer_odds)[0]
            topic = self._topic()
            text = self.rng.choice(ASKS).format(t=topic)
            row = {
                "id": pk, "source": source, "channel": "jesus_live" if source == "twitch" else "",
                "viewer_id": str(100000 + viewer) if source == "twitch" else "",
                "viewer_name": self.viewers[viewer], "text": text, "original_text": text,
                "received_at": received,
                "priority": round(self.rng.uniform(0, 10), 2), "prescreen_verdict": "clean",
                "status": status, "updated_at": received + timedelta(minutes=self.rng.uniform(1, 30)),
            }  # fmt: skip
            if status not in ("pending", "dropped"):
                mod = self.rng.choice(self.mods)
                row.update(moderated_by_id=mod, moderated_at=received + timedelta(minutes=1))
                self.moderated.append((pk, "reject" if status == "rejected" else "approve", received, mod))
            if status == "rejected":
                row["status_reason"] = "rejected by a moderator"
            elif status == "dropped":
                row["status_reason"] = "the queue was full"
            elif status == "failed":
                row["status_reason"] = "the build failed: the voice engine did not answer"
            if status not in ("pending", "rejected", "dropped"):
                self._clips_of(pk, status, received, topic)
            if source == "twitch" and self.rng.random() < 0.02:
                self.holds.append({
                    "question_id": pk, "message_id": f"msg-{pk}", "reason": "automod", "category": "swearing",
                    "level": 2, "held_at": received, "state": "held" if status == "pending" else "approved",
                })  # fmt: skip
            yield row

    def _clips_of(self, question: int, status: str, asked: datetime, topic: str) -> None:
        retried = status == "aired" and self.rng.random() < RETRIED / (1 - FAILED)
        kinds = {"aired": ["ready"], "failed": ["failed"], "approved": ["queued"], "building": ["building"]}
        statuses = (["failed"] if retried else []) + kinds.get(status, ["ready"])
        for attempt, clip_status in enumerate(statuses, start=1):
            created = asked + timedelta(minutes=1 + attempt)
            sentences = [self.rng.choice(SAYS).format(t=self._topic()) for _ in range(self.rng.randint(4, 7))]
            sentences[0] = SAYS[0].format(t=topic)
            aired = status == "aired" and clip_status == "ready"
            row = {
                "id": len(self.clips) + 1, "question_id": question,
                "persona_version_id": self.versions[11 - min(11, (self.now - created).days // 31)],
                "status": clip_status, "answer_text": " ".join(sentences), "created_at": created,
                "updated_at": created + timedelta(seconds=40), "attempt": 1 if clip_status != "queued" else 0,
                "lipsync_engine": "wav2lip", "duration": 6.0 * len(sentences), "sentences": sentences,
                "timings": {"first_segment": round(self.rng.uniform(0.2, 0.9), 2), "total": 9.0},
            }  # fmt: skip
            if clip_status in ("ready", "building", "failed"):
                row.update(started_at=created + timedelta(seconds=0.1), claimed_by="worker@gpu")
            if clip_status == "ready":
                name = f"clips/clip-{row['id']}"
                row.update(video=f"{name}.mp4", thumbnail=f"{name}.jpg", subtitles=f"{name}.vtt")
                row["finished_at"] = created + timedelta(seconds=9)
            if clip_status == "failed":
                row["error"] = "the voice engine did not answer"
            if aired:
                row.update(aired_count=1, first_aired_at=created + timedelta(seconds=0.4))
                row["last_aired_at"] = row["first_aired_at"]
                if self.rng.random() < DELETED:
                    row.update(deleted_at=created + timedelta(days=1), deleted_by_id=self.mods[0])
                    row["delete_reason"] = "off topic"
            if clip_status == "building":
                row.update(heartbeat_at=self.now, progress={"stage": "voice", "segments": 1})
            if clip_status == "queued":
                row["enqueued_at"] = self.now  # its task is out: the reaper sends nothing
            self.clips.append(row)

    def segments(self) -> Iterator[dict[str, Any]]:
        pk = 0
        for clip in self.clips:
            written = {"ready": len(clip["sentences"]), "building": 1, "failed": 1}.get(clip["status"], 0)
            for index, sentence in enumerate(clip.pop("sentences")[:written]):
                pk += 1
                media = f"segments/clip-{clip['id']}-1-{index}.wav"
                yield {
                    "id": pk, "clip_id": clip["id"], "attempt": 1, "index": index, "kind": "speech",
                    "media": media, "duration": 6.0, "text": sentence, "ready_at": clip["created_at"],
                }  # fmt: skip

    def actions(self) -> Iterator[dict[str, Any]]:
        pk = 0
        for question, kind, at, mod in self.moderated:
            pk += 1
            at += timedelta(minutes=1)
            yield {"id": pk, "at": at, "user_id": mod, "kind": kind, "question_id": question}
        for day in range(0, 365, 14):  # the owner tests a service now and then
            pk += 1
            at = self.now - timedelta(days=365 - day)
            yield {"id": pk, "at": at, "user_id": self.mods[0], "kind": "system", "detail": "test llm: ok"}


def _sizes() -> dict[str, Any]:
    from django.db import connection

    tables = ["studio_question", "studio_clip", "studio_segment", "studio_moderatoraction"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables "
            "WHERE relname = ANY(%s)",
            [tables],
        )
        return {"rows": {name: {"rows": n, "mb": round(size / 2**20)} for name, n, size in cursor.fetchall()}}


# -- the measurements


def _timed(call: Callable[[], Any], repeats: int = REPEATS) -> dict[str, float]:
    for _ in range(3):
        call()
    samples, cpu = [], []
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(p95, 2),
        "n": repeats,
        # This process's own CPU (the ORM, JSON, templates): what a busy machine stretches.
        "cpu_median_ms": round(statistics.median(cpu), 2),
    }


def _queries(call: Callable[[], Any]) -> dict[str, Any]:
    """How many queries one call makes, and the database's own time for them (EXPLAIN ANALYZE,
    summed): what the history costs, whatever else this machine is busy with."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    server = 0.0
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if query["sql"].lstrip().upper().startswith("SELECT"):
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                server += cursor.fetchone()[0][0]["Execution Time"]
    return {"queries": len(captured.captured_queries), "server_ms": round(server, 2)}


def _measure() -> dict[str, Any]:
    from django.db import transaction
    from django.db.models import Max
    from django.test import Client
    from django.test.utils import setup_test_environment

    from aijesus.studio import lifecycle, snapshot
    from aijesus.studio.latency import recent_latencies
    from aijesus.studio.models import Clip, ModeratorAction, Question
    from aijesus.studio.services import question_approve
    from aijesus.studio.views import library
    from streamer.playout import Playout

    setup_test_environment()  # the test client's ALLOWED_HOSTS; the database stays this one
    client = Client()
    client.force_login(_moderator())
    month = (datetime.now() - timedelta(days=60)).date().replace(day=1)
    SEARCHES["topic + month"].update(since=month.isoformat(), until=(month + timedelta(days=27)).isoformat())

    def snap() -> None:
        json.dumps(snapshot.studio_snapshot())

    def search(params: dict[str, str]) -> Callable[[], Any]:
        def call() -> str:
            page = library.ClipSearch(params).get_page(1)
            list(page.object_list)
            return str(page.paginator.count)  # "500+" where the count stopped at its cap

        return call

    def get(url: str, data: dict[str, Any] | None = None) -> Callable[[], None]:
        def call() -> None:
            response = client.get(url, data or {})
            assert response.status_code == 200, (url, response.status_code)

        return call

    def approve_and_undo() -> None:
        question = Question.objects.filter(status=Question.Status.PENDING).order_by("-priority").first()
        with transaction.atomic():
            question_approve(question=question, by=None)
            transaction.set_rollback(True)

    # As of the fill: the building clips' workers beat then and the queued clips' tasks were out,
    # so the reaper judges and sends nothing (it would send build tasks to the broker at once).
    as_of = Clip.objects.filter(status=Clip.Status.BUILDING).aggregate(t=Max("heartbeat_at"))["t"]

    def reap_and_undo() -> None:
        with transaction.atomic():
            lifecycle.reap(now=as_of)
            transaction.set_rollback(True)

    out: dict[str, Any] = {"snapshot": {**_timed(snap, REPEATS * 3), **_queries(snap)}}
    out["snapshot"]["goal_ms"] = GOAL_SNAPSHOT_MS
    out["library"] = {}
    for label, params in SEARCHES.items():
        figures = {"params": params, "matches": search(params)(), "query": _timed(search(params))}
        figures["query"].update(_queries(search(params)))
        figures["page"] = _timed(get("/clips/", params), REPEATS // 2)
        figures["page_queries"] = _queries(get("/clips/", params))["queries"]
        out["library"][label] = figures
    last = library.ClipSearch({}).num_pages  # the deepest page the library links to
    deepest = _timed(get("/clips/", {"page": last}), REPEATS // 2)
    out["library"][f"no filter, last page ({last})"] = {"page": deepest}
    out["library_goal_ms"] = GOAL_SEARCH_MS
    out["library_worst_page_p95_ms"] = max(f["page"]["p95_ms"] for f in out["library"].values())
    playout = Playout()
    out["other"] = {
        "dashboard page": _timed(get("/")),
        "latency page": _timed(get("/latency/"), REPEATS // 2),
        "latency page, 1000 clips": _timed(get("/latency/", {"n": 1000}), 10),
        "recent_latencies(50)": _timed(lambda: recent_latencies(50)),
        "system page's log query": _timed(
            lambda: list(ModeratorAction.objects.filter(kind="system").select_related("user")[:10])
        ),
        "approval (rolled back)": _timed(approve_and_undo),
        "streamer's pick (next_clip)": _timed(lambda: playout.next_clip()),
        "streamer's upcoming list": _timed(lambda: playout.upcoming()),
        "reaper round (rolled back)": _timed(reap_and_undo),
    }
    out["goals_met"] = (
        out["snapshot"]["p95_ms"] <= GOAL_SNAPSHOT_MS and out["library_worst_page_p95_ms"] <= GOAL_SEARCH_MS
    )
    return out


def _moderator() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="mod-anna")


if __name__ == "__main__":
    json.dump(main(reuse="--reuse" in sys.argv[1:]), sys.stdout, indent=2)
    sys.stdout.write("\n")

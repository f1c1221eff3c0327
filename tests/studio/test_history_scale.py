"""A year of history stays fast (issue 24, item 7), guarded without timing: the dashboard's snapshot
and the library's search make the same few queries however many questions and clips are stored,
and on PostgreSQL the search's queries can use their trigram indexes (migration 0010).
`python -m bench history` measures the times on 500,000 questions and 100,000 clips."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aijesus.studio import snapshot
from aijesus.studio.models import Clip, Question, Segment
from aijesus.studio.views import library

pytestmark = pytest.mark.django_db
S = Question.Status


def add_history(version, n: int, *, days_ago: int = 200, topic: str = "prayer") -> list[Clip]:
    """`n` questions handled long ago: every other one rejected, the rest aired with a clip."""
    then = timezone.now() - timedelta(days=days_ago)
    questions = Question.objects.bulk_create(
        Question(
            viewer_name=f"viewer{i}",
            text=f"Question {i} on {topic}?",
            original_text="?",
            status=S.AIRED if i % 2 else S.REJECTED,
            received_at=then,
            updated_at=then,
        )
        for i in range(n)
    )
    clips = Clip.objects.bulk_create(
        Clip(
            question=q,
            persona_version=version,
            status=Clip.Status.READY,
            answer_text=f"An answer ({q.pk}).",
            attempt=1,
            aired_count=1,
            created_at=then + timedelta(seconds=q.pk),
        )
        for q in questions
        if q.status == S.AIRED
    )
    Segment.objects.bulk_create(
        Segment(clip=c, attempt=1, index=i, media=f"segments/{c.pk}-{i}.wav", duration=1.0)
        for c in clips
        for i in range(2)
    )
    return clips


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.fixture
def version(persona):
    return persona.ensure_version()


def test_the_snapshot_makes_the_same_few_queries_however_long_the_history(version, moderator):
    from aijesus.chat.models import AutoModHold

    waiting = Question.objects.create(viewer_name="ann", text="Waiting?", original_text="Waiting?")
    AutoModHold.objects.create(question=waiting, message_id="m1", reason="automod", category="swearing")
    building = Question.objects.create(viewer_name="bo", text="Built?", original_text="?", status="building")
    Question.objects.filter(pk=building.pk).update(moderated_by=moderator)
    clip = Clip.objects.create(question=building, persona_version=version, status="building", attempt=2)
    for attempt, index in [(1, 0), (2, 0), (2, 1)]:
        Segment.objects.create(clip=clip, attempt=attempt, index=index, media="segments/x.wav", duration=1.0)
    add_history(version, 10)
    small = queries(snapshot.queue_snapshot)
    add_history(version, 300)
    large = queries(snapshot.queue_snapshot)

    assert small == large <= 9
    shown = snapshot.queue_snapshot()
    assert [(q["text"], q["automod"]["state"]) for q in shown["pending"]] == [("Waiting?", "held")]
    in_progress = shown["in_progress"][0]
    assert (in_progress["moderated_by"], in_progress["automod"]) == ("mod", None)
    assert in_progress["clip"]["segments"] == 2  # its attempt's only
    assert len(shown["recent"]) == snapshot.RECENT_LIMIT


def test_counts_hold_every_waiting_question_and_the_handled_ones_of_the_last_day(version):
    long_ago = timezone.now() - timedelta(days=3)
    Question.objects.create(viewer_name="a", text="Old but waiting?", original_text="?", updated_at=long_ago)
    Question.objects.create(viewer_name="b", text="Rejected now", original_text="?", status=S.REJECTED)
    add_history(version, 4)  # two rejected and two aired, 200 days ago

    counts = snapshot.status_counts()

    assert (counts["pending"], counts["rejected"], counts["aired"]) == (1, 1, 0)
    assert snapshot.queue_snapshot()["counts_window_hours"] == 24


@pytest.mark.parametrize("params", [{"q": "prayer"}, {"viewer": "viewer1"}, {}, {"since": "2020-01-01"}])
def test_a_library_page_makes_the_same_few_queries_however_long_the_history(version, params):
    def page() -> None:
        found = library.ClipSearch(params).get_page(1)
        [clip.question and clip.persona_version.persona.name for clip in found]  # what the page shows
        str(found.paginator.count)

    add_history(version, 10)
    small = queries(page)
    add_history(version, 300)
    assert queries(page) == small <= 3


def test_a_text_search_merges_question_and_answer_matches_newest_first(version):
    by_question = add_history(version, 4, topic="Zacchaeus", days_ago=30)  # two clips, question matches
    by_answer = add_history(version, 4, topic="else", days_ago=10)
    Clip.objects.filter(pk=by_answer[0].pk).update(answer_text="Zacchaeus came down.")
    add_history(version, 20, topic="anything")  # no match

    found = library.ClipSearch({"q": "zacchaeus"}).get_page(1)

    assert [c.pk for c in found] == [by_answer[0].pk, by_question[1].pk, by_question[0].pk]
    assert found.paginator.count == 3


def test_a_count_stops_at_its_cap_and_says_so(client, moderator, version, monkeypatch):
    monkeypatch.setattr(library, "TEXT_COUNT_CAP", 3)
    clips = add_history(version, 12)  # six clips on prayer
    search = library.ClipSearch({"q": "prayer"})

    assert (search.count, str(search.count), search.num_pages) == (3, "3+", 1)
    assert [c.pk for c in search.get_page(1)] == [c.pk for c in reversed(clips)][:3]
    client.force_login(moderator)
    assert "3+ clips" in client.get("/clips/", {"q": "prayer"}).content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only")
@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"q": "Zacchaeus"}, "studio_clip_answer_trgm"),
        ({"q": "Zacchaeus"}, "studio_question_text_trgm"),
        ({"viewer": "mara"}, "studio_question_viewer_trgm"),
    ],
)
def test_the_search_can_use_its_trigram_indexes_on_postgresql(version, params, index):
    """The planner must find the trigram index when each row read costs much (a year of answers;
    here a few hundred, with no sequential or plain index scan allowed and filtering priced high):
    the indexed expression and the partial index's rows match what the queries ask. An edit to
    either side breaks this test, not only a timing in production."""
    add_history(version, 400)
    search = library.ClipSearch(params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE studio_clip, studio_question")
        for setting in ("enable_seqscan = off", "enable_indexscan = off", "cpu_operator_cost = 1"):
            cursor.execute(f"SET LOCAL {setting}")  # until the test's transaction rolls back
        plans = [
            half.order_by(*library.NEWEST_FIRST).values_list("pk")[: search.cap + 1].explain()
            for half in search.halves()
        ]
        cursor.execute("SELECT 1 FROM pg_statistic_ext WHERE stxname = %s", [f"{index}_stats"])
        statistics = cursor.fetchone()
    assert any(index in plan for plan in plans), plans
    assert statistics, "the expression's statistics: the planner's guess at a word's share of rows"

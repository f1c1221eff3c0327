"""A worker on "another machine" (its own empty MEDIA_ROOT; only the database, Redis and the
bucket shared) builds the answer the streamer airs, through a real S3-protocol server that goes
away mid-build and comes back. Nothing secret reaches a log."""

from __future__ import annotations

import numpy as np
import pytest

from aijesus.studio.models import Segment
from tests.builder.llm.fake_openai import stream
from tests.faults.studio import Studio, held
from tests.faults.test_build_faults import FIRST, REST, WHOLE, approve, assert_aired_once_whole, clip, gate
from tests.mediastore.s3server import ACCESS_KEY, SECRET_KEY, s3_server
from tests.streamer.helpers import KEY, RtmpServer, free_port, read_recording

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]


@pytest.fixture
def s3():
    with s3_server() as server:
        yield server


def test_a_worker_elsewhere_builds_what_the_streamer_airs_through_a_store_that_restarts(
    redis_url, tmp_path, answering_persona, llm, s3
):
    home, gpu_box = tmp_path / "home", tmp_path / "gpu-box"  # two machines' MEDIA_ROOT
    rtmp = RtmpServer(free_port(), tmp_path / "recorded.flv")
    studio = Studio(
        redis_url, home, tmp_path / "logs", LLM_API_KEY="k", LLM_BASE_URL=llm.url, STREAM_KEY=KEY,
        MEDIA_STORE_RETRY_SECONDS="120", MEDIA_STORE_TIMEOUT="1", **s3.env(),
    )  # fmt: skip
    try:
        held_open = gate(llm)
        llm.queue(held(FIRST, held_open, REST), stream(WHOLE))
        studio.worker(MEDIA_ROOT=str(gpu_box))
        studio.worker("library", queues="library", MEDIA_ROOT=str(gpu_box))
        studio.scheduler(), studio.streamer("--output", "rtmp", "--rtmp", rtmp.url)
        pk = approve().pk
        studio.wait_until(lambda: Segment.objects.filter(clip_id=pk).exists(), "the first segment")
        first = Segment.objects.get(clip_id=pk, index=0)
        assert s3.objects(f"studio/{first.media.name}") == [f"studio/{first.media.name}"]  # sent first

        s3.stop()  # the store goes away mid-build: the next sentence cannot be sent
        held_open.set()
        log = studio.logs / "worker.log"
        studio.wait_until(lambda: "trying again" in log.read_text(), "the worker to wait for the store")
        s3.start()
        studio.wait_until(lambda: clip(pk).aired_count >= 1, "the answer to air")
        studio.wait_until(lambda: bool(clip(pk).video), "the library's MP4, made elsewhere too")
        studio.stop("streamer")
        rtmp.finish()
    finally:
        studio.stop_all()
        if rtmp.proc.poll() is None:
            rtmp.kill()

    aired = assert_aired_once_whole(pk, attempt=1, answer=FIRST + REST)
    names = [s.media.name for s in aired.segments.order_by("index")]
    # Made on the GPU box, kept in the bucket, fetched at home by the streamer to air them.
    for name in names:
        assert (gpu_box / name).is_file() and (home / name).is_file()
        assert f"studio/{name}" in s3.objects()
    assert f"studio/{aired.video.name}" in s3.objects() and not (home / aired.video.name).exists()
    recording = read_recording(rtmp.out)
    assert set(np.diff(recording.video_pts).tolist()) == {40}  # the stream never stalled
    assert (recording.video_pts[-1] - recording.video_pts[0]) / 1000 >= aired.duration
    logs = "".join(path.read_text(errors="replace") for path in studio.logs.glob("*.log"))
    assert SECRET_KEY not in logs and ACCESS_KEY not in logs

"""An S3-protocol store for the benchmarks: moto's server as a process of its own on 127.0.0.1
(a separate process, as a real store is: its CPU is not the bench's), with a fresh bucket."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ACCESS_KEY, SECRET_KEY = "bench-access", "bench-secret-key"


@contextlib.contextmanager
def s3_store(logs: Path) -> Iterator[dict[str, str]]:
    """Yields the studio's settings (as environment) for a running store; stops it afterwards."""
    import boto3

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / "s3.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url, bucket = f"http://127.0.0.1:{port}", f"bench-{uuid.uuid4().hex[:10]}"
    try:
        client = boto3.client(
            "s3", endpoint_url=url, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=bucket)
                break
            except Exception:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield {
            "MEDIA_STORAGE": "s3",
            "MEDIA_S3_BUCKET": bucket,
            "MEDIA_S3_ENDPOINT_URL": url,
            "MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

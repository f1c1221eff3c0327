"""An S3-protocol server on 127.0.0.1 for the tests: moto's, run in this process. Its objects live
in this process, so `stop()` then `start()` is a store that goes away (connections refused) and
comes back with everything it held, as a real one restarting does."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from moto.server import ThreadedMotoServer

ACCESS_KEY = "studio-test-access"
SECRET_KEY = "studio-secret-" + "x" * 20  # what no log or page may show


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    def __init__(self) -> None:
        self.port = _free_port()
        self.bucket = f"studio-{uuid.uuid4().hex[:10]}"
        self._server: ThreadedMotoServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> S3Server:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )

    def env(self, prefix: str = "studio") -> dict[str, str]:
        """The studio's settings for this store, as a process's environment."""
        return {
            "MEDIA_STORAGE": "s3",
            "MEDIA_S3_BUCKET": self.bucket,
            "MEDIA_S3_ENDPOINT_URL": self.url,
            "MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "MEDIA_S3_PREFIX": prefix,
        }

    def objects(self, prefix: str = "") -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@contextmanager
def s3_server() -> Iterator[S3Server]:
    server = S3Server().start()
    server.client().create_bucket(Bucket=server.bucket)
    try:
        yield server
    finally:
        server.stop()

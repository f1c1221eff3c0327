"""Any S3-compatible object store (AWS S3, MinIO, Cloudflare R2, Backblaze B2) through
django-storages' S3Storage and boto3.

Objects are named `<prefix>/<name>`, `name` being the file's path under MEDIA_ROOT, and carry the
file's modification time as metadata (`mtime-ns`): a fetched copy gets the same time, so caches
keyed on it (an avatar's Wav2Lip preparation) are found under one key on every machine. Errors
become `StoreUnavailable` / `ObjectMissing` with messages that name the endpoint and bucket, never
a key or a secret (boto3's own messages are not passed on).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables
from storages.backends.s3 import S3Storage

from aijesus.mediastore.base import MediaStore, ObjectMissing, StoreUnavailable

MTIME = "mtime-ns"
_MISSING = {"404", "NoSuchKey", "NotFound"}
_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "InvalidToken"}


class S3Store(MediaStore):
    remote = True

    @method_decorator(sensitive_variables("secret_key", "access_key"))
    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str = "",
        region: str = "us-east-1",
        access_key: str = "",
        secret_key: str = "",
        prefix: str = "",
        timeout: float = 5.0,
    ) -> None:
        self.bucket_name = bucket
        self.endpoint_url = endpoint_url
        self.prefix = prefix.strip("/")
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 2, "mode": "standard"},
            s3={"addressing_style": "path"} if endpoint_url else None,
        )
        self.storage = S3Storage(
            bucket_name=bucket,
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            access_key=access_key or None,  # empty: boto3's own chain (AWS_* variables, a role)
            secret_key=secret_key or None,
            location="",
            file_overwrite=True,
            default_acl=None,
            client_config=config,
        )

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, path: Path, name: str) -> None:
        extra = {"Metadata": {MTIME: str(path.stat().st_mtime_ns)}}
        try:
            self.storage.bucket.upload_file(str(path), self.key(name), ExtraArgs=extra)
        except S3UploadFailedError as exc:  # boto3 wraps the store's answer; its code is inside
            cause = exc.__context__
            raise self._error(cause if isinstance(cause, ClientError) else exc, name) from None
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, name) from None

    def get(self, name: str, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fetch-")
        except OSError as exc:
            raise StoreUnavailable(f"cannot write {name} here: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as out:
                response: dict[str, Any] = self.storage.bucket.Object(self.key(name)).get()
                for chunk in response["Body"].iter_chunks(1 << 20):
                    out.write(chunk)
            mtime = response.get("Metadata", {}).get(MTIME, "")
            if mtime.isdigit():
                os.utime(tmp, ns=(int(mtime), int(mtime)))
            os.replace(tmp, path)  # readers never see a half-fetched file
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, name) from None
        except OSError as exc:  # the local disk (full, or the folder went away)
            raise StoreUnavailable(f"cannot write {name} here: {exc.strerror or exc}") from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def delete_prefix(self, prefix: str) -> int:
        try:
            deleted = self.storage.bucket.objects.filter(Prefix=self.key(prefix)).delete()
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, prefix) from None
        return sum(len(batch.get("Deleted", [])) for batch in deleted)

    def sizes(self, prefix: str) -> Iterator[tuple[str, int]]:
        skip = len(self.key(""))
        try:
            for summary in self.storage.bucket.objects.filter(Prefix=self.key(prefix)):
                yield summary.key[skip:], int(summary.size)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, prefix) from None

    def check(self) -> None:
        try:
            self.storage.connection.meta.client.head_bucket(Bucket=self.bucket_name)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "") from None

    def create_bucket(self) -> bool:
        """Create the bucket if it is not there (MinIO and local trials); True if it was made."""
        try:
            self.check()
            return False
        except StoreUnavailable:
            pass
        try:
            self.storage.connection.meta.client.create_bucket(Bucket=self.bucket_name)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "") from None
        return True

    def describe(self) -> str:
        where = _without_userinfo(self.endpoint_url) or "AWS S3"
        return f"bucket {self.bucket_name!r} at {where}" + (
            f" (prefix {self.prefix}/)" if self.prefix else ""
        )

    def _error(self, exc: Exception, name: str) -> Exception:
        what = f"the media store ({self.describe()})"
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code == "NoSuchBucket" or (status == "404" and not name):
                return StoreUnavailable(f"{what}: the bucket does not exist")
            if code in _MISSING or status == "404":
                return ObjectMissing(f"{name} is not in {what}")
            if code in _REFUSED or status == "403":
                return StoreUnavailable(f"{what} refused the credentials ({code or status})")
            return StoreUnavailable(f"{what} answered {code or status or 'an error'}")
        return StoreUnavailable(f"{what} cannot be reached ({type(exc).__name__})")


def _without_userinfo(url: str) -> str:
    """An endpoint as shown to people: never user:password@ (some write credentials into URLs)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return url
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))

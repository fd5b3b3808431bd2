"""The one boto3 wrapper: S3 and S3-compatible stores (MinIO, R2, Ceph) as a publish target.

- Credentials come from the standard AWS chain (env, AWS_PROFILE / s3.profile, ~/.aws, SSO, instance role).
- endpoint_url: s3.endpoint_url in show.yaml, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL; custom endpoints
  use path-style addressing, which every S3-compatible server understands.
- Transient errors (dropped connections, 5xx, throttling) are retried by botocore's `standard` retry mode
  (AWS_MAX_ATTEMPTS attempts, default 5); large files go multipart through s3transfer's TransferConfig.
- Every botocore error leaves this module as a PublishError that says what failed and how to fix it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_path
from pipeline.config.show import S3Settings
from pipeline.errors import PublishError
from pipeline.stores.base import HASH_METADATA, LOCK_NAME, Store, StoredObject, Upload

log = logging.getLogger("pipeline.publish")

MIB = 1024 * 1024
DEFAULT_MAX_ATTEMPTS = 5
TARGET_HINT = "fix publish_target in config/show.yaml (or PUBLISH_TARGET)"
CREDENTIALS_HINT = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile from ~/.aws/credentials with "
    "AWS_PROFILE or s3.profile in config/show.yaml (`aws configure` writes one)"
)


def parse_s3_target(target: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → ("bucket", "some/prefix/"); the prefix is "" or ends with one slash."""
    rest = target.strip().removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise PublishError(f"publish target {target!r} names no bucket",
                           hint=f"write it as s3://bucket or s3://bucket/prefix: {TARGET_HINT}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def endpoint_from(settings: S3Settings, environ: dict[str, str] | os._Environ[str]) -> str | None:
    return settings.endpoint_url or environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL") or None


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    return str(error.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "")


def translate_error(exc: BaseException, action: str, where: str, endpoint: str | None = None) -> PublishError:
    """A botocore/boto3 exception as a PublishError naming what failed, where, and the fix. Pure: no I/O."""
    from botocore import exceptions as boto_errors

    server = endpoint or "AWS S3"
    bucket = where.removeprefix("s3://").split("/", 1)[0]
    if isinstance(exc, boto_errors.NoCredentialsError | boto_errors.PartialCredentialsError):
        return PublishError(f"no AWS credentials found to {action} {where}", hint=CREDENTIALS_HINT)
    if isinstance(exc, boto_errors.ProfileNotFound):
        return PublishError(f"AWS profile not found: {exc}",
                            hint="fix s3.profile in config/show.yaml or AWS_PROFILE, "
                                 "or add the profile with `aws configure --profile NAME`")
    if isinstance(exc, boto_errors.SSOError | boto_errors.TokenRetrievalError | boto_errors.UnauthorizedSSOTokenError):
        return PublishError(f"AWS SSO credentials could not be loaded: {exc}", hint="run `aws sso login` and publish again")
    if isinstance(exc, boto_errors.EndpointConnectionError | boto_errors.ConnectionClosedError | boto_errors.ConnectTimeoutError
                  | boto_errors.ReadTimeoutError | boto_errors.ProxyConnectionError):
        return PublishError(
            f"could not {action} {where}: the connection to {server} failed even after retrying ({exc})",
            hint="check the network and the endpoint (s3.endpoint_url in config/show.yaml or AWS_ENDPOINT_URL), then run the "
                 "publish again: files already uploaded are skipped",
        )
    if isinstance(exc, boto_errors.ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message") or "")
        if code in ("NoSuchBucket", "404") and "bucket" in action:
            return PublishError(f"bucket '{bucket}' does not exist at {server}",
                                hint=f"create it (aws s3 mb s3://{bucket}), or {TARGET_HINT}")
        if code == "NoSuchBucket":
            return PublishError(f"bucket '{bucket}' does not exist at {server} (while trying to {action} {where})",
                                hint=f"create it (aws s3 mb s3://{bucket}), or {TARGET_HINT}")
        if code in ("InvalidAccessKeyId", "InvalidClientTokenId"):
            return PublishError(f"{server} does not know the AWS access key in use (while trying to {action} {where})",
                                hint=CREDENTIALS_HINT)
        if code == "SignatureDoesNotMatch":
            return PublishError(f"{server} rejected the request signature: the AWS secret key does not match the access key",
                                hint="check AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key")
        if code in ("ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", "RequestExpired"):
            return PublishError("the AWS credentials have expired", hint="refresh them (e.g. `aws sso login`) and publish again")
        if code in ("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "301"):
            return PublishError(f"bucket '{bucket}' is in a different region than the one configured",
                                hint="set s3.region in config/show.yaml (or AWS_REGION) to the bucket's region")
        if code == "AccessControlListNotSupported":
            return PublishError(f"bucket '{bucket}' does not accept ACLs (object ownership is enforced)",
                                hint="remove s3.acl from config/show.yaml; make objects public with a bucket policy instead")
        if code in ("AccessDenied", "AllAccessDisabled", "403", "Forbidden"):
            return PublishError(
                f"no permission to {action} {where}",
                hint="the credentials need s3:ListBucket on the bucket and s3:GetObject, s3:PutObject "
                     "(and s3:DeleteObject for --prune) on the prefix",
            )
        detail = f"{code}: {message}" if message else code or str(exc)
        return PublishError(f"S3 refused to {action} {where}: {detail}",
                            hint="transient errors were already retried; check the message above, then publish again")
    if isinstance(exc, boto_errors.BotoCoreError):
        return PublishError(f"could not {action} {where}: {exc}",
                            hint="check the s3 settings in config/show.yaml and the AWS environment")
    if isinstance(exc, OSError):
        return PublishError(f"could not {action} {where}: {exc}",
                            hint="a build file changed or vanished during the upload; build again")
    return PublishError(f"could not {action} {where}: {type(exc).__name__}: {exc}")


class S3Store(Store):
    def __init__(self, bucket: str, prefix: str, settings: S3Settings,
                 environ: dict[str, str] | os._Environ[str] | None = None) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore import exceptions as boto_errors
        from botocore.config import Config

        environ = os.environ if environ is None else environ
        self.bucket = bucket
        self.prefix = prefix
        self.settings = settings
        self.endpoint_url = endpoint_from(settings, environ)
        attempts = int(environ.get("AWS_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)
        try:
            self.session = boto3.session.Session(profile_name=settings.profile, region_name=settings.region)
        except boto_errors.BotoCoreError as exc:
            raise translate_error(exc, "open a session for", self.description, self.endpoint_url) from exc
        config = Config(
            retries={"mode": "standard", "total_max_attempts": attempts},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=max(10, settings.max_concurrency * 2),
            s3={"addressing_style": "path"} if self.endpoint_url else {},
        )
        self.client: Any = self.session.client("s3", endpoint_url=self.endpoint_url, config=config)
        chunk = settings.multipart_threshold_mb * MIB
        self.transfer_config = TransferConfig(
            multipart_threshold=chunk,
            multipart_chunksize=chunk,
            max_concurrency=settings.max_concurrency,
            use_threads=True,
            preferred_transfer_client="classic",
        )
        log.debug("s3: bucket=%s prefix=%r endpoint=%s region=%s attempts=%d", bucket, prefix,
                  self.endpoint_url or "(AWS)", self.client.meta.region_name, attempts)

    @property
    def description(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}"

    def _call(self, action: str, where: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise translate_error(exc, action, where, self.endpoint_url) from exc

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError

        try:
            credentials = self.session.get_credentials()
        except BotoCoreError as exc:
            raise translate_error(exc, "publish to", self.description, self.endpoint_url) from exc
        if credentials is None:
            raise PublishError(f"no AWS credentials found to publish to {self.description}", hint=CREDENTIALS_HINT)
        # ListObjectsV2 (not HeadBucket) because its errors carry a code: NoSuchBucket, AccessDenied, InvalidAccessKeyId…
        self._call("list the bucket of", self.description, self.client.list_objects_v2,
                   Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)

    def list(self) -> dict[str, StoredObject]:
        from botocore.exceptions import BotoCoreError, ClientError

        found: dict[str, StoredObject] = {}
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    if key and key != LOCK_NAME:
                        found[key] = StoredObject(key=key, size=int(item["Size"]))
        except (BotoCoreError, ClientError) as exc:
            raise translate_error(exc, "list the bucket of", self.description, self.endpoint_url) from exc
        return found

    def describe(self, listed: StoredObject) -> StoredObject:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + listed.key)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return StoredObject(key=listed.key, size=-1)
            raise translate_error(exc, "read the metadata of", self.location(listed.key), self.endpoint_url) from exc
        return StoredObject(
            key=listed.key,
            size=int(head["ContentLength"]),
            sha256=head.get("Metadata", {}).get(HASH_METADATA),
            content_type=head.get("ContentType"),
            cache_control=head.get("CacheControl"),
        )

    def _extra_args(self, item: Upload) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "ContentType": item.content_type,
            "CacheControl": item.cache_control,
            "Metadata": {HASH_METADATA: item.sha256},
        }
        if self.settings.acl:  # never by default: buckets with object ownership enforced reject any ACL
            extra["ACL"] = self.settings.acl
        return extra

    def upload(self, uploads: list[Upload], on_done: Callable[[Upload], None]) -> None:
        """All files of one phase in parallel through one TransferManager; multipart above the threshold."""
        from boto3.s3.transfer import create_transfer_manager

        failures: list[tuple[Upload, BaseException]] = []
        with create_transfer_manager(self.client, self.transfer_config) as manager:
            futures = [
                (item, manager.upload(str(item.source), self.bucket, self.prefix + item.key, extra_args=self._extra_args(item)))
                for item in uploads
            ]
            for item, future in futures:
                try:
                    future.result()
                except Exception as exc:
                    log.debug("upload of %s failed: %r", item.key, exc)
                    failures.append((item, exc))
                else:
                    on_done(item)
        if failures:
            item, exc = failures[0]
            error = translate_error(exc, "upload", self.location(item.key), self.endpoint_url)
            if len(failures) > 1:
                others = ", ".join(f.key for f, _ in failures[1:4]) + (" …" if len(failures) > 4 else "")
                error.message += f" (and {len(failures) - 1} more failed: {others})"
            raise error from exc

    def download(self, key: str, destination: Path) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(destination) as tmp:
                self.client.download_file(self.bucket, self.prefix + key, str(tmp), Config=self.transfer_config)
        except ClientError as exc:
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise translate_error(exc, "download", self.location(key), self.endpoint_url) from exc
        except (BotoCoreError, OSError) as exc:
            raise translate_error(exc, "download", self.location(key), self.endpoint_url) from exc
        return True

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = keys[start:start + 1000]
            response = self._call("delete objects under", self.description, self.client.delete_objects, Bucket=self.bucket,
                                  Delete={"Objects": [{"Key": self.prefix + key} for key in batch], "Quiet": True})
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise PublishError(f"could not delete {len(errors)} object(s), e.g. s3://{self.bucket}/{first.get('Key')}: "
                                   f"{first.get('Code')}: {first.get('Message')}",
                                   hint="the credentials need s3:DeleteObject on the prefix for --prune")

    def _lock_holder(self, key: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            holder = json.loads(body)
            return f"started {holder.get('since')} by pid {holder.get('pid')} on {holder.get('host')}"
        except (BotoCoreError, ClientError, ValueError, AttributeError):
            return "holder unknown"

    @contextlib.contextmanager
    def lock(self, *, break_lock: bool = False) -> Iterator[None]:
        """A lock object `<prefix>.publish.lock`, created with a conditional write (If-None-Match: *).

        S3 (since 2024), MinIO, R2 and moto refuse the create with 412 when the object exists, so exactly one
        publish of a target wins, across machines. A killed publish leaves the object behind; the error says so
        and --break-lock removes it. (A store that ignores If-None-Match makes this lock best-effort.)
        It is also the first write of a publish, so missing PutObject permission is reported before any upload.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.prefix + LOCK_NAME
        where = self.location(LOCK_NAME)
        if break_lock:
            log.warning("removing the publish lock %s (--break-lock)", where)
            self._call("remove the lock", where, self.client.delete_object, Bucket=self.bucket, Key=key)
        holder = {"host": socket.gethostname(), "pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(holder).encode(), IfNoneMatch="*",
                                   ContentType="application/json", CacheControl="no-store")
        except ClientError as exc:
            if error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise PublishError(
                    f"another publish to {self.description} is running ({self._lock_holder(key)})",
                    hint=f"wait for it to finish; if none is running (a publish was killed), publish again with --break-lock "
                         f"to remove {where}",
                ) from exc
            raise translate_error(exc, "write the publish lock", where, self.endpoint_url) from exc
        except BotoCoreError as exc:
            raise translate_error(exc, "write the publish lock", where, self.endpoint_url) from exc
        try:
            yield
        finally:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key)
            except (BotoCoreError, ClientError) as exc:
                log.warning("could not remove the publish lock %s (%s); the next publish needs --break-lock", where, exc)

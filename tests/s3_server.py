"""An S3 endpoint for tests: moto's S3 server in a thread of this process, reached over HTTP, so the code
under test (and any subprocess it starts) talks to it as to S3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

# moto 5.2.1 answers CompleteMultipartUpload in a form pyarrow's AWS SDK rejects (getmoto/moto#10055);
# with delayed open pyarrow sends a file under its part size as one PutObject, which moto handles. Real
# S3 needs no such option. Append it to an s3:// run directory URI.
PYARROW_QUERY = "?allow_delayed_open=true"


@contextmanager
def s3_endpoint(bucket: str) -> Iterator[dict[str, str]]:
    """Start the server with one empty bucket; yield the environment that points boto3 and pyarrow at it
    (also set in this process while the context lasts)."""
    moto_server = pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    try:
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            patch.delenv("AWS_PROFILE", raising=False)
            boto3.client("s3").create_bucket(Bucket=bucket)
            yield env
    finally:
        server.stop()


def s3_keys(bucket: str, prefix: str) -> list[str]:
    """The keys under `prefix`, relative to it, sorted; pyarrow's empty directory markers left out."""
    import boto3

    listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    keys = (item["Key"][len(prefix):] for item in listing.get("Contents", []))
    return sorted(key for key in keys if key and not key.endswith("/"))

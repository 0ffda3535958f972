"""S3-compatible storage (``STORAGE_URL=s3://...``, edge/storage.py) against moto in server mode:
a real S3 wire-protocol server on a local port. A file goes the whole way: started, uploaded
through this server, attached to homework, downloaded through this server (never from a presigned
URL of the bucket, which could not be revoked when access ends), and an abandoned upload swept
from the bucket."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

import models
from edge import storage
from edge.settings import Settings
from resolvers import core, files, housekeeping
from resolvers.core import from_global_id, now_utc
from tests.classwork.test_files import ATTACHMENTS, PNG, START
from tests.classwork.test_homework import ASSIGN, MATHS, _school
from tests.client import Client
from tests.conftest import client_for
from tests.factories import Factory
from tests.helpers import gid

moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] is not installed (pip install -e '.[dev]'): the S3 storage is not tested"
)
boto3 = pytest.importorskip("boto3", reason="boto3 is not installed: the S3 storage is not tested")

PORTS = range(8130, 8140)  # this suite's own port range
BUCKET = "ediary-files"


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.skip(f"no free port in {PORTS.start}-{PORTS.stop - 1} for the S3 server")


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    """A moto S3 server with an empty bucket; the STORAGE_URL naming it (credentials from the
    environment, as boto3 reads them in production)."""
    patch = pytest.MonkeyPatch()
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "moto-key"),
        ("AWS_SECRET_ACCESS_KEY", "moto-secret"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        patch.setenv(name, value)
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        yield f"s3://{BUCKET}/attachments?endpoint={endpoint}&region=us-east-1"
    finally:
        server.stop()
        patch.undo()


def _objects(url: str) -> set[str]:
    opened = storage.open_storage(url)
    assert isinstance(opened, storage.S3Storage)
    listed = opened.client.list_objects_v2(Bucket=BUCKET, Prefix="attachments/")
    return {item["Key"] for item in listed.get("Contents", [])}


async def test_a_file_goes_the_whole_way_through_s3(factory: Factory, settings: Settings, s3_url: str) -> None:
    school = await _school(factory)
    due = gid(school.upcoming("5A", MATHS)[0], "Lesson")
    on_s3 = dataclasses.replace(settings, storage_url=s3_url)
    async with client_for(settings, storage_url=s3_url) as http:
        teacher = Client(http, factory.client(school.teacher).token)
        parent = Client(http, factory.client(school.parent).token)
        uploads = []
        for data in (PNG, b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8):
            started = (await teacher.data(START, input={"name": "photo", "size": len(data)}))["fileUploadStart"]
            assert started["uploadUrl"].startswith("http://testserver/files/upload/")  # checked here first
            assert (await http.put(started["uploadUrl"], content=data)).status_code == 204
            uploads.append(started["uploadId"])
        rows = [await models.StoredFile.get(id=files_pk(u)) for u in uploads]
        keys = {f"attachments/{row.key}" for row in rows}
        assert keys <= _objects(s3_url)  # uploaded: in the bucket, pending

        result = await teacher.data(ASSIGN, input={"lessonId": due, "text": "Do", "fileIds": uploads[:1]})
        homework_id = result["homeworkAssign"]["homework"]["id"]
        (attached,) = (await parent.data(ATTACHMENTS, id=homework_id))["node"]["attachments"]
        assert attached["url"].startswith("http://testserver/files/")  # this server's, never the bucket's
        download = await http.get(attached["url"])
        assert (download.status_code, download.content) == (200, PNG)
        assert download.headers["content-type"] == files.PNG
        assert download.headers["cache-control"] == "private, no-store"
        # Asked again at every use: a token edited by one character is nothing.
        tampered = attached["url"][:-1] + ("0" if attached["url"][-1] != "0" else "1")
        assert (await http.get(tampered)).status_code == 404

    with core.travel(now_utc() + timedelta(seconds=files.PENDING_SECONDS + 60)):
        await housekeeping.sweep(on_s3)
    remaining = _objects(s3_url)
    assert f"attachments/{rows[0].key}" in remaining  # attached: kept
    assert f"attachments/{rows[1].key}" not in remaining  # abandoned: swept from the bucket


def files_pk(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]

import io

import httpx
from minio import Minio

from local_services import ServerProcess


def test_s3_server_speaks_s3_to_the_minio_client(s3_server: ServerProcess) -> None:
    client = Minio(
        s3_server.url.removeprefix("http://"),
        access_key="test",
        secret_key="test",
        secure=False,
    )
    client.make_bucket("landing")
    client.put_object("landing", "a/b.json", io.BytesIO(b'{"ok": true}'), length=12)
    names = [o.object_name for o in client.list_objects("landing", prefix="a/", recursive=True)]
    assert names == ["a/b.json"]
    assert client.get_object("landing", "a/b.json").read() == b'{"ok": true}'


def test_gcs_emulator_speaks_the_json_api(gcs_emulator: ServerProcess) -> None:
    base = gcs_emulator.url
    with httpx.Client(base_url=base, timeout=10) as http:
        http.post("/storage/v1/b", params={"project": "p"}, json={"name": "feeds"})
        upload = http.post(
            "/upload/storage/v1/b/feeds/o",
            params={"uploadType": "media", "name": "in/orders.csv"},
            content=b"id,total\n1,9.5\n",
        )
        assert upload.status_code == 200, upload.text
        listing = http.get("/storage/v1/b/feeds/o", params={"prefix": "in/"}).json()
        assert [item["name"] for item in listing["items"]] == ["in/orders.csv"]
        media = http.get("/storage/v1/b/feeds/o/in%2Forders.csv", params={"alt": "media"})
        assert media.content == b"id,total\n1,9.5\n"

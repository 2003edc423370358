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


def test_gcs_emulator_lists_from_an_offset_in_pages(gcs_emulator: ServerProcess) -> None:
    with httpx.Client(base_url=gcs_emulator.url, timeout=10) as http:
        http.post("/storage/v1/b", params={"project": "p"}, json={"name": "paged"})
        for n in range(5):
            http.post(
                "/upload/storage/v1/b/paged/o",
                params={"uploadType": "media", "name": f"in/{n}.csv"},
                content=b"x",
            )
        names: list[str] = []
        params = {"prefix": "in/", "startOffset": "in/1.csv", "maxResults": "2"}
        while True:
            page = http.get("/storage/v1/b/paged/o", params=params).json()
            names += [item["name"] for item in page["items"]]
            if "nextPageToken" not in page:
                break
            params["pageToken"] = page["nextPageToken"]
        assert names == ["in/1.csv", "in/2.csv", "in/3.csv", "in/4.csv"]

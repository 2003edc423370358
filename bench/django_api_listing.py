"""Reading the report catalogue through ``DjangoAPIClient`` against raw httpx.

Runs the Django API simulator (a child process, over HTTP) with N reports and reads every
page, first through ``DjangoAPIClient.list_reports`` (JWT auth flow, retry wrapper,
pydantic validation of each entry), then with a bare ``httpx.Client`` that follows the same
``next`` links and only parses JSON: the baseline, measured in the same run::

    uv run python bench/django_api_listing.py [--reports 100 1000 10000] [--page-size 100 1000]
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from django_api import DjangoAPIClient
from report_simulators import DEFAULT_PASSWORD, DEFAULT_USERNAME, start_django_simulator

LOGIN = {"username": DEFAULT_USERNAME, "password": DEFAULT_PASSWORD}


def catalogue(n: int) -> list[dict[str, object]]:
    crons = ["*/5 * * * *", "0 * * * *", "0 6 * * 1-5", "30 2 1 * *"]
    return [
        {
            "id": i,
            "name": f"Report {i}",
            "cron": crons[i % 4],
            "active": True,
            "event_group": 1 + i % 3,
        }
        for i in range(1, n + 1)
    ]


def raw_listing(http: httpx.Client, url: str, page_size: int) -> int:
    count = 0
    next_url: str | None = f"{url}/api/reports/?page=1&page_size={page_size}"
    while next_url:
        body = http.get(next_url).json()
        count += len(body["data"])
        next_url = body["next"]
    return count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--page-size", type=int, nargs="+", default=[100, 1_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"median of {args.repeat}; seconds")
    header = ("reports", "page size", "pages", "client", "raw httpx", "client/raw")
    print("".join(f"{h:>12}" for h in header))
    for n in args.reports:
        with tempfile.TemporaryDirectory() as folder:
            catalogue_file = Path(folder) / "catalogue.json"
            catalogue_file.write_text(json.dumps(catalogue(n)))
            server = start_django_simulator(catalogue_path=catalogue_file)
            try:
                measure(server.url, n, args.page_size, args.repeat)
            finally:
                server.stop()


def measure(url: str, n: int, page_sizes: list[int], repeat: int) -> None:
    token = httpx.post(f"{url}/api/token/", json=LOGIN).json()["access"]
    for size in page_sizes:
        client_times, raw_times = [], []
        for _ in range(repeat):
            with DjangoAPIClient(url, token=token, page_size=size) as api:
                started = time.perf_counter()
                listed = api.list_reports()
                client_times.append(time.perf_counter() - started)
            assert len(listed.reports) == n and not listed.rejected
            # Both clients are built before the clock starts (httpx loads TLS roots then).
            with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
                started = time.perf_counter()
                assert raw_listing(http, url, size) == n
                raw_times.append(time.perf_counter() - started)
        client, raw = statistics.median(client_times), statistics.median(raw_times)
        figures = [f"{n:>12}", f"{size:>12}", f"{-(-n // size):>12}"]
        figures += [f"{client:>12.3f}", f"{raw:>12.3f}", f"{client / raw:>11.2f}x"]
        print("".join(figures))


if __name__ == "__main__":
    main()

"""``spatial-manifest schema`` prints the JSON Schema; ``spatial-manifest validate FILE...``
checks manifests before they are uploaded (exit 1 if any is invalid)."""

import argparse
import sys
from pathlib import Path

from spatial_manifest.model import DEFAULT_LANDING_BUCKET
from spatial_manifest.parse import ManifestError, parse_manifest
from spatial_manifest.schema import manifest_json_schema_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spatial-manifest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("schema", help="print the manifest JSON Schema")
    validate = commands.add_parser("validate", help="validate manifest files")
    validate.add_argument("files", nargs="+", type=Path)
    validate.add_argument("--landing-bucket", default=DEFAULT_LANDING_BUCKET)
    args = parser.parse_args(argv)
    if args.command == "schema":
        sys.stdout.write(manifest_json_schema_text())
        return 0
    failed = 0
    for path in args.files:
        try:
            manifest = parse_manifest(path.read_bytes(), str(path), args.landing_bucket)
        except ManifestError as exc:
            failed += 1
            print(f"INVALID {exc}", file=sys.stderr)
        else:
            print(f"ok {path}: batch_id={manifest.batch_id} intent={manifest.intent}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

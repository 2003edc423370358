#!/usr/bin/env bash
# Component state a location image ships with, prepared at build time from the sources
# installed in the image (deploy/Dockerfile runs it; tests/test_location_install.py replays it).
#
#   deploy/prepare_defs_state.sh <venv> <location> [refresh]
#
# Run from the repository root (it reads uv.lock). The location is installed non-editable in
# <venv>, with its pyproject.toml at the top of site-packages: that folder is the dg project
# root the code server finds, and state lives under its defs module (.local_defs_state/).
#
# - refresh (PREPARE_DEFS_STATE=true): `dg utils refresh-defs-state` for the location's
#   LOCAL_FILESYSTEM components, offline (estore: its dbt manifest, parsed from the dbt project
#   in the package). dg is installed into <venv> at the version uv.lock holds.
# - always: the state folder is created, so that a location whose LOCAL_FILESYSTEM state is
#   written at run time loads and can write it once the folder is given to the user the image
#   runs as (reports keeps its catalogue in the instance's defs_state_storage instead).
# Prints the state folder (its only output on stdout).
set -euo pipefail
venv=$1 location=$2 refresh=${3:-false}
if [[ $refresh != true && $refresh != false ]]; then
  echo "refresh is true or false, not '$refresh'" >&2
  exit 2
fi
python="$venv/bin/python"
root=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [[ ! -f "$root/pyproject.toml" ]]; then
  echo "$location is not installed non-editable in $venv (no $root/pyproject.toml)" >&2
  exit 1
fi

if [[ $refresh == true ]]; then
  constraints=$(mktemp)
  trap 'rm -f "$constraints"' EXIT
  uv export --frozen --all-packages --all-groups --no-hashes --no-emit-workspace --quiet \
    -o "$constraints"
  uv pip install --quiet --python "$python" --constraint "$constraints" dagster-dg-cli
  # dg's progress display goes to stderr: stdout is the state folder alone.
  (cd "$root" && PATH="$venv/bin:$PATH" dg utils refresh-defs-state \
    --management-type LOCAL_FILESYSTEM) >&2
fi

"$python" - "$root" <<'EOF'
import sys
from pathlib import Path

from dagster.components.utils.project_paths import get_local_defs_state_dir

print(get_local_defs_state_dir(Path(sys.argv[1])))
EOF

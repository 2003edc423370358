# Sourced by scripts/dev and scripts/test: makes `uv` available (installing it with pip
# when missing) and moves to the repository root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.local/bin:$PATH"
# Installs compile their bytecode: where PYTHONDONTWRITEBYTECODE is set (CI runners,
# containers), every Python process would otherwise compile each module it imports, every
# time (`import dagster` then takes over twice as long), in each code server, run worker,
# daemon and `dg` command.
export UV_COMPILE_BYTECODE=1
if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet --user "uv>=0.13,<0.14" 2>/dev/null \
        || python3 -m pip install --quiet "uv>=0.13,<0.14"
    # A fresh install may not be on PATH yet (pyenv shims, user bin): use the module.
    command -v uv >/dev/null 2>&1 || uv() { python3 -m uv "$@"; }
fi

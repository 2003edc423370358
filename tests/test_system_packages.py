"""`scripts/dev` and `scripts/test` install the system packages they need when they can, and
otherwise say loudly, at start and at exit, what is missing and the one command that fixes it.

The package manager is replaced by small scripts on PATH (``dpkg-query``, ``apt-get``, ``id``):
a test cannot install or remove Debian packages on the machine it runs on.
"""

import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = "postgresql-15-postgis-3 gdal-bin"


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/usr/bin/env bash\n{body}\n")
    path.chmod(0o755)


def _run_like_scripts(tmp_path: Path, uid: int, with_apt: bool) -> subprocess.CompletedProcess:
    """Source the helper and call it as scripts/test does (banner now, and again at exit)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    installed = tmp_path / "installed"
    # installed once `apt-get install` has run
    _stub(bin_dir, "dpkg-query", f'[[ -e {installed} ]] && echo "install ok installed"')
    _stub(bin_dir, "id", f"echo {uid}")
    if with_apt:
        _stub(
            bin_dir,
            "apt-get",
            f'echo "apt-get $*" >> {tmp_path / "apt.log"}; '
            f"[[ $1 == install ]] && touch {installed}; true",
        )
    script = (
        f"set -euo pipefail; source {ROOT / 'scripts' / 'system-packages.sh'}; "
        'ensure_system_packages "the tests that need them are SKIPPED"; '
        "trap 'print_missing_system_packages \"${SYSTEM_PACKAGES_WHAT:-}\"' EXIT; "
        "echo body-ran"
    )
    for tool in ("bash", "grep", "touch"):  # nothing else: the real apt-get must not be found
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    return subprocess.run(
        [str(bin_dir / "bash"), "-c", script],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_without_root_the_missing_packages_are_named_at_start_and_at_exit(
    tmp_path: Path,
) -> None:
    result = _run_like_scripts(tmp_path, uid=1000, with_apt=True)
    assert result.returncode == 0, result.stderr
    assert "body-ran" in result.stdout
    for banner in result.stderr.split("MISSING SYSTEM PACKAGES")[1:]:
        assert PACKAGES in banner
        assert f"Fix (one command): sudo apt-get install -y {PACKAGES}" in banner
        assert "the tests that need them are SKIPPED" in banner
    assert result.stderr.count("MISSING SYSTEM PACKAGES") == 2, result.stderr
    assert not (tmp_path / "apt.log").exists(), "it ran apt-get without being root"


def test_as_root_with_apt_they_are_installed_and_nothing_is_printed_at_exit(
    tmp_path: Path,
) -> None:
    result = _run_like_scripts(tmp_path, uid=0, with_apt=True)
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "apt.log").read_text()
    assert "apt-get update" in log
    assert f"install -y -qq {PACKAGES}" in log
    assert "MISSING SYSTEM PACKAGES" not in result.stderr


def test_as_root_without_apt_the_banner_names_the_command(tmp_path: Path) -> None:
    result = _run_like_scripts(tmp_path, uid=0, with_apt=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(f"Fix (one command): apt-get install -y {PACKAGES}") == 2

# Sourced by scripts/dev and scripts/test: the system packages the platform needs locally.
#
#   postgresql-15-postgis-3   PostGIS for spatial_etl's join lane and its tests (no wheel has it)
#   gdal-bin                  ogr2ogr, the baseline of the vector ingest benchmark and tests
#
# `ensure_system_packages` installs the missing ones when it can (root with apt-get, as .ci/run
# does); otherwise it prints, loudly, what is missing, what it disables and the one command
# that fixes it, and prints that again when the script exits (so it is the last thing seen).
SYSTEM_PACKAGES=(postgresql-15-postgis-3 gdal-bin)
SYSTEM_PACKAGES_MISSING=()

_system_package_installed() {
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
        return
    fi
    case $1 in  # not Debian: look for what the package provides
        postgresql-*-postgis-*) compgen -G "/usr/share/postgresql/*/extension/postgis.control" >/dev/null ;;
        gdal-bin) command -v ogr2ogr >/dev/null 2>&1 ;;
        *) return 1 ;;
    esac
}

_missing_system_packages() {
    SYSTEM_PACKAGES_MISSING=()
    local pkg
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        _system_package_installed "$pkg" || SYSTEM_PACKAGES_MISSING+=("$pkg")
    done
}

# `print_missing_system_packages WHAT`: the banner; WHAT says what the missing packages disable.
print_missing_system_packages() {
    ((${#SYSTEM_PACKAGES_MISSING[@]})) || return 0
    local fix="apt-get install -y ${SYSTEM_PACKAGES_MISSING[*]}"
    [[ $(id -u) == 0 ]] || fix="sudo $fix"
    {
        echo "################################################################################"
        echo "# MISSING SYSTEM PACKAGES: ${SYSTEM_PACKAGES_MISSING[*]}"
        echo "# $1"
        echo "# Fix (one command): $fix"
        echo "################################################################################"
    } >&2
}

# `ensure_system_packages WHAT`: install what is missing if root with apt-get, else warn now and
# at exit. Set SKIP_SYSTEM_PACKAGES=1 to neither install nor warn.
ensure_system_packages() {
    [[ ${SKIP_SYSTEM_PACKAGES:-0} == 1 ]] && return 0
    _missing_system_packages
    ((${#SYSTEM_PACKAGES_MISSING[@]})) || return 0
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "installing system packages: ${SYSTEM_PACKAGES_MISSING[*]}" >&2
        if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq "${SYSTEM_PACKAGES_MISSING[@]}" >/dev/null; }; then
            _missing_system_packages
        fi
    fi
    ((${#SYSTEM_PACKAGES_MISSING[@]})) || return 0
    SYSTEM_PACKAGES_WHAT=$1
    print_missing_system_packages "$SYSTEM_PACKAGES_WHAT"
}

#!/usr/bin/env bash
# Install the Debian packages the tests need that are missing, after printing exactly what apt
# will do. Packages already installed are left as they are (apt-get --no-upgrade); apt upgrades
# one only when a new package needs a newer version of it, and the list says so beforehand.
# Usage: scripts/system-deps.sh [--dry-run] [PACKAGE...]
#   --dry-run  print what would be installed or upgraded and change nothing (any user)
#   PACKAGE    instead of the test suite's packages: tango-db tango-test libtango-tools mariadb-server
set -euo pipefail
dry_run=0
if [ "${1:-}" = "--dry-run" ]; then
    dry_run=1
    shift
fi
packages=("$@")
[ "${#packages[@]}" -gt 0 ] || packages=(tango-db tango-test libtango-tools mariadb-server)

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "Debian packages: all present (${packages[*]})" >&2
    exit 0
fi
echo "Debian packages missing: ${missing[*]}" >&2
apt=(apt-get install -y -q --no-upgrade "${missing[@]}")
if [ "$dry_run" -eq 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "Run as root to install them, or install them yourself: ${apt[*]}" >&2
        exit 1
    fi
    echo "Refreshing the package lists: apt-get update" >&2
    apt-get update -q >&2
fi
if ! plan="$(DEBIAN_FRONTEND=noninteractive "${apt[@]}" --simulate 2>&1)"; then
    echo "$plan" >&2
    exit 1
fi
new="$(awk '$1 == "Inst" && $3 !~ /^\[/ {printf "%s ", $2}' <<<"$plan")"
upgraded="$(awk '$1 == "Inst" && $3 ~ /^\[/ {gsub(/[][()]/, "", $3); gsub(/[()]/, "", $4);
                 printf "%s (%s -> %s) ", $2, $3, $4}' <<<"$plan")"
removed="$(awk '$1 == "Remv" {printf "%s ", $2}' <<<"$plan")"
echo "apt-get will install $(wc -w <<<"$new") new packages: ${new:-none}" >&2
if [ -n "$upgraded" ]; then
    echo "and upgrade these installed packages, which the new ones need in a newer version: $upgraded" >&2
fi
if [ -n "$removed" ]; then
    echo "Refusing: apt-get would remove installed packages: $removed(install by hand if you want that)" >&2
    exit 1
fi
if [ "$dry_run" -eq 1 ]; then
    echo "Dry run: nothing installed." >&2
    exit 0
fi
DEBIAN_FRONTEND=noninteractive "${apt[@]}" >&2

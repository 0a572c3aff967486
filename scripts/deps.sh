#!/usr/bin/env bash
# Installs, from Debian packages only, whatever the build and the tests need and is missing.
# Idempotent: a second run finds nothing to install and does nothing.
set -euo pipefail

PACKAGES=(
  build-essential meson ninja-build pkg-config clang
  libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3
  libgeos-dev libproj-dev proj-data libsodium-dev libcurl4-openssl-dev libcmocka-dev
  libical-dev libexpat1-dev libgnutls28-dev gnutls-bin libpq-dev postgresql libzip-dev
  python3 python3-pytest python3-requests python3-icalendar python3-cryptography python3-yaml python3-jsonschema python3-pytest-timeout python3-psycopg2 gdal-bin
  curl ca-certificates openssl
)
# Extra groups asked for by the caller (e.g. `deps.sh browser`).
for extra in "$@"; do
  case "$extra" in
    browser) PACKAGES+=(chromium tzdata); command -v node >/dev/null || PACKAGES+=(nodejs); command -v npm >/dev/null || PACKAGES+=(npm) ;; # a Node.js from elsewhere (with its npm) is kept
    web)     PACKAGES+=(tzdata); command -v node >/dev/null || PACKAGES+=(nodejs); command -v npm >/dev/null || PACKAGES+=(npm) ;;
    bench)   PACKAGES+=(postgresql postgis postgresql-15-postgis-3 libpq-dev wrk nginx-light bc) ;;
    *) echo "deps.sh: unknown group '$extra'" >&2; exit 1 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps.sh: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

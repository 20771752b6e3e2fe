#!/usr/bin/env bash
# Before the firmware host build: say plainly which Debian packages are missing, instead of
# letting CMake fail on the first pkg-config module it cannot find. `.ci/run` installs them all.
set -u
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
if command -v pkg-config >/dev/null 2>&1; then
  for pair in cmocka:libcmocka-dev libcjson:libcjson-dev libmosquitto:libmosquitto-dev libcrypto:libssl-dev; do
    pkg-config --exists "${pair%%:*}" || missing+=("${pair#*:}")
  done
else
  missing+=(pkg-config libcmocka-dev libcjson-dev libmosquitto-dev libssl-dev)
fi
# mbedTLS 2.x ships no pkg-config file on Debian 12: look for its header.
[ -f /usr/include/mbedtls/ecdsa.h ] || missing+=(libmbedtls-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "firmware host tests need Debian packages that are not installed: ${missing[*]}" >&2
  echo "install them with: apt-get update && apt-get install -y ${missing[*]}" >&2
  echo "(or run 'bash .ci/run', which installs everything the tests need and then runs them)" >&2
  exit 1
fi

#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what Compression Workbench needs to build and run on Debian 12, from Debian's own
# packages. `--tests` adds what the test suite and CI use. Run as root (or with sudo).
set -eu

packages="cmake ninja-build g++ git pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-svg-dev libqt6sql6-sqlite libqcustomplot-dev libdnnl-dev
  libsqlite3-dev
  libgl-dev fonts-dejavu-core"
if [ "${1:-}" = "--tests" ]; then
  packages="$packages clang-format xvfb xauth poppler-utils python3 python3-jsonschema sqlite3
    clang libclang-rt-14-dev libomp-dev"
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# shellcheck disable=SC2086 # the list is meant to split into words
$sudo apt-get install -y -q --no-install-recommends $packages

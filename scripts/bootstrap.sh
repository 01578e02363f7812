#!/usr/bin/env bash
# Set up everything kenshin needs on a fresh Debian machine: Debian packages (when
# root), a virtual environment in .venv with kenshin and its tools. Safe to run again:
# it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

install_debian_packages() {
  [ "$(id -u)" = 0 ] || { echo "bootstrap: not root; skipping Debian packages (the lab tests will say what is missing)"; return; }
  command -v apt-get >/dev/null || { echo "bootstrap: no apt-get; skipping Debian packages"; return; }
  local wanted missing=()
  wanted=$(grep -v '^\s*#' scripts/apt-packages.txt | awk 'NF {print $1}')
  for pkg in $wanted; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  # Keep the packages' daemons from starting system-wide: the lab starts its own copies.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  # Wait for another apt (a second set-up, unattended upgrades) instead of failing at once.
  local wait_lock=(-o DPkg::Lock::Timeout=600)
  apt-get "${wait_lock[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive apt-get "${wait_lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

install_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp="$VENV/.kenshin-installed"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[dev]'
    touch "$stamp"
  fi
}

install_debian_packages
install_python

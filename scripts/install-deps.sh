#!/usr/bin/env bash
# Installs the Debian 12 packages pvfhost needs to build, test and run.
# Only packages that are missing are installed; safe to run repeatedly.
set -euo pipefail

pkgs=(
  build-essential meson ninja-build pkg-config
  wabt clang lld tcc
  libzstd-dev libsodium-dev libsecp256k1-dev libxxhash-dev nettle-dev
  libseccomp-dev libcmocka-dev
  zstd xxd python3 nodejs
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

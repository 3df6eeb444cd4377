#!/usr/bin/env bash
# Installs the Debian packages etchsim needs to build and test, and nothing
# else. Safe to run repeatedly: packages already present are skipped, so a
# machine that has everything makes no network call at all.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libboost-dev libboost-system-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  python3 python3-venv curl
  clang libclang-rt-14-dev  # libFuzzer targets and their sanitizer runtimes
  clang-format  # scripts/check-format.sh (ctest lint.format)
  openssl                   # certificates for the TLS test
)
# Extra packages for optional jobs, requested with ETCHSIM_EXTRA_PACKAGES,
# e.g. "prometheus chromium" for the docker end-to-end test.
if [[ -n "${ETCHSIM_EXTRA_PACKAGES:-}" ]]; then
  read -r -a extra <<<"${ETCHSIM_EXTRA_PACKAGES}"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"

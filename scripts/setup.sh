#!/usr/bin/env bash
# Installs what deskgate needs to build, run and test on Debian 12, and nothing that is already there.
# Idempotent: a second run only checks. Used by `make run`, `make test` and CI.
set -euo pipefail

# Build and run dependencies (DESIGN.md §8).
build_packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libsqlite3-dev libtomlplusplus-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev libsodium-dev libssl-dev zlib1g-dev
  # The local desktop backend: Xvnc with a window manager and a terminal (the built-in Terminal type).
  tigervnc-standalone-server tigervnc-tools openbox xterm fonts-dejavu-core
)
# What the test suites start or link: GoogleTest, Google Benchmark, clang's libFuzzer, a sqlite3 shell for
# inspecting test databases, curl for the smoke test.
test_packages=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev sqlite3 curl
  # unzip checks the folder downloads of the file API.
  unzip
  # Real container engines for the docker backend's tests (started privately by the test harness), and
  # what their harness uses: ip for bridges, openssl for the TLS client-certificate test.
  docker.io podman iproute2 openssl
  # The test desktop image's web server (busybox httpd, static): a desktop with a web port.
  busybox-static
  # Reverse proxies whose shipped configurations (deploy/) are tested in front of deskgate.
  apache2 nginx-light haproxy
  # The browser the web UI's tests drive (tests/browser/, through npm playwright-core; never a downloaded one).
  chromium
  # The reference WebSocket-to-TCP bridge: a WebSocket-speaking desktop stand-in for the relay tests.
  websockify
)

wanted=("${build_packages[@]}")
testing=false
if [[ "${1:-}" == "--test" ]]; then
  testing=true
  wanted+=("${test_packages[@]}")
fi

# node and npm build the web UI (web/) and run the test OpenID provider (tests/idp). Debian 12's own nodejs is
# older than Vite needs (20.19) and its npm conflicts with a node from elsewhere, so an installed node is kept;
# only a machine without one gets Debian's packages.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  wanted+=(nodejs npm)
fi

# Installs a folder's npm packages exactly as its package-lock.json pins them, when they are missing or the
# lock changed since the last install.
npm_ci_if_stale() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/$1"
  if [[ ! -f "$dir/node_modules/.package-lock.json" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
    echo "setup: npm ci in $1/"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
}

# The UI's packages always; the test OpenID provider's (tests/idp) for the tests.
install_npm_packages() {
  npm_ci_if_stale web
  if [[ $testing == true ]]; then npm_ci_if_stale tests/idp; fi
}

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  install_npm_packages
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_npm_packages

#!/usr/bin/env bash
# Installs what deskgate needs to build, run and test on Debian 12, and nothing that is already there.
# Idempotent: a second run only checks. Used by `make run`, `make test` and CI.
set -euo pipefail

# Build and run dependencies (DESIGN.md §8).
build_packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libsqlite3-dev libtomlplusplus-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libcli11-dev libsodium-dev libssl-dev
  # The local desktop backend: Xvnc with a window manager and a terminal (the built-in Terminal type).
  tigervnc-standalone-server tigervnc-tools openbox xterm fonts-dejavu-core
)
# What the test suites start or link: GoogleTest, Google Benchmark, clang's libFuzzer, a sqlite3 shell for
# inspecting test databases, curl for the smoke test.
test_packages=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev sqlite3 curl
  # Real container engines for the docker backend's tests (started privately by the test harness), and
  # what their harness uses: ip for bridges, openssl for the TLS client-certificate test.
  docker.io podman iproute2 openssl
  # Reverse proxies whose shipped configurations (deploy/) are tested in front of deskgate.
  apache2 nginx-light haproxy
  # The browser the web UI's tests drive (tests/browser/, through npm playwright-core; never a downloaded one).
  chromium
  # The reference WebSocket-to-TCP bridge: a WebSocket-speaking desktop stand-in for the relay tests.
  websockify
)

wanted=("${build_packages[@]}")
if [[ "${1:-}" == "--test" ]]; then
  wanted+=("${test_packages[@]}")
fi

# Local desktops run as this unprivileged account when deskgate runs as root (config: local.run_as).
ensure_desktop_account() {
  if [[ $(id -u) -eq 0 ]] && ! id deskgate-desktop >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin deskgate-desktop
  fi
}

# The web UI (web/) is built with node and npm. Debian 12's own nodejs is older than Vite needs (20.19), so an
# installed newer node is kept; only a machine without any gets Debian's packages.
if ! command -v npm >/dev/null 2>&1; then
  wanted+=(nodejs npm)
fi

# Installs the UI's npm packages exactly as locked, when they are missing or older than the lockfile.
install_web_packages() {
  local web
  web="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web"
  if [[ ! -f "$web/node_modules/.package-lock.json" || "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]]; then
    echo "setup: npm ci in web/"
    (cd "$web" && npm ci --no-audit --no-fund)
  fi
}

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  ensure_desktop_account
  install_web_packages
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
ensure_desktop_account
install_web_packages

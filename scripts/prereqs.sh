#!/usr/bin/env bash
# Checks (in seconds) what building Moisson needs, and installs what is missing when run as
# root on Debian/Ubuntu; otherwise prints the exact command and stops, before any compile.
#   scripts/prereqs.sh          the build: Rust ≥ 1.89, a C/C++ compiler, make, libclang (RocksDB)
#   scripts/prereqs.sh --tests  the build, plus Chromium and Node.js for the browser test
# Source it (`. scripts/prereqs.sh`) to also get the compiler cache settings (ccache).
set -euo pipefail

moisson_prereqs() {
  local tests=0
  [ "${1:-}" = "--tests" ] && tests=1
  local missing=()

  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: Rust is missing: install it with" >&2
    echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . \"\$HOME/.cargo/env\"" >&2
    return 1
  fi
  local version
  version=$(rustc --version | awk '{print $2}')
  if [ "$(printf '%s\n' 1.89.0 "$version" | sort -V | head -n1)" != 1.89.0 ]; then
    echo "error: Rust $version is too old (1.89 or newer needed): rustup update stable" >&2
    return 1
  fi
  command -v c++ >/dev/null 2>&1 || missing+=(g++)
  # jemalloc (the allocator, built from source by tikv-jemalloc-sys) runs make.
  command -v make >/dev/null 2>&1 || missing+=(make)
  # bindgen (RocksDB's bindings) loads libclang at build time. libclang-cpp (a different
  # library, installed with other LLVM tools) does not count.
  if [ -z "${LIBCLANG_PATH:-}" ] && ! compgen -G '/usr/lib/llvm-*/lib/libclang.so*' >/dev/null \
      && ! compgen -G '/usr/lib/llvm-*/lib/libclang-[0-9]*.so*' >/dev/null \
      && ! compgen -G '/usr/lib/*/libclang.so*' >/dev/null \
      && ! compgen -G '/usr/lib/*/libclang-[0-9]*.so*' >/dev/null; then
    missing+=(libclang-dev)
  fi
  command -v ccache >/dev/null 2>&1 || missing+=(ccache)
  if [ "$tests" = 1 ]; then
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
  fi

  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "== installing ${missing[*]}"
      local apt_opts=(-o Acquire::Retries=1 -o Acquire::http::Timeout=20 -o Acquire::https::Timeout=20)
      if ! apt-get "${apt_opts[@]}" update -qq || ! DEBIAN_FRONTEND=noninteractive \
          apt-get "${apt_opts[@]}" install -y -qq "${missing[@]}" >/dev/null; then
        echo "error: could not install ${missing[*]} with apt-get (no package mirror reachable?)" >&2
        return 1
      fi
    else
      echo "error: missing prerequisites: ${missing[*]}; install them with" >&2
      echo "  sudo apt-get install -y ${missing[*]}" >&2
      if [ "$tests" = 1 ]; then
        echo "(or run the Rust tests alone with MOISSON_SKIP_BROWSER=1 once g++, libclang-dev are there)" >&2
      fi
      return 1
    fi
  fi

  # RocksDB is ~20 min of C++ on two cores: keep its objects in a cache outside the
  # checkout, so a fresh clone, a `cargo clean` or a second build profile reuses them.
  if command -v ccache >/dev/null 2>&1; then
    local default_dir="$HOME/.cache/moisson-ccache"
    [ "$(id -u)" = 0 ] && default_dir=/var/cache/moisson-ccache
    export CCACHE_DIR="${CCACHE_DIR:-$default_dir}" CCACHE_NOHASHDIR=1
    export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
    export CC="ccache cc" CXX="ccache c++"
    mkdir -p "$CCACHE_DIR"
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  moisson_prereqs "$@"
  echo "prerequisites: ok"
fi

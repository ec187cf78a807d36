#!/bin/bash
# The whole test suite: installs what is missing, builds with gcc and with clang+ASan+UBSan, runs the
# unit tests and fuzz corpora in both builds, then the integration tests against the real daemon in
# a throwaway systemd test host. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
        echo "tools/test.sh must run as root (it boots a systemd test host)." >&2
        exit 1
fi

bash tools/install-deps.sh

setup() {
        local dir=$1; shift
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" "$@"
        fi
        ninja -C "$dir"
}

echo "== gcc build"
setup build
echo "== clang ASan+UBSan build"
CC=clang setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1

# The gcc build's integration suites run once below, through pytest over tests/integration; the ASan
# build runs every meson suite, integration ones included, so the daemon is also exercised under ASan.
echo "== unit tests, fuzz corpora, toml-test (gcc)"
meson test -C build --print-errorlogs --no-rebuild --suite unit --suite fuzz-corpus --suite toml
echo "== every meson suite (ASan+UBSan)"
meson test -C build-asan --print-errorlogs --no-rebuild
echo "== unit tests under valgrind"
meson test -C build --print-errorlogs --no-rebuild --suite unit \
        --wrap='valgrind --leak-check=full --error-exitcode=1 --quiet'

echo "== integration tests"
CRIO_BUILD_DIR="$PWD/build" /usr/bin/python3 -m pytest -p no:cacheprovider -v tests/integration

# Fedora and RHEL run dbus-broker as the system bus, Debian dbus-daemon: the D-Bus API's tests run on
# both (testhost.py unpacks Debian's dbus-broker package for the host; the machine is left as it is).
echo "== D-Bus API tests on dbus-broker"
CRIO_TEST_BUS=dbus-broker CRIO_BUILD_DIR="$PWD/build" /usr/bin/python3 -m pytest -p no:cacheprovider -v \
        tests/integration/test_dbus.py tests/integration/test_dbus_pods.py tests/integration/test_dbus_containers.py

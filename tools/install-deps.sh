#!/bin/bash
# Installs what crio needs to build, test and run. Debian 12 (apt) is what CI runs; the Fedora/RHEL
# (dnf) name of each package stands beside it and is used on those hosts.
set -euo pipefail

# debian-package            fedora/rhel-package
PACKAGES=(
  "meson                     meson"
  "ninja-build               ninja-build"
  "pkg-config                pkgconf-pkg-config"
  "gcc                       gcc"
  "clang                     clang"
  "libclang-rt-14-dev        compiler-rt"
  "libsystemd-dev            systemd-devel"
  "protobuf-c-compiler       protobuf-c-compiler"
  "libprotobuf-c-dev         protobuf-c-devel"
  "protobuf-compiler         protobuf-compiler"
  "libprotobuf-dev           protobuf-devel"
  "libnghttp2-dev            libnghttp2-devel"
  "libseccomp-dev            libseccomp-devel"
  "libjson-glib-dev          json-glib-devel"
  "libglib2.0-dev            glib2-devel"
  "libcurl4-openssl-dev      libcurl-devel"
  "libarchive-dev            libarchive-devel"
  "libssl-dev                openssl-devel"
  "systemd                   systemd"
  "dbus                      dbus-daemon"
  "runc                      runc"
  "crun                      crun"
  "conmon                    conmon"
  "containernetworking-plugins containernetworking-plugins"
  "skopeo                    skopeo"
  "umoci                     umoci"
  "docker-registry           docker-distribution"
  "busybox-static            busybox"
  "apache2-utils             httpd-tools"
  "openssl                   openssl"
  "zstd                      zstd"
  "iproute2                  iproute"
  "iptables                  iptables"
  "util-linux                util-linux"
  "python3-grpcio            python3-grpcio"
  "python3-grpc-tools        python3-grpcio-tools"
  "python3-protobuf          python3-protobuf"
  "python3-pytest            python3-pytest"
  "python3-dbus              python3-dbus"
  "python3-gi                python3-gobject"
  "python3-hpack             python3-hpack"
  "python3-websocket         python3-websocket-client"
  "nghttp2-client            nghttp2"
  "valgrind                  valgrind"
)

column=1
installer=(apt-get install -y -q --no-install-recommends)
if [ -r /etc/os-release ] && grep -qE '^ID(_LIKE)?=.*(fedora|rhel|centos)' /etc/os-release; then
        column=2
        installer=(dnf install -y)
fi

names=()
for row in "${PACKAGES[@]}"; do
        read -r deb rpm <<<"$row"
        if [ "$column" = 1 ]; then names+=("$deb"); else names+=("$rpm"); fi
done

if [ "$column" = 1 ]; then
        missing=()
        for n in "${names[@]}"; do
                dpkg-query -W -f='${Status}' "$n" 2>/dev/null | grep -q "install ok installed" || missing+=("$n")
        done
        if [ ${#missing[@]} -eq 0 ]; then
                echo "install-deps: all ${#names[@]} packages present"
                exit 0
        fi
        echo "install-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        # Debian starts services on install; policy-rc.d keeps docker-registry and friends from starting.
        policy=/usr/sbin/policy-rc.d
        if [ ! -e "$policy" ]; then
                printf '#!/bin/sh\nexit 101\n' >"$policy"
                chmod +x "$policy"
                trap 'rm -f "$policy"' EXIT
        fi
        "${installer[@]}" "${missing[@]}"
        exit 0
fi
"${installer[@]}" "${names[@]}"

#!/usr/bin/env bash
# build-images.sh [BUILD_DIR]: builds two small local images, no registry
# needed (nothing is pulled; the only network use is Debian's archive):
#   etchsim:local             FROM scratch: the etchsim binary and exactly the
#                             shared libraries it links (ldd), nothing else.
#   etchsim-prometheus:local  FROM scratch: the prometheus server from
#                             Debian's `prometheus` package, with its libc,
#                             and its web UI (templates and static files
#                             under /usr/share/prometheus/web, where
#                             Debian's build reads them; the static files
#                             are symlinks into the libjs-* packages, which
#                             are copied in resolved).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build/release}
bin=$build/etchsim
[ -x "$bin" ] || { echo "build-images: no binary at $bin (build first)" >&2; exit 2; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# Copies a binary's dynamic libraries (and the loader) under $2.
copy_libs() {
  local exe=$1 root=$2
  ldd "$exe" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# docker build, quiet unless it fails (the legacy builder warns on stderr).
image_build() {
  docker build -q -t "$1" "$2" > "$ctx/build.log" 2>&1 || { cat "$ctx/build.log" >&2; exit 1; }
}

# --- etchsim -----------------------------------------------------------
root=$ctx/etchsim/rootfs
mkdir -p "$root/tmp"
cp "$bin" "$root/etchsim"
strip "$root/etchsim" 2>/dev/null || true
copy_libs "$bin" "$root"
cat > "$ctx/etchsim/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENTRYPOINT ["/etchsim"]
DOCKERFILE
image_build etchsim:local "$ctx/etchsim"
echo "etchsim:local $(docker image inspect -f '{{.Size}}' etchsim:local | awk '{ printf "%.1f MB", $1 / 1e6 }')"

# --- prometheus --------------------------------------------------------
# The server and the packages its web UI links into (Debian's `Depends:`
# of prometheus that are JavaScript or fonts).
web_debs=(libjs-jquery libjs-bootstrap4 libjs-d3 libjs-eonasdan-bootstrap-datetimepicker
  libjs-jquery-hotkeys libjs-moment libjs-moment-timezone libjs-mustache libjs-popper.js
  libjs-rickshaw fonts-glyphicons-halflings)
mkdir -p "$ctx/deb"
(cd "$ctx/deb" && apt-get download prometheus "${web_debs[@]}" > /dev/null 2>&1) || {
  apt-get update -qq > /dev/null && (cd "$ctx/deb" && apt-get download prometheus "${web_debs[@]}" > /dev/null 2>&1)
} || { echo "build-images: apt-get download prometheus ${web_debs[*]} failed" >&2; exit 1; }
for deb in "$ctx"/deb/*.deb; do dpkg-deb -x "$deb" "$ctx/deb/x"; done
root=$ctx/prometheus/rootfs
mkdir -p "$root/bin" "$root/prometheus" "$root/etc/prometheus" "$root/tmp"
cp "$ctx/deb/x/usr/bin/prometheus" "$root/bin/"
copy_libs "$root/bin/prometheus" "$root"
# The UI with its symlinks resolved; moment-timezone's raw zone data
# (210 MB) is not used by the pages, which load the bundled
# moment-timezone-with-data.min.js.
mkdir -p "$root/usr/share/prometheus"
cp -rL "$ctx/deb/x/usr/share/prometheus/web" "$root/usr/share/prometheus/web"
rm -rf "$root/usr/share/prometheus/web/static/moment-timezone/data"
[ -f "$root/usr/share/prometheus/web/templates/_base.html" ] &&
  [ -f "$root/usr/share/prometheus/web/static/jquery/jquery.min.js" ] ||
  { echo "build-images: the Prometheus web UI is incomplete" >&2; exit 1; }
cat > "$ctx/prometheus/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENTRYPOINT ["/bin/prometheus"]
DOCKERFILE
image_build etchsim-prometheus:local "$ctx/prometheus"
echo "etchsim-prometheus:local $(docker image inspect -f '{{.Size}}' etchsim-prometheus:local | awk '{ printf "%.1f MB", $1 / 1e6 }')"

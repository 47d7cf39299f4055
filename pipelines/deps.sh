#!/bin/sh
# deps.sh build|test|data|bench|pipelines — make sure what a make target needs is here.
# Installs missing Debian packages with apt-get when run as root; otherwise
# prints the package names and fails.
set -u
what=${1:-build}

need=""
have_header() { printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - >/dev/null 2>&1; }
have_py() { /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
have_cmd() { command -v "$1" >/dev/null 2>&1; }

# build: compiler, BLAS/LAPACK, zstd, xxHash (record checksums), libpng, zlib
have_cmd cc || need="$need gcc"
have_cmd make || need="$need make"
have_header cblas.h || need="$need libopenblas-dev"
have_header zstd.h || need="$need libzstd-dev"
have_header xxhash.h || need="$need libxxhash-dev"
have_header png.h || need="$need libpng-dev"
have_header zlib.h || need="$need zlib1g-dev"

case $what in
test)
    # the reference reader and the round-trip checks use NumPy, xxhash, zstd
    have_py numpy || need="$need python3-numpy"
    have_py xxhash || need="$need python3-xxhash"
    have_py zstandard || need="$need python3-zstandard"
    have_cmd zstd || need="$need zstd"
    have_cmd clang || need="$need clang"
    ;;
data)
    have_cmd npm || need="$need npm"
    ;;
pipelines)
    have_cmd gnuplot || need="$need gnuplot-nox"
    ;;
bench)
    have_cmd hyperfine || need="$need hyperfine"
    have_cmd zstd || need="$need zstd"
    [ -x /usr/bin/time ] || need="$need time"
    have_py numpy || need="$need python3-numpy"
    have_py torch || need="$need python3-torch"
    have_py sklearn || need="$need python3-sklearn"
    ;;
esac

[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && have_cmd apt-get; then
    echo "deps.sh: installing$need" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -q $need >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $need >/dev/null; }; } ||
      { echo "deps.sh: apt-get install$need failed" >&2; exit 1; }
    exit 0
fi
echo "deps.sh: missing packages:$need" >&2
echo "deps.sh: install them with: sudo apt-get install$need" >&2
exit 1

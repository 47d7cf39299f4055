#!/bin/sh
# check-layers.sh BUILD — the library's layers, checked on its objects.
#
# Every object under BUILD/lib/LAYER/ may refer only to nn_ symbols defined
# in its own layer or in a layer below it, and the objects of the tool layer
# (BUILD/tools/common/) to any of the library's:
#
#   base (0)  <-  stream, io, linalg (1, not each other)  <-  net (2)
#             <-  methods (3)  <-  tools/common (4)
#
# and no library object may print to stderr, exit, abort or touch signals,
# getopt or atexit: that is the tool layer's work.  Also checks that every
# #include "..." of a library source names a header of its own layer or a
# lower one.  One line per fault; the last line is "check-layers: N faults".
set -u
build=${1:-build/obj}
cd "$(dirname "$0")/.." || exit 2

allowed() { # layer -> the layers it may use
    case $1 in
    base) echo "base" ;;
    stream) echo "base stream" ;;
    io) echo "base io" ;;
    linalg) echo "base linalg" ;;
    net) echo "base stream io linalg net" ;;
    methods) echo "base stream io linalg net methods" ;;
    common) echo "base stream io linalg net methods common" ;;
    esac
}
layers="base stream io linalg net methods"

objs=""
for l in $layers; do
    set -- "$build"/lib/$l/*.o
    [ -e "$1" ] || { echo "check-layers: no objects in $build/lib/$l (build first)"; exit 2; }
    objs="$objs $*"
done
tool_objs=$(ls "$build"/tools/common/*.o 2>/dev/null)
[ -n "$tool_objs" ] || { echo "check-layers: no objects in $build/tools/common"; exit 2; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# where each nn_ symbol is defined: "symbol layer file"
for o in $objs $tool_objs; do
    case $o in
    */tools/common/*) l=common ;;
    *) l=$(basename "$(dirname "$o")") ;;
    esac
    nm --defined-only -g "$o" | awk -v l="$l" -v f="$o" '$3 ~ /^nn_/ {print $3, l, f}'
done | sort >"$tmp/defs"

faults=0
for o in $objs $tool_objs; do
    case $o in
    */tools/common/*) l=common ;;
    *) l=$(basename "$(dirname "$o")") ;;
    esac
    ok=$(allowed "$l")
    src=${o#"$build"/}
    src=${src%.o}.c
    nm -u "$o" | awk '{print $2}' | sort -u >"$tmp/undef"
    # references that run the wrong way
    join "$tmp/undef" "$tmp/defs" | while read -r sym dl df; do
        case " $ok " in
        *" $dl "*) ;;
        *) echo "$src ($l) uses $sym from $dl (${df#"$build"/})" ;;
        esac
    done >>"$tmp/faults"
    # what only the tool layer may do
    if [ "$l" != common ]; then
        grep -xE 'exit|_exit|abort|atexit|signal|sigaction|raise|printf|vprintf|fprintf|vfprintf|puts|fputs|putchar|putc|fputc|perror|stderr|getopt|getopt_long|optarg|optind|opterr' \
            "$tmp/undef" | while read -r sym; do
            echo "$src ($l) calls $sym: printing, exits and signals belong to tools/common"
        done >>"$tmp/faults"
    fi
done

# includes of library sources and headers
for f in lib/*/*.c lib/*/*.h; do
    l=$(basename "$(dirname "$f")")
    ok=$(allowed "$l")
    grep -o '^#include "[^"]*"' "$f" | sed 's/^#include "//; s/"$//' | while read -r h; do
        hl=${h%%/*}
        [ "$hl" = "$h" ] && { echo "$f includes \"$h\": name headers by layer (\"base/nn_base.h\")"; continue; }
        case " $ok " in
        *" $hl "*) ;;
        *) echo "$f ($l) includes $h from $hl" ;;
        esac
    done >>"$tmp/faults"
done

touch "$tmp/faults"
cat "$tmp/faults"
faults=$(wc -l <"$tmp/faults")
echo "check-layers: $faults faults"
[ "$faults" -eq 0 ]

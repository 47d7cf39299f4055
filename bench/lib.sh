# lib.sh — what the benchmark scripts share (sourced from the top of the
# repository): the settings, a temporary directory T, the report R, timing
# with hyperfine, peak memory, the test data, and the report's header and
# footer.  Environment: NN_BIN (the tools, default bin/), BENCH_RUNS
# (default 5), BENCH_OUT (the report, default bench/results/NAME.md for
# bench/NAME.sh); a script may set WARMUP (default 1) before sourcing.
# The commands below run as written, in sh, with the tools first on PATH
# and $T the temporary directory (exported, so hyperfine's shell sees it).
TOP=$(pwd)
NN_BIN=${NN_BIN:-$TOP/bin}
RUNS=${BENCH_RUNS:-5}
WARMUP=${WARMUP:-1}
OUT=${BENCH_OUT:-bench/results/$(basename "$0" .sh).md}
MNIST=data/mnist
PATH=$NN_BIN:$PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/nn-bench.XXXXXX")
export PATH T
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
R=$T/report.md
: >"$R"

say() { echo "$(basename "$0"): $*" >&2; }
md() { printf '%s\n' "$*" >>"$R"; }
size() { wc -c <"$1" | tr -d ' '; }
load() { awk '{ print $1, $2, $3 }' /proc/loadavg; }
# cell TEXT: TEXT as code in a Markdown table cell ("|" escaped).
cell() { printf '`%s`' "$1" | sed 's/|/\\|/g'; }

# bench NAME CMD [HYPERFINE OPTION]...: times CMD (run by sh) and appends
# "NAME runs mean stddev min median" (seconds) to $T/times.  The options replace
# the default warmup and number of runs.  A failing run fails the benchmark.
bench() {
    name=$1 cmd=$2
    shift 2
    [ $# -gt 0 ] || set -- --warmup $WARMUP --min-runs "$RUNS"
    say "timing: $cmd"
    hyperfine --style none "$@" \
        --export-json "$T/h.json" -n "$name" "$cmd" </dev/null >/dev/null
    awk -v name="$name" '
        /"times": *\[/ { inlist = 1; next }
        inlist && /\]/ { inlist = 0; next }
        inlist { runs++; next }
        /"(mean|stddev|min|median)":/ {
            v = $2; sub(/,$/, "", v); k = $1; gsub(/[":]/, "", k); val[k] = v
        }
        END { print name, runs, val["mean"], val["stddev"], val["min"], val["median"] }
    ' "$T/h.json" >>"$T/times"
}

# field NAME COLUMN: a column of NAME's line in $T/times (2 runs, 3 mean,
# 4 stddev, 5 min, 6 median).
field() { awk -v n="$1" -v c="$2" '$1 == n { v = $c } END { print v }' "$T/times"; }

# ms NAME: "mean ± stddev" in milliseconds.
ms() {
    awk -v m="$(field "$1" 3)" -v s="$(field "$1" 4)" 'BEGIN {
        if (s == "" || s == "null") printf "%.0f", m * 1000
        else if (m < 1) printf "%.1f ± %.1f", m * 1000, s * 1000
        else printf "%.0f ± %.0f", m * 1000, s * 1000 }'
}

# rss PRODUCER TOOL: max RSS of TOOL (MiB) reading PRODUCER's output, or of
# TOOL alone when PRODUCER is empty; fails if TOOL fails.
rss() {
    if [ -n "$1" ]; then
        sh -c "$1 | /usr/bin/time -v -o \"\$T/time.txt\" $2 > /dev/null"
    else
        sh -c "/usr/bin/time -v -o \"\$T/time.txt\" $2 > /dev/null"
    fi
    awk '/Exit status:/ && $NF != 0 { bad = 1 }
         /Maximum resident set size/ { kb = $NF }
         END { if (bad || kb == "") exit 1; printf "%.1f", kb / 1024 }' "$T/time.txt" ||
        { echo "bench: failed: $1 | $2" >&2; exit 1; }
}

# ten FILE: a command writing FILE ten times (a stream of 10x the rows).
ten() { echo "for i in 1 2 3 4 5 6 7 8 9 10; do cat $1; done"; }

# mnist_centred FILE: the MNIST training set in [0,1], centred with
# nn-standardize --center (as pipelines/mnist.mk makes it), to FILE.
mnist_centred() {
    nn-import --scale 1/255 $MNIST/train-images-idx3-ubyte $MNIST/train-labels-idx1-ubyte > "$T/raw.nns"
    nn-standardize --fit "$T/raw.nns" > "$T/means.nns"
    nn-standardize --center --stats "$T/means.nns" "$T/raw.nns" > "$1"
    rm "$T/raw.nns" "$T/means.nns"
}

# header TITLE: the report's title and the machine it ran on.
header() {
TITLE=$1
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
[ -n "$cpu" ] || cpu=$(uname -m)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || echo unknown)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- lib tools 2>/dev/null)" ]; then
    rev="$rev (lib/ or tools/ modified)"
fi
load0=$(load)
md "# $TITLE"
md ""
md "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
md "- Machine: $(nproc) CPUs ($cpu), $ram RAM; $os, $(uname -sr)"
md "- Tools: nn tools $("$NN_BIN/nn-info" --version | awk '{ print $NF }') at git $rev," \
   "built with \`$(${CC:-cc} --version | head -1)\`; $(hyperfine --version)"
md "- Every command below runs as written in \`sh\`, from the top of the" \
   "repository, with \`PATH=bin:\$PATH\` and \`T\` a temporary directory" \
   "(\`mktemp -d \${TMPDIR:-/tmp}/nn-bench.XXXXXX\`, removed at the end)."
md "- Times: \`hyperfine --warmup $WARMUP --min-runs $RUNS\` (more runs when" \
   "a command is short; page cache warm), mean ± standard deviation." \
   "MB/s counts 10^6 bytes of the stream read. Memory: maximum resident set" \
   "size from \`/usr/bin/time -v\`, in MiB."
md "- Load average (1, 5, 15 min) when the run started: $load0; when it ended:" \
   "LOAD_END. The machine may be shared: with other load the pipe timings" \
   "(which need two CPUs) vary most, hence the medians."
md ""
}

# footer: completes the report, prints it and copies it to $OUT.
footer() {
sed "s|LOAD_END|$(load)|" "$R" >"$R.tmp" && mv "$R.tmp" "$R"
cat "$R"
mkdir -p "$(dirname "$OUT")"
cp "$R" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
say "report written to $OUT"
}

#!/bin/sh
# train.sh — one epoch of nn-train (Adam, f32 passes) on MNIST (60000x784,
# centred) for 784-392-50-10 with batches of 128 and 784-1024-1024-10
# with batches of 256 (ReLU, softmax): against the sgemm calls of its tape
# alone (the same shapes, data in memory: bench/gemm_train.c) and a
# straightforward PyTorch version (bench/train_torch.py); where the time
# goes (perf, when it can record); peak memory on the training set from a
# file, from a pipe and ten times over.  Writes bench/results/train.md.
# BUILD: the build whose libnn.a optim_step links (default build/obj).
#
# bench/train.sh ratios: the ratios alone (a minute), to
# bench/results/train-ratios.md: for each network three rounds of the
# sgemm calls alone and three epochs of nn-train, one after the other (so
# that both meet the same load), the ratio of each round (the median of
# its epochs over its sgemm time) and their median.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
if [ "${1-}" = ratios ]; then
    OUT=${BENCH_OUT:-bench/results/train-ratios.md}
    header "nn-train against its sgemm calls"
    SMALL=784-392-50-10 SB=128
    LARGE=784-1024-1024-10 LB=256
    say "making the centred training set, the networks and the sgemm reference"
    mnist_centred "$T/train.nns"
    ${CC:-cc} -O2 -o "$T/gemm_train" bench/gemm_train.c -lopenblas
    sync # the data's 376 MB of dirty pages written back now, not in round 1
    blas=$("$T/gemm_train" 1 1 1-1 2>&1 >/dev/null | sed 's/^gemm_train: //')
    envs=$(for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS; do
        eval "x=\${$v-unset}"; printf '%s=%s, ' "$v" "$x"; done | sed 's/, $//')
    md "Data: \`mnist_centred\` (\`bench/lib.sh\`); networks \`nn-init --seed 1" \
       "-O softmax ARCH\`, nn-train's defaults (Adam, f32). BLAS: $blas ($envs)." \
       "A round: \`gemm_train 60000 BATCH ARCH\` (the epoch's sgemm calls alone)," \
       "then \`nn-train -e 3 -b BATCH --log L net train\` (the epochs' seconds by" \
       "its own clock, from L, sorted); the round's ratio is the median of its three" \
       "epochs over its sgemm time."
    md ""
    md "| network, batch | round | sgemm alone (s) | nn-train epochs (s) | ratio |"
    md "|---|--:|--:|--:|--:|"
    for spec in "$SMALL $SB" "$LARGE $LB"; do
        set -- $spec
        arch=$1 b=$2
        nn-init --seed 1 -O softmax "$arch" > "$T/net.nns"
        : > "$T/ratios"
        for r in 1 2 3; do
            say "$arch, batch $b, round $r"
            g=$("$T/gemm_train" 60000 "$b" "$arch" 2>/dev/null | cut -d' ' -f1)
            nn-train -e 3 -b "$b" --log "$T/log" "$T/net.nns" "$T/train.nns" > /dev/null
            ep=$(nn-export -f csv -n log "$T/log" | cut -d, -f6 | sort -n | paste -sd' ')
            set -- $ep
            awk -v g="$g" -v e="$ep" -v med="$2" 'BEGIN { print med / g }' >> "$T/ratios"
            md "$(awk -v a="$arch" -v b="$b" -v r="$r" -v g="$g" -v e="$ep" -v med="$2" 'BEGIN {
                n = split(e, x, " "); s = ""
                for (i = 1; i <= n; i++) s = s (i > 1 ? ", " : "") sprintf("%.2f", x[i])
                printf "| %s, %s | %d | %.2f | %s | %.2f |", a, b, r, g, s, med / g }')"
        done
        md "$(sort -n "$T/ratios" | awk -v a="$arch" -v b="$b" 'NR == 2 {
            printf "| %s, %s | **median** | | | **%.2f** |", a, b, $1 }')"
    done
    md ""
    footer
    exit 0
fi
header "nn-train benchmarks"

SMALL=784-392-50-10 SB=128
LARGE=784-1024-1024-10 LB=256
say "making the centred training set, the networks and the sgemm reference"
mnist_centred "$T/train.nns"
nn-init --seed 1 -O softmax $SMALL > "$T/small.nns"
nn-init --seed 1 -O softmax $LARGE > "$T/large.nns"
${CC:-cc} -O2 -o "$T/gemm_train" bench/gemm_train.c -lopenblas
${CC:-cc} -O2 -o "$T/row_gather" bench/row_gather.c
${CC:-cc} -O2 -Ilib -o "$T/optim_step" bench/optim_step.c ${BUILD:-build/obj}/libnn.a \
    -lopenblas -lpng -lzstd -lxxhash -lz -lm

# OpenBLAS as every program below finds it (the same library and
# environment for nn-train, gemm_train and PyTorch)
blas=$("$T/gemm_train" 1 1 1-1 2>&1 >/dev/null | sed 's/^gemm_train: //')
envs=$(for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS; do
    eval "x=\${$v-unset}"; printf '%s=%s, ' "$v" "$x"; done | sed 's/, $//')

# time NAME ARCH BATCH: hyperfine over nn-train -e 1 and -e 0 (the load
# and the write alone), one run with -v (nn-train's own epoch time, loss
# and accuracy), the sgemm calls alone (5 runs), the same two with
# OpenBLAS on one thread (3 epochs, 3 runs), and PyTorch (3 epochs with
# OpenBLAS's thread count, 3 with torch.set_num_threads(1))
time_net() {
    n=$1 arch=$2 b=$3
    bench "${n}1" "nn-train -e 1 -b $b \$T/$n.nns \$T/train.nns > /dev/null"
    bench "${n}0" "nn-train -e 0 -b $b \$T/$n.nns \$T/train.nns > /dev/null"
    nn-train -v -e 1 -b "$b" "$T/$n.nns" "$T/train.nns" 2>&1 >/dev/null |
        sed -n 's/.*epoch 1\/1: loss \([^,]*\), train \([^%]*\)%, \([^ ]*\) s.*/\3 \1 \2/p' > "$T/$n.log"
    # three epochs, nn-train's own clock per epoch (as PyTorch's is timed)
    nn-train -e 3 -b "$b" --log "$T/$n.log3" "$T/$n.nns" "$T/train.nns" > /dev/null
    nn-export -f csv -n log "$T/$n.log3" | cut -d, -f6 | paste -sd' ' > "$T/$n.ep3"
    for i in 1 2 3 4 5; do "$T/gemm_train" 60000 "$b" "$arch" 2>/dev/null; done |
        sort -n > "$T/$n.gemm"
    # both sides again with OpenBLAS on one thread (nn-train then runs no
    # helper thread either)
    OPENBLAS_NUM_THREADS=1 nn-train -e 3 -b "$b" --log "$T/$n.log1" "$T/$n.nns" "$T/train.nns" > /dev/null
    nn-export -f csv -n log "$T/$n.log1" | cut -d, -f6 | paste -sd' ' > "$T/$n.ep1t"
    for i in 1 2 3; do OPENBLAS_NUM_THREADS=1 "$T/gemm_train" 60000 "$b" "$arch" 2>/dev/null; done |
        sort -n > "$T/$n.gemm1"
    say "PyTorch, $arch, batch $b"
    /usr/bin/python3 bench/train_torch.py "$T/$n.nns" "$T/train.nns" "$b" 3 \
        > "$T/$n.torch" 2> "$T/$n.torch.err" || : > "$T/$n.torch"
    /usr/bin/python3 bench/train_torch.py "$T/$n.nns" "$T/train.nns" "$b" 3 1 \
        > "$T/$n.torch1" 2>/dev/null || : > "$T/$n.torch1"
}
"$T/row_gather" 60000 3136 > "$T/gather"
time_net small $SMALL $SB
time_net large $LARGE $LB

# med3 FILE: the median of the three numbers on FILE's first line
med3() { head -1 "$1" | tr ' ' '\n' | sort -n | sed -n 2p; }
flops() { awk -v a="$1" 'BEGIN { n = split(a, w, "-"); f = 0
    for (i = 1; i < n; i++) f += 2 * 60000 * w[i] * w[i + 1] * (i > 1 ? 3 : 2)
    printf "%.0f", f / 1e9 }'; }

md "## Time"
md ""
md "Data: \`nn-import --scale 1/255\` of the MNIST training set, centred with" \
   "\`nn-standardize --center\` (60000x784 f32, \`mnist_centred\` in" \
   "\`bench/lib.sh\`). Networks: \`nn-init --seed 1 -O softmax ARCH\` (ReLU" \
   "hidden layers, He-normal), trained with nn-train's defaults (Adam, lr" \
   "1e-3, f32 passes, xent) for one epoch. BLAS: $blas ($envs); the" \
   "same library and environment for all three programs. An epoch's sgemm" \
   "work: $(flops $SMALL) GFLOP for $SMALL, $(flops $LARGE) GFLOP for $LARGE" \
   "(forward, dW for every layer, dX for every layer but the first)."
md ""
md "| what | $SMALL, batch $SB (s) | × sgemm | $LARGE, batch $LB (s) | × sgemm |"
md "|---|--:|--:|--:|--:|"
g1=$(sed -n 3p "$T/small.gemm" | cut -d' ' -f1)
g2=$(sed -n 3p "$T/large.gemm" | cut -d' ' -f1)
# row NAME A B [TEXT_A TEXT_B]: seconds A and B (shown as the texts when
# given) and their ratios to the sgemm medians
row() { awk -v n="$1" -v a="$2" -v b="$3" -v ta="${4-}" -v tb="${5-}" \
        -v ga="$g1" -v gb="$g2" 'BEGIN {
    if (ta == "") ta = sprintf("%.2f", a)
    if (tb == "") tb = sprintf("%.2f", b)
    printf "| %s | %s | %.2f | %s | %.2f |\n", n, ta, a / ga, tb, b / gb }' >>"$R"; }
# hf NAME: "mean ± sd (min)" of a hyperfine line, in seconds
hf() { awk -v m="$(field "$1" 3)" -v s="$(field "$1" 4)" -v l="$(field "$1" 5)" \
    'BEGIN { printf "%.2f ± %.2f (min %.2f)", m, s, l }'; }
# secs: the numbers on standard input's first line, to 2 decimals
secs() { awk 'NR == 1 { for (i = 1; i <= NF; i++) printf "%s%.2f", (i > 1 ? ", " : ""), $i }'; }
# runs FILE: the first column of FILE, the sgemm runs, as one line
runs() { cut -d' ' -f1 "$1" | tr '\n' ' ' | secs; }
row "the sgemm calls alone (\`bench/gemm_train.c 60000 BATCH ARCH\`, median of 5)" "$g1" "$g2"
set -- $("$T/optim_step" 60000 $SB $SMALL) ; o1=$1 bw1=$2
set -- $("$T/optim_step" 60000 $LB $LARGE) ; o2=$1 bw2=$2
set -- $(OPENBLAS_NUM_THREADS=1 "$T/optim_step" 60000 $SB $SMALL) ; u1=$1
set -- $(OPENBLAS_NUM_THREADS=1 "$T/optim_step" 60000 $LB $LARGE) ; u2=$1
row "Adam's steps alone, f32 (\`bench/optim_step.c 60000 BATCH ARCH\`: $bw1 and $bw2 GB/s; the caller and the helper thread; on one thread alone $u1 and $u2 s)" "$o1" "$o2"
row "the sgemm calls and Adam's steps: the least an epoch can take" \
    "$(awk -v a="$g1" -v b="$o1" 'BEGIN { print a + b }')" "$(awk -v a="$g2" -v b="$o2" 'BEGIN { print a + b }')"
e1=$(awk -v a="$(field small1 3)" -v b="$(field small0 3)" 'BEGIN { print a - b }')
e2=$(awk -v a="$(field large1 3)" -v b="$(field large0 3)" 'BEGIN { print a - b }')
s1=$(med3 "$T/small.ep3") s2=$(med3 "$T/large.ep3")
row "**nn-train, one epoch**: the median of 3 epochs by its own clock (\`--log\` seconds: $(secs <"$T/small.ep3"); $(secs <"$T/large.ep3"))" "$s1" "$s2"
row "… the first epoch, with what it costs once: \`-e 1\` minus \`-e 0\` (hyperfine means)" "$e1" "$e2"
row "… \`nn-train -e 1 -b BATCH net train > /dev/null\` (hyperfine; runs: $(field small1 2), $(field large1 2))" \
    "$(field small1 3)" "$(field large1 3)" "$(hf small1)" "$(hf large1)"
row "… \`nn-train -e 0\`: reading the data and the net, writing the net (runs: $(field small0 2), $(field large0 2))" \
    "$(field small0 3)" "$(field large0 3)" "$(hf small0)" "$(hf large0)"
row "… nn-train's own epoch time (\`-v\`, to 0.1 s; one run)" "$(cut -d' ' -f1 "$T/small.log")" "$(cut -d' ' -f1 "$T/large.log")"
h1=$(sed -n 2p "$T/small.gemm1" | cut -d' ' -f1) h2=$(sed -n 2p "$T/large.gemm1" | cut -d' ' -f1)
n1=$(med3 "$T/small.ep1t") n2=$(med3 "$T/large.ep1t")
md "$(awk -v a="$h1" -v b="$h2" 'BEGIN {
    printf "| with OpenBLAS on one thread (`OPENBLAS_NUM_THREADS=1` for both): the sgemm calls alone, median of 3 | %.2f | 1.00 | %.2f | 1.00 |", a, b }')"
md "$(awk -v a="$n1" -v b="$n2" -v ga="$h1" -v gb="$h2" -v ta="$(secs <"$T/small.ep1t")" -v tb="$(secs <"$T/large.ep1t")" 'BEGIN {
    printf "| … nn-train, the median of 3 epochs (`--log` seconds: %s; %s) | %.2f | %.2f | %.2f | %.2f |", ta, tb, a, a / ga, b, b / gb }')"
tv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)' 2>/dev/null || echo "?")
if [ -s "$T/small.torch" ] && [ -s "$T/large.torch" ]; then
    row "PyTorch $tv (\`bench/train_torch.py\`): $(sed 's/^train_torch: [^,]*, //' "$T/small.torch.err"); median of 3 epochs" "$(med3 "$T/small.torch")" "$(med3 "$T/large.torch")"
fi
if [ -s "$T/small.torch1" ] && [ -s "$T/large.torch1" ]; then
    row "… the same with \`torch.set_num_threads(1)\` (OpenBLAS still $(echo "$blas" | sed 's/.*, //')); median of 3 epochs" "$(med3 "$T/small.torch1")" "$(med3 "$T/large.torch1")"
fi
md ""
md "Ratios (one epoch: the median of three, as PyTorch's):"
md ""
md "| | $SMALL | $LARGE | target |"
md "|---|--:|--:|---|"
md "$(awk -v a="$s1" -v b="$s2" -v ga="$g1" -v gb="$g2" 'BEGIN {
    printf "| nn-train / sgemm alone | %.2f | %.2f | ≤ 1.3 |", a / ga, b / gb }')"
md "$(awk -v a="$n1" -v b="$n2" -v ga="$h1" -v gb="$h2" 'BEGIN {
    printf "| … both on one thread | %.2f | %.2f | |", a / ga, b / gb }')"
if [ -s "$T/small.torch" ] && [ -s "$T/large.torch" ]; then
    md "$(awk -v a="$s1" -v b="$s2" -v ta="$(med3 "$T/small.torch")" -v tb="$(med3 "$T/large.torch")" 'BEGIN {
        printf "| nn-train / PyTorch | %.2f | %.2f | < 1 |", a / ta, b / tb }')"
fi
if [ -s "$T/small.torch1" ] && [ -s "$T/large.torch1" ]; then
    md "$(awk -v a="$s1" -v b="$s2" -v ta="$(med3 "$T/small.torch1")" -v tb="$(med3 "$T/large.torch1")" 'BEGIN {
        printf "| nn-train / PyTorch with `set_num_threads(1)` | %.2f | %.2f | |", a / ta, b / tb }')"
fi
md ""
gemm_line=
for n in $SMALL $LARGE; do
    f=small; [ "$n" = "$LARGE" ] && f=large
    set -- $(sed -n 3p "$T/$f.gemm")
    gemm_line="$gemm_line$(awk -v t="$1" -v f="$2" -v w="$3" -v x="$4" -v n="$n" 'BEGIN {
        printf "%s: forward %.2f, dW %.2f, dX %.2f (of %.2f); ", n, f, w, x, t }')"
done
md "The sgemm runs, seconds: $SMALL $(runs "$T/small.gemm"); $LARGE" \
   "$(runs "$T/large.gemm")." \
   "By kind, in the median run: $(echo "$gemm_line" | sed 's/; $//')."
if [ -s "$T/small.torch" ] && [ -s "$T/large.torch" ]; then
    md "PyTorch's epochs, seconds: $SMALL $(secs <"$T/small.torch"), with one" \
       "thread $(secs <"$T/small.torch1"); $LARGE $(secs <"$T/large.torch")," \
       "with one thread $(secs <"$T/large.torch1")."
    md "Loss and accuracy of the first epoch's batches as trained: nn-train" \
       "$(awk '{ printf "%.4f, %.2f%%", $2, $3 }' "$T/small.log") and" \
       "$(awk '{ printf "%.4f, %.2f%%", $2, $3 }' "$T/large.log");" \
       "PyTorch $(sed -n 2p "$T/small.torch" | awk '{ printf "%.4f, %.2f%%", $1, 100 * $2 }') and" \
       "$(sed -n 2p "$T/large.torch" | awk '{ printf "%.4f, %.2f%%", $1, 100 * $2 }')" \
       "(the same start, another order of the rows)."
fi
md ""
md "The first epoch is timed with what it costs once (the row \"-e 1 minus" \
   "-e 0\"). Before commit 4ae473f it took about half a second more than" \
   "the next ones (this page at 006114a: 1.51 s against 1.03 s): the rows" \
   "were held in a buffer grown" \
   "by realloc, which glibc moves with mremap, and on this virtual machine" \
   "the first read of each moved page is slow. \`bench/row_gather.c 60000" \
   "3136\` (MNIST's rows held, then three passes gathering batches in a" \
   "random order) shows it: $(sed -n 1p "$T/gather"); $(sed -n 2p "$T/gather")." \
   "The rows now live in one mapping reserved for all that --memory" \
   "allows, never moved, asked for huge pages. PyTorch's epochs are timed" \
   "the same way, as the median of three."
md ""
md "The sgemm program runs the tape's calls on consecutive rows already in" \
   "memory; nn-train's epoch adds the shuffle and the gather of each batch," \
   "the bias rows, the activations and their derivatives, the loss, the" \
   "bias gradients and Adam's update of every weight (single precision," \
   "as PyTorch's). PyTorch times only its epochs, the data already in" \
   "tensors."
md ""
md "Threads: both programs call OpenBLAS with its 2 threads. While the BLAS" \
   "threads wait, nn-train's Adam step shares the large arrays with one" \
   "helper thread of its own (the caller updates the first half of each," \
   "the helper the second: the same bytes as one thread," \
   "tests/unit/test_optim.c), so no more than two threads compute at any" \
   "time; with" \
   "\`OPENBLAS_NUM_THREADS=1\` there is no helper, and the one-thread rows" \
   "compare one thread with one."
md ""

# perf: where nn-train's time goes (load and one epoch), when perf can record
if command -v perf >/dev/null 2>&1 &&
    perf record -q -e cpu-clock -o "$T/perf.probe" true >/dev/null 2>&1; then
    md "## Profile"
    md ""
    md "\`perf record -e cpu-clock -g -D MS nn-train -e 4 -b BATCH net train\`, MS the" \
       "milliseconds of the load and the first epoch (\`-e 1\`'s hyperfine mean" \
       "plus 20%), so that what is sampled is the later epochs alone, every" \
       "thread (sampled CPU time: the shares are of all samples, the seconds" \
       "are CPU-seconds, every thread counted), then" \
       "\`perf report --no-children --sort symbol\`. Recording call graphs" \
       "slows the run (the wall time sampled is longer than the epochs');" \
       "the shares are what to read. The top symbols:"
    md ""
    for n in small large; do
        b=$SB; [ $n = large ] && b=$LB
        say "profiling nn-train on $n"
        delay=$(awk -v t="$(field ${n}1 3)" 'BEGIN { printf "%d", t * 1200 }')
        perf record -q -e cpu-clock -g -D "$delay" -o "$T/perf.$n" nn-train -e 4 -b $b "$T/$n.nns" "$T/train.nns" \
            > /dev/null 2>"$T/perf.err" || continue
        perf report -i "$T/perf.$n" --stdio --header-only 2>/dev/null |
            awk '/duration/ { print $(NF - 1) / 1000 }' > "$T/perf.$n.wall"
        cpu=$(perf report -i "$T/perf.$n" --stdio 2>/dev/null |
            awk '/Event count/ { print $NF / 1e9; exit }')
        perf report -i "$T/perf.$n" --no-children --sort symbol -g none --stdio 2>/dev/null |
            awk '/^ +[0-9.]+%/' | head -12 > "$T/perf.$n.top"
        perf report -i "$T/perf.$n" --no-children --sort pid -g none --stdio 2>/dev/null |
            awk '/^ +[0-9.]+%/ { printf "%s%s", (n++ ? ", " : ""), $1 }' > "$T/perf.$n.threads"
        arch=$SMALL; [ $n = large ] && arch=$LARGE
        md "$arch, batch $b: $(awk '{ printf "%.1f", $1 }' "$T/perf.$n.wall") s" \
           "sampled, $(awk -v c="$cpu" 'BEGIN { printf "%.1f", c }') CPU-s; samples by thread" \
           "(the main thread first): $(cat "$T/perf.$n.threads")."
        md ""
        md "| symbol | share | CPU-s |"
        md "|---|--:|--:|"
        awk -v c="$cpu" '{ p = $1; sub(/%/, "", p); s = $3
            for (i = 4; i <= NF && $i != "-"; i++) s = s " " $i
            printf "| `%s` %s | %.1f%% | %.2f |\n", s, $2, p, p / 100 * c }' "$T/perf.$n.top" >>"$R"
        md ""
    done
fi

md "## Peak memory"
md ""
say "ten copies of the training set"
nn-cat "$T/train.nns" "$T/train.nns" "$T/train.nns" "$T/train.nns" "$T/train.nns" \
    "$T/train.nns" "$T/train.nns" "$T/train.nns" "$T/train.nns" "$T/train.nns" > "$T/train10.nns"
r1=$(rss "" "nn-train -e 1 -b $SB \$T/small.nns \$T/train.nns")
r2=$(rss "cat \$T/train.nns" "nn-train -e 1 -b $SB \$T/small.nns -")
r3=$(rss "" "nn-train -e 1 -b $SB \$T/small.nns \$T/train10.nns")
r4=$(rss "cat \$T/train10.nns" "nn-train -e 1 -b $SB \$T/small.nns -")
r5=$(rss "" "nn-train -e 1 -b $LB \$T/large.nns \$T/train.nns")
r6=$(rss "" "nn-train -e 1 -b $SB --memory 256M \$T/small.nns \$T/train10.nns")
r7=$(rss "cat \$T/train10.nns" "nn-train -e 1 -b $SB --memory 256M \$T/small.nns -")
t6=$(nn-train -v -e 1 -b $SB --memory 256M "$T/small.nns" "$T/train10.nns" 2>&1 >/dev/null |
    sed -n 's/.*epoch 1\/1: .*, \([^ ]*\) s$/\1/p')
t3=$(nn-train -v -e 1 -b $SB "$T/small.nns" "$T/train10.nns" 2>&1 >/dev/null |
    sed -n 's/.*epoch 1\/1: .*, \([^ ]*\) s$/\1/p')
md "One epoch each (\`-e 1\`); \`train10.nns\` is \`nn-cat\` of ten copies of" \
   "\`train.nns\` (one tensor x (600000,784), $(size "$T/train10.nns" |
   awk '{ printf "%.0f", $1 / 1e6 }') MB), written to \$T."
md ""
md "| command | rows | max RSS (MiB) |"
md "|---|--:|--:|"
md "| \`nn-train -e 1 -b $SB small.nns train.nns\` | 60000 | $r1 |"
md "| \`cat train.nns \\| nn-train -e 1 -b $SB small.nns -\` | 60000 | $r2 |"
md "| \`nn-train -e 1 -b $SB small.nns train10.nns\` | 600000 | $r3 |"
md "| \`cat train10.nns \\| nn-train -e 1 -b $SB small.nns -\` | 600000 | $r4 |"
md "| \`nn-train -e 1 -b $LB large.nns train.nns\` ($LARGE) | 60000 | $r5 |"
md "| \`nn-train -e 1 -b $SB --memory 256M small.nns train10.nns\` | 600000 | $r6 |"
md "| \`cat train10.nns \\| nn-train -e 1 -b $SB --memory 256M small.nns -\` | 600000 | $r7 |"
md ""
md "By default nn-train holds the rows when they fit in half the machine's" \
   "memory (x in its own type, f32 here: 189 MB for MNIST, 1886 MB ten" \
   "times over), so the peak grows with the rows, from a file as from a" \
   "pipe. With \`--memory 256M\` the 600000 rows do not fit: they are" \
   "spilled to \$TMPDIR as they are read and shuffled back by blocks, and" \
   "the peak stays near the limit whatever the rows (an epoch of the" \
   "600000 rows took $t6 s spilled, $t3 s held, nn-train's own epoch" \
   "times). The network, Adam's two moments per weight, the gradients" \
   "and a batch's activations come on top."
md ""
rm -f "$T/train10.nns"
footer

#!/bin/sh
# quant-ch3.sh [OPTION]... TRAIN TEST — thesis ch. 3: weights quantized after
# every epoch of training (the exchange of data-parallel workers), on the
# thesis's 784-392-50-10 MLP with tanh everywhere (output too), MSE loss on
# one-hot 0/1 targets, backpropagation (SGD, momentum 0.9, batch 128, fixed
# rate LR), Glorot-uniform initial weights.  Configurations:
#   base      no quantization (the baseline)
#   fN        nn-train --quantize N (fixed N bits over each layer's range)
#   dC        nn-train --quantize dynamic:C (Algorithm 1, M = 4, F = 3%)
# Runs missing from pipelines/results/quant-ch3-runs.tsv (a row per epoch)
# are trained, seed by seed, in the order of --configs; the final networks
# are kept in NETS.  Then the final baseline network of each seed is coded by
# nn-quantize (fixed 8, dynamic C=5 and 6, Q8_0, Q4_0, lossless) and scored
# on TEST (pipelines/results/quant-ch3-codings.tsv), and the page
# pipelines/results/quant-ch3.md with its plots is made.
#
#   -s, --seeds=LIST    the seeds (default "1 2"; also $SEEDS)
#   -e, --epochs=N      epochs per run (default 30; also $EPOCHS)
#       --lr=RATE       the learning rate (default 1; also $LR)
#   -c, --configs=LIST  default "base d5 d6 f8 f2 f4 f6 f3 f5 f10 f12 f16"
#       --nets=DIR      where the final networks are kept (default
#                       build/quant-ch3)
#       --stop-at=HH:MM start no run after this time (UTC), for a compute
#                       budget; the runs left out are named on stderr
#       --reuse         train nothing: only the codings and the page
#   -h, --help          show this help
# The tools come from PATH; export OPENBLAS_NUM_THREADS=1 for one core.
# TOOLS_COMMIT: the commit the tools were built at, for the page (default:
# the last commit to change tools/, lib/ or the Makefile).
set -eu
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
SEEDS=${SEEDS:-"1 2"}
EPOCHS=${EPOCHS:-30}
LR=${LR:-1}
CONFIGS="base d5 d6 f8 f2 f4 f6 f3 f5 f10 f12 f16"
NETS=build/quant-ch3
STOP=""
REUSE=0
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    -s) SEEDS=$2; shift 2 ;;
    --seeds=*) SEEDS=${1#*=}; shift ;;
    -e) EPOCHS=$2; shift 2 ;;
    --epochs=*) EPOCHS=${1#*=}; shift ;;
    --lr=*) LR=${1#*=}; shift ;;
    -c) CONFIGS=$2; shift 2 ;;
    --configs=*) CONFIGS=${1#*=}; shift ;;
    --nets=*) NETS=${1#*=}; shift ;;
    --stop-at=*) STOP=${1#*=}; shift ;;
    --reuse) REUSE=1; shift ;;
    --) shift; break ;;
    -*) echo "quant-ch3.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -eq 2 ] || { usage >&2; exit 2; }
train=$1 test=$2
R=pipelines/results
RUNS=$R/quant-ch3-runs.tsv
CODINGS=$R/quant-ch3-codings.tsv
T=$(mktemp -d "${TMPDIR:-/tmp}/quant-ch3.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p $R "$NETS"

COMMON="-b 128 --optimizer sgd --momentum 0.9 --schedule const"
quant_opt() { # config -> nn-train's quantization option
    case $1 in
    base) ;;
    f[0-9]*) echo "--quantize ${1#f}" ;;
    d[0-9]*) echo "--quantize dynamic:${1#d}" ;;
    *) echo "quant-ch3.sh: no configuration $1" >&2; exit 2 ;;
    esac
}
HEAD='config\tseed\tlr\tepoch\tloss\ttrain_acc\ttest_loss\ttest_acc\tseconds\tbits_raw\tbits_huffman'
[ -s $RUNS ] || printf "$HEAD\n" > $RUNS

# one run: config seed -> its epochs appended to $RUNS, the net in $NETS
run() {
    c=$1 s=$2
    nn-init -a tanh -O tanh --scheme glorot-uniform -s $s 784-392-50-10 |
        nn-train $COMMON --lr $LR -e $EPOCHS -s $s $(quant_opt $c) --objective mse \
            --valid "$test" --log "$T/log.nns" - "$train" > "$T/net.nns"
    nn-export -f csv "$T/log.nns" > "$T/log.csv"
    # columns: epoch,loss,accuracy,valid_loss,valid_accuracy,seconds,lr,
    # grad_rms_1..3[,bits_raw,bits_huffman]
    awk -F, -v p="$c	$s	$LR" '{ printf "%s\t%d\t%.6g\t%.4f\t%.6g\t%.4f\t%.2f\t%s\t%s\n",
        p, $1, $2, 100 * $3, $4, 100 * $5, $6, (NF >= 12 ? $11 : ""), (NF >= 12 ? $12 : "") }' \
        "$T/log.csv" >> $RUNS
    mv "$T/net.nns" "$NETS/$c-s$s.nns"
}

have_run() { # config seed -> true if $RUNS has its last epoch at this lr
    awk -F'\t' -v c=$1 -v s=$2 -v lr=$LR -v e=$EPOCHS \
        '$1 == c && $2 == s && $3 == lr && $4 == e { f = 1 } END { exit !f }' $RUNS
}

late() { # true if --stop-at has passed
    [ -n "$STOP" ] && [ "$(date -u +%H:%M)" \> "$STOP" ]
}

if [ $REUSE = 0 ]; then
    for s in $SEEDS; do
        for c in $CONFIGS; do
            have_run $c $s && [ -f "$NETS/$c-s$s.nns" ] && continue
            if late; then echo "quant-ch3: past $STOP, not run: $c seed $s" >&2; continue; fi
            echo "quant-ch3: $c seed $s, $EPOCHS epochs, lr $LR ($(date -u +%H:%M:%S))" >&2
            # a run cut short before leaves partial rows: drop them
            awk -F'\t' -v c=$c -v s=$s -v lr=$LR '!($1 == c && $2 == s && $3 == lr)' $RUNS > "$T/keep"
            cp "$T/keep" $RUNS
            run $c $s
        done
    done
fi
[ "${QUANT_TRAIN_ONLY:-0}" = 1 ] && exit 0

# The final baseline networks under every coding, scored on TEST.
CODES="fixed8:--bits+8 fixed8-huffman:--bits+8+--huffman fixed6:--bits+6
fixed4:--bits+4 dynamic-c5:--dynamic+--floor+5 dynamic-c6:--dynamic+--floor+6
q8_0:--q8_0 q4_0:--q4_0 lossless:--lossless"
if [ $REUSE = 0 ] || [ ! -s $CODINGS ]; then
    printf 'seed\tcoding\tbits_param\tacc_orig\tacc_quant\tkl_mean\n' > "$T/codings.tsv"
    for s in $SEEDS; do
        net=$NETS/base-s$s.nns
        [ -f "$net" ] || continue
        for cs in $CODES; do
            name=${cs%%:*} opts=$(echo "${cs#*:}" | tr + ' ')
            nn-quantize $opts --data "$test" --report "$T/rep" "$net" > /dev/null
            awk -v s=$s -v c=$name '$1 == "all" { b = $4 }
                $1 == "rows" { getline; printf "%s\t%s\t%s\t%s\t%s\t%s\n", s, c, b, $3, $4, $6 }' \
                "$T/rep" >> "$T/codings.tsv"
        done
    done
    cp "$T/codings.tsv" $CODINGS
fi

# The tables (and the plots' data in $T), from the TSVs.
/usr/bin/python3 - $RUNS $CODINGS "$T" > "$T/page.md" <<'PY'
import sys, statistics as st
runs, codings, tmp = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(runs)][1:]
R = {}                                   # (config, seed) -> its epochs' rows
for r in rows:
    R.setdefault((r[0], int(r[1])), []).append(r)
last = max(int(r[3]) for r in rows)
def runs_of(c):
    return sorted(s for (cc, s), v in R.items() if cc == c and len(v) == last)
def ms(xs, f="%.2f"):
    if not xs:
        return "—"
    return (f + " ± " + f.replace("+", "")) % (st.mean(xs), st.stdev(xs)) if len(xs) > 1 else f % xs[0]
def final(c, s):
    return float(R[(c, s)][-1][7])
def conv(c, s, tol):
    """the first epoch whose test accuracy is within tol points of the run's best"""
    a = [float(r[7]) for r in R[(c, s)]]
    return next(i + 1 for i, x in enumerate(a) if x >= max(a) - tol)
def avg(c, s, col):
    v = [float(r[col]) for r in R[(c, s)] if r[col] != ""]
    return st.mean(v) if v else None
base = [final("base", s) for s in runs_of("base")]
bm = st.mean(base) if base else float("nan")
p = print
p("## Fig. 3.1: test accuracy against fixed N (weights quantized after every epoch)\n")
p("Test accuracy after the last epoch (%d), mean ± sd over the seeds; its change against the" % last)
p("baseline's mean; the best epoch's accuracy; bits_huffman: what Huffman coding of the codes")
p("would cost (table included), bits a weight, mean over the epochs and seeds.\n")
p("| N | seeds | test % | − baseline | best epoch's test % | bits_huffman |")
p("|---|---|---|---|---|---|")
fig = open(tmp + "/fig31.tsv", "w")
fixed = sorted((c for c in {k[0] for k in R} if c[0] == "f"), key=lambda c: int(c[1:]))
for c in ["base"] + fixed:
    ss = runs_of(c)
    if not ss:
        continue
    f = [final(c, s) for s in ss]
    best = [max(float(r[7]) for r in R[(c, s)]) for s in ss]
    hb = [avg(c, s, 10) for s in ss if avg(c, s, 10) is not None]
    p("| %s | %s | %s | %+.2f | %s | %s |" % ("none (f32)" if c == "base" else c[1:],
      " ".join(map(str, ss)), ms(f), st.mean(f) - bm, ms(best), ms(hb) if hb else "32"))
    if c != "base":
        fig.write("%s\t%.4f\t%.4f\n" % (c[1:], st.mean(f), st.stdev(f) if len(f) > 1 else 0))
fig.close()
fs = sorted({s for c in fixed for s in runs_of(c)})
if fs and set(fs) <= set(runs_of("base")):
    p("\nThe baseline over the fixed runs' seeds alone (%s): %s." % (" ".join(map(str, fs)),
      ms([final("base", s) for s in fs])))
p("")
p("## §3.8: dynamic N (M = 4, F = 3%), c = 5 and c = 6\n")
p("bits_raw: the codes' N, bits a weight; bits_huffman: their Huffman coding with its table;")
p("both over the three layers, averaged over the %d epochs of a run, then over the seeds." % last)
p("Ratio: 32 / bits. Convergence: the first epoch whose test accuracy is within 0.1 point of")
p("the run's best; and (the thesis's \"peaking of generalization accuracy\") the first epoch at")
p("the best; means over the seeds.\n")
p("| setting | seeds | bits_raw | ratio | bits_huffman | ratio | test % | − baseline "
  "| epoch within 0.1 of best | epoch of best |")
p("|---|---|---|---|---|---|---|---|---|---|")
conv_base = None
for c in ["base", "d5", "d6"]:
    ss = runs_of(c)
    if not ss:
        continue
    f = [final(c, s) for s in ss]
    c1 = [conv(c, s, 0.1) for s in ss]
    c0 = [conv(c, s, 0.0) for s in ss]
    if c == "base":
        conv_base = st.mean(c1)
        p("| baseline (f32) | %s | 32 | 1 | 32 | 1 | %s | — | %s | %s |" % (
          " ".join(map(str, ss)), ms(f), ms(c1, "%.1f"), ms(c0, "%.1f")))
        continue
    br = [avg(c, s, 9) for s in ss]
    bh = [avg(c, s, 10) for s in ss]
    p("| c = %s | %s | %s | %.2fx | %s | %.2fx | %s | %+.2f | %s | %s |" % (
      c[1:], " ".join(map(str, ss)), ms(br), 32 / st.mean(br), ms(bh), 32 / st.mean(bh),
      ms(f), st.mean(f) - bm, ms(c1, "%.1f"), ms(c0, "%.1f")))
fig = open(tmp + "/fig35.tsv", "w")
for e in range(1, last + 1):
    v = []
    for c in ["d5", "d6"]:
        for col in (9, 10):
            x = [float(R[(c, s)][e - 1][col]) for s in runs_of(c)]
            v.append("%.4f" % st.mean(x) if x else "nan")
    fig.write("%d\t%s\n" % (e, "\t".join(v)))
fig.close()
p("")
p("Thesis (§3.8–3.9, 100 epochs, 50 trials a point): c = 5: 6.8 bits raw (4.70x), 3.55")
p("Huffman-coded (9.01x), accuracy just below the baseline; c = 6: 3.78 (8.47x), accuracy")
p("above the baseline, convergence in 20% fewer epochs (10.32x less communication in all).\n")
for c in ["d5", "d6"]:
    ss = runs_of(c)
    if ss and conv_base:
        bh = st.mean(avg(c, s, 10) for s in ss)
        cc = st.mean(conv(c, s, 0.1) for s in ss)
        p("- c = %s: convergence (within 0.1 of the best) at epoch %.1f against the baseline's %.1f"
          " (%+.0f%%); communication until then %.2fx less than in f32 (32 / %.2f bits × %.1f / %.1f"
          " epochs)." % (c[1:], cc, conv_base, 100 * (cc / conv_base - 1),
                         32 / bh * conv_base / cc, bh, conv_base, cc))
p("")
p("## The final network under each coding (bits a weight against accuracy)\n")
p("The baseline's final network of each seed, coded by nn-quantize after training (no training")
p("under the coding) and scored on the test set by `nn-quantize CODING --data TEST`; bits a")
p("weight counted from the bytes written (headers and tables included); KL: the mean over the")
p("test rows of KL(p_orig || p_quant) in nats, p the softmax of the tanh outputs taken as")
p("logits (nn-quantize(1)).\n")
p("| coding | seeds | bits/param | ratio | test % | change (points) | KL (nats) |")
p("|---|---|---|---|---|---|---|")
C = [l.rstrip("\n").split("\t") for l in open(codings)][1:]
pts = {}                               # (bits, accuracy) -> the codings there
for name in dict.fromkeys(r[1] for r in C):
    rr = [r for r in C if r[1] == name]
    b = [float(r[2]) for r in rr]
    a = [float(r[4]) for r in rr]
    d = [float(r[4]) - float(r[3]) for r in rr]
    k = [float(r[5]) for r in rr]
    p("| %s | %d | %.3f | %.2fx | %s | %s | %.3g |" % (name, len(rr), st.mean(b),
      32 / st.mean(b), ms(a), ms(d, "%+.2f"), st.mean(k)))
    pts.setdefault((round(st.mean(b), 3), round(st.mean(a), 3)), []).append(name)
if C:
    pts.setdefault((32.0, round(st.mean(float(r[3]) for r in C if r[1] == C[0][1]), 3)), []).append("f32")
with open(tmp + "/codings.gp", "w") as fig:      # a point per coding, by bits
    fig.write("set datafile separator whitespace\nplot " + ", \\\n     ".join(
        "\"<echo '%.3f %.3f'\" using 1:2 with points pt %d ps 1.6 lw 2 title \"%s (%.2f bits)\"" %
        (b, a, 4 + i % 10, " = ".join(names), b) for i, ((b, a), names) in enumerate(sorted(pts.items()))) + "\n")
p("")
PY

BASE=$(awk -F'\t' -v e=$EPOCHS '$1 == "base" && $4 == e { s += $8; n++ }
    END { printf "%.4f", n ? s / n : 0 }' $RUNS)
gnuplot <<GP
set terminal pngcairo size 800,500 font ",11"
set datafile separator "\t"
set output "$R/quant-ch3-fig31.png"
set title "Fig. 3.1: test accuracy against fixed N (784-392-50-10 tanh, MSE, $EPOCHS epochs)"
set xlabel "bits N (weights quantized after every epoch)"
set ylabel "test accuracy (%)"
set key bottom right
set xrange [1:17]
plot "$T/fig31.tsv" using 1:2:3 with yerrorlines lw 2 pt 7 title "fixed N: mean ± sd over seeds", \
     $BASE with lines dt 2 lw 2 title "unquantized baseline (mean)"
set output "$R/quant-ch3-fig31-zoom.png"
set title "Fig. 3.1 for N ≥ 6 (the same runs)"
set xrange [5.5:17]
set yrange [96:98.5]
replot
set yrange [*:*]
set output "$R/quant-ch3-fig35.png"
set title "Fig. 3.5: bits per weight by epoch, dynamic N (M = 4), mean over seeds"
set xlabel "epoch"
set ylabel "bits per weight"
set xrange [*:*]
set yrange [0:*]
set key bottom left
plot "$T/fig35.tsv" using 1:2 with linespoints lw 2 title "c = 5, raw (N)", \
     "$T/fig35.tsv" using 1:3 with linespoints lw 2 title "c = 5, Huffman", \
     "$T/fig35.tsv" using 1:4 with linespoints lw 2 title "c = 6, raw (N)", \
     "$T/fig35.tsv" using 1:5 with linespoints lw 2 title "c = 6, Huffman"
set output "$R/quant-ch3-codings.png"
set title "The trained baseline under each coding (mean over seeds)"
set xlabel "bits per weight (bytes written, headers and tables included)"
set ylabel "test accuracy (%)"
set logscale x 2
set xrange [2:48]
set yrange [*:*]
set termoption noenhanced
set offsets 0, 0, graph 0.05, graph 0.05
set key bottom left font ",10"
load "$T/codings.gp"
GP

{
echo "# Thesis ch. 3: weights quantized during training (784-392-50-10 on MNIST)"
echo
echo "Thesis (ch. 3): a 784-392-50-10 MLP, tanh everywhere, MSE, backpropagation, 100 epochs,"
echo "MNIST; after every epoch the weights are quantized (the exchange between data-parallel"
echo "workers). Fig. 3.1: fixed 8 bits match full precision (1500 runs). §3.8: M = 4, c = 5: 6.8"
echo "bits a weight raw over training (4.70x), 3.55 Huffman-coded (9.01x), accuracy just below the"
echo "baseline; c = 6: 3.78 (8.47x), above the baseline, converging in 20% fewer epochs."
echo
echo "## Setting"
echo
echo "- Every run: \`nn-init -a tanh -O tanh --scheme glorot-uniform -s SEED 784-392-50-10 |"
echo "  nn-train $COMMON --lr $LR -e $EPOCHS -s SEED [--quantize N | dynamic:C]"
echo "  --objective mse --valid TEST --log LOG - TRAIN\`: tanh in every layer, MSE on one-hot 0/1"
echo "  targets (nn-train's mean over the 10 outputs and the batch), f32; the seed gives the"
echo "  initial weights and the order of the rows. nn-train quantizes each layer over its own"
echo "  range (bias row included) after every epoch and keeps the optimizer's momentum."
echo "- The thesis gives no learning rate, batch, optimizer or initial weights for ch. 3 (§1.1:"
echo "  \"SGD with momentum\"); ours: SGD, momentum 0.9, batch 128, the fixed rate $LR (of 0.1,"
echo "  0.3 and 1 the fastest in a 2–3 epoch trial with seed 1), Glorot-uniform weights."
echo "- Data: centred MNIST (mnist.mk: [0,1] minus the training means), 60000 training rows; the"
echo "  10000 test rows scored after every epoch, after the epoch's quantization."
echo "- Dynamic: nn-train's \`--quantize dynamic:C\`, Algorithm 1 with F = 3%, M = 4,"
echo "  N = ceil(H) + C, at most 10, per layer; bits_raw is N and bits_huffman the Huffman code's"
echo "  bits with its table, per weight over all three layers, as nn-quantize writes them."
echo "- Cut for the compute budget (about 80 minutes of one core on a machine shared with other"
echo "  jobs; an epoch took $(awk -F'\t' 'NR > 1 { if (!lo || $9 < lo) lo = $9; if ($9 > hi) hi = $9 } END { printf "%.1f–%.1f s", lo, hi }' $RUNS)): $EPOCHS epochs instead of 100; seeds $(echo $SEEDS) at most"
echo "  (the seeds of each configuration are in the tables; runs that would have ended after the"
echo "  budget were not started) instead of 1500 runs or 50 trials a point; fixed N in"
echo "  {$(echo $CONFIGS | tr ' ' '\n' | sed -n 's/^f//p' | sort -n | paste -sd, -)} instead of every N from 2 to 30; no rate tuned per setting."
echo "- Time: $(awk -F'\t' 'NR > 1 { s += $9; n++ } END { printf "%.0f s of training and scoring for %d epochs (%.2f s an epoch)", s, n, s / n }' $RUNS), one core."
echo "- Machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), shared;"
echo "  OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset}, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset},"
echo "  OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}; tools built at commit ${TOOLS_COMMIT:-$(git log -1 --format=%h -- tools lib Makefile 2>/dev/null || echo unknown)}; $(date -u '+%Y-%m-%d')."
echo "- Re-run: \`make -f pipelines/quant.mk quant-ch3\` (trains what is missing from"
echo "  quant-ch3-runs.tsv, then this page); with REUSE=1 only the page from the TSVs."
echo
cat "$T/page.md"
echo "![Fig. 3.1](quant-ch3-fig31.png)"
echo
echo "![Fig. 3.1, N from 6](quant-ch3-fig31-zoom.png)"
echo
echo "![Fig. 3.5](quant-ch3-fig35.png)"
echo
echo "![codings](quant-ch3-codings.png)"
} > $R/quant-ch3.md
cat $R/quant-ch3.md

#!/bin/sh
# quant-ch3.sh [OPTION]... TRAIN TEST — thesis ch. 3: weights quantized after
# every epoch of training (the exchange of data-parallel workers), on the
# thesis's 784-392-50-10 MLP with tanh everywhere (output too), MSE loss on
# one-hot 0/1 targets, backpropagation (SGD, momentum 0.9, batch 128, fixed
# rate LR), Glorot-uniform initial weights.  Configurations:
#   base      no quantization (the baseline)
#   fN        nn-train --quantize N (fixed N bits over each layer's range)
#   dC        nn-train --quantize dynamic:C (Algorithm 1, M = 4, F = 3%)
# Runs of E epochs missing from pipelines/results/quant-ch3-runs-eE.tsv (a
# row per epoch) are trained, seed by seed, in the order of --configs; the
# final networks are kept in NETS.  Then the final baseline network of each
# seed is coded by nn-quantize (fixed 8, dynamic C=5 and 6, Q8_0, Q4_0,
# lossless) and scored on TEST (pipelines/results/quant-ch3-codings-eE.tsv),
# and the page pipelines/results/quant-ch3.md with its plots is made from
# every runs TSV there is (30 and 100 epochs side by side).
#
#   -s, --seeds=LIST    the seeds (default "1 2"; also $SEEDS)
#   -e, --epochs=N      epochs per run (default 30; also $EPOCHS)
#       --lr=RATE       the learning rate (default 1; also $LR)
#   -c, --configs=LIST  default "base d5 d6 f8 f2 f4 f6 f3 f5 f10 f12 f16"
#       --nets=DIR      where the final networks are kept (default
#                       build/quant-ch3, build/quant-ch3-eE for E epochs
#                       other than 30)
#       --stop-at=HH:MM start no run after this time (UTC), for a compute
#                       budget; the runs left out are named on stderr
#       --reuse         train nothing, code nothing: only the page
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
NETS=""
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
[ -n "$NETS" ] || NETS=build/quant-ch3$([ "$EPOCHS" = 30 ] || echo "-e$EPOCHS")
train=$1 test=$2
R=pipelines/results
RUNS=$R/quant-ch3-runs-e$EPOCHS.tsv
CODINGS=$R/quant-ch3-codings-e$EPOCHS.tsv
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
if [ $REUSE = 0 ]; then
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

# The tables (and the plots' data in $T), from every runs TSV there is
# (quant-ch3-runs-eE.tsv: runs of E epochs), the codings of the longest.
/usr/bin/python3 - "$R" "$T" > "$T/page.md" <<'PY'
import sys, glob, re, statistics as st
R, tmp = sys.argv[1:]
runsets = {}                             # epochs -> {(config, seed): rows}
for f in glob.glob(R + "/quant-ch3-runs-e*.tsv"):
    E = int(re.search(r"-e(\d+)\.tsv$", f).group(1))
    D = {}
    for r in [l.rstrip("\n").split("\t") for l in open(f)][1:]:
        D.setdefault((r[0], int(r[1])), []).append(r)
    runsets[E] = {k: v for k, v in D.items() if len(v) == E}   # whole runs only
EE = sorted(E for E in runsets if runsets[E])
p = print
def runs_of(E, c):
    return sorted(s for (cc, s) in runsets[E] if cc == c)
def ms(xs, f="%.2f"):
    if not xs:
        return "—"
    return (f + " ± " + f.replace("+", "")) % (st.mean(xs), st.stdev(xs)) if len(xs) > 1 else f % xs[0]
def col(E, c, s, k, e0=1):
    return [float(r[k]) for r in runsets[E][(c, s)][e0 - 1:] if r[k] != ""]
def final(E, c, s):
    return col(E, c, s, 7)[-1]
def conv(E, c, s, tol):
    """the first epoch whose test accuracy is within tol points of the run's best"""
    a = col(E, c, s, 7)
    return next(i + 1 for i, x in enumerate(a) if x >= max(a) - tol)
def avg(E, c, s, k, e0=1):
    v = col(E, c, s, k, e0)
    return st.mean(v) if v else None
def seeds(ss):
    return " ".join(map(str, ss))
base = {E: st.mean([final(E, "base", s) for s in runs_of(E, "base")]) for E in EE if runs_of(E, "base")}

p("## Fig. 3.1: test accuracy against fixed N (weights quantized after every epoch)\n")
p("Test accuracy after the last epoch, mean ± sd over the seeds; its change against the")
p("baseline's mean (the same epochs); the best epoch's accuracy; bits_huffman: what Huffman")
p("coding of the codes would cost (table included), bits a weight, mean over the epochs and seeds.\n")
p("| epochs | N | seeds | test % | − baseline | best epoch's test % | bits_huffman |")
p("|---|---|---|---|---|---|---|")
for E in EE:
    fig = open("%s/fig31-e%d.tsv" % (tmp, E), "w")
    fixed = sorted((c for c in {k[0] for k in runsets[E]} if c[0] == "f"), key=lambda c: int(c[1:]))
    for c in ["base"] + fixed:
        ss = runs_of(E, c)
        if not ss:
            continue
        f = [final(E, c, s) for s in ss]
        best = [max(col(E, c, s, 7)) for s in ss]
        hb = [avg(E, c, s, 10) for s in ss if avg(E, c, s, 10) is not None]
        p("| %d | %s | %s | %s | %s | %s | %s |" % (E, "none (f32)" if c == "base" else c[1:],
          seeds(ss), ms(f), "%+.2f" % (st.mean(f) - base[E]) if E in base else "—", ms(best),
          ms(hb) if hb else "32"))
        if c != "base":
            fig.write("%s\t%.4f\t%.4f\n" % (c[1:], st.mean(f), st.stdev(f) if len(f) > 1 else 0))
    fig.close()
    fs = sorted({s for c in fixed for s in runs_of(E, c)})
    if fs and set(fs) <= set(runs_of(E, "base")) and fs != runs_of(E, "base"):
        p("| %d | none (f32), the fixed runs' seeds | %s | %s | | | |" % (E, seeds(fs),
          ms([final(E, "base", s) for s in fs])))
with open(tmp + "/base.tsv", "w") as f:
    for E in EE:
        if E in base:
            f.write("%d\t%.4f\n" % (E, base[E]))
p("")

p("## §3.8: dynamic N (M = 4, F = 3%), c = 5 and c = 6\n")
p("bits_raw: the codes' N, bits a weight; bits_huffman: their Huffman coding with its table;")
p("both over the three layers, averaged over all the epochs of a run, then over the seeds;")
p("\"after 30\": the same over the epochs after the 30th (the longer runs' later phase).")
p("Ratio: 32 / bits. Convergence: the first epoch whose test accuracy is within 0.1 point of")
p("the run's best; and (the thesis's \"peaking of generalization accuracy\") the first epoch at")
p("the best; means over the seeds.\n")
p("| epochs | setting | seeds | bits_raw | ratio | bits_huffman | ratio | bits_huffman after 30 "
  "| test % | − baseline | epoch within 0.1 of best | epoch of best |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|")
conv_base = {}
for E in EE:
    for c in ["base", "d5", "d6"]:
        ss = runs_of(E, c)
        if not ss:
            continue
        f = [final(E, c, s) for s in ss]
        c1 = [conv(E, c, s, 0.1) for s in ss]
        c0 = [conv(E, c, s, 0.0) for s in ss]
        if c == "base":
            conv_base[E] = st.mean(c1)
            p("| %d | baseline (f32) | %s | 32 | 1 | 32 | 1 | — | %s | — | %s | %s |" % (
              E, seeds(ss), ms(f), ms(c1, "%.1f"), ms(c0, "%.1f")))
            continue
        br = [avg(E, c, s, 9) for s in ss]
        bh = [avg(E, c, s, 10) for s in ss]
        late = [avg(E, c, s, 10, 31) for s in ss] if E > 30 else []
        p("| %d | c = %s | %s | %s | %.2fx | %s | %.2fx | %s | %s | %s | %s | %s |" % (
          E, c[1:], seeds(ss), ms(br), 32 / st.mean(br), ms(bh), 32 / st.mean(bh), ms(late),
          ms(f), "%+.2f" % (st.mean(f) - base[E]) if E in base else "—",
          ms(c1, "%.1f"), ms(c0, "%.1f")))
p("")
p("Thesis (§3.8–3.9, 100 epochs, 50 trials a point): c = 5: 6.8 bits raw (4.70x), 3.55")
p("Huffman-coded (9.01x), accuracy just below the baseline; c = 6: 3.78 (8.47x), accuracy")
p("above the baseline, convergence in 20% fewer epochs (10.32x less communication in all).\n")
for E in EE:
    for c in ["d5", "d6"]:
        ss = runs_of(E, c)
        if ss and conv_base.get(E):
            bh = st.mean(avg(E, c, s, 10) for s in ss)
            cc = st.mean(conv(E, c, s, 0.1) for s in ss)
            p("- %d epochs, c = %s: convergence (within 0.1 of the best) at epoch %.1f against the"
              " baseline's %.1f (%+.0f%%); communication until then %.2fx less than in f32 (32 / %.2f"
              " bits × %.1f / %.1f epochs)." % (E, c[1:], cc, conv_base[E],
              100 * (cc / conv_base[E] - 1), 32 / bh * conv_base[E] / cc, bh, conv_base[E], cc))
for c, thesis in (("d5", 3.55), ("d6", 3.78)):
    parts = []
    for E in EE:
        ss = runs_of(E, c)
        if not ss:
            continue
        t = "%d epochs (%s): %.2f over all" % (E, "seed " + seeds(ss) if len(ss) == 1 else
                                              "seeds " + seeds(ss), st.mean(avg(E, c, s, 10) for s in ss))
        if E > 30:
            t += ", %.2f after epoch 30, %.2f over the last 10" % (
                st.mean(avg(E, c, s, 10, 31) for s in ss), st.mean(avg(E, c, s, 10, E - 9) for s in ss))
        parts.append(t)
    if parts:
        p("- c = %s, Huffman-coded bits a weight against the thesis's %.2f: %s." % (c[1:], thesis, "; ".join(parts)))
p("")
if len(EE) > 1:
    lo, hi = EE[0], EE[-1]
    p("### The same seeds at %d and %d epochs\n" % (lo, hi))
    common = [(c, s) for (c, s) in runsets[hi] if (c, s) in runsets[lo]]
    same = all([r[3:8] + r[9:] for r in runsets[lo][k]] ==
               [r[3:8] + r[9:] for r in runsets[hi][k][:lo]] for k in common)
    if same:
        p("With the constant rate, the first %d epochs of every %d-epoch run here are its %d-epoch" % (lo, hi, lo))
        p("run, row for row (losses, accuracies, bits; checked): below, each run over its first")
        p("%d epochs (the %d-epoch run) and over all %d.\n" % (lo, lo, hi))
    else:
        p("The %d-epoch runs differ from the first %d epochs of the longer ones; both are shown.\n" % (lo, lo))
    p("| setting | seeds | epochs | bits_raw | bits_huffman | test % (last epoch) | best test % | epoch within 0.1 of best |")
    p("|---|---|---|---|---|---|---|---|")
    for c in ["base", "d5", "d6"] + sorted({k[0] for k in runsets[hi] if k[0][0] == "f"}):
        ss = sorted(set(runs_of(lo, c)) & set(runs_of(hi, c)))
        if not ss:
            continue
        for E, cut in ((lo, lo), (hi, hi)) if same else ((lo, lo), (hi, lo), (hi, hi)):
            br = [st.mean(col(E, c, s, 9)[:cut]) for s in ss] if c != "base" else []
            bh = [st.mean(col(E, c, s, 10)[:cut]) for s in ss] if c != "base" else []
            acc = [col(E, c, s, 7)[:cut] for s in ss]
            p("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
              "baseline (f32)" if c == "base" else ("c = " + c[1:] if c[0] == "d" else "fixed " + c[1:]),
              seeds(ss), "%d" % E if cut == E else "%d, epochs 1–%d" % (E, cut),
              ms(br) if br else "32", ms(bh) if bh else "32", ms([a[-1] for a in acc]),
              ms([max(a) for a in acc]),
              ms([next(i + 1 for i, x in enumerate(a) if x >= max(a) - 0.1) for a in acc], "%.1f")))
    p("")
E = EE[-1]
for name, cfgs in (("fig35", ["d5", "d6"]), ("acc", ["base", "d5", "d6"])):
    for EX in EE:
        with open("%s/%s-e%d.tsv" % (tmp, name, EX), "w") as fig:
            for e in range(1, EX + 1):
                v = []
                for c in cfgs:
                    for k in ((9, 10) if name == "fig35" else (7,)):
                        x = [col(EX, c, s, k)[e - 1] for s in runs_of(EX, c)]
                        v.append("%.4f" % st.mean(x) if x else "nan")
                fig.write("%d\t%s\n" % (e, "\t".join(v)))

p("## The final network under each coding (bits a weight against accuracy)\n")
cf = sorted(glob.glob(R + "/quant-ch3-codings-e*.tsv"),
            key=lambda f: int(re.search(r"-e(\d+)\.tsv$", f).group(1)))
C, CE = [], None
for f in cf:
    rows = [l.rstrip("\n").split("\t") for l in open(f)][1:]
    if rows:
        C, CE = rows, int(re.search(r"-e(\d+)\.tsv$", f).group(1))
p("The baseline's final network of each seed (the %s-epoch runs), coded by nn-quantize after" % CE)
p("training (no training under the coding) and scored on the test set by `nn-quantize CODING")
p("--data TEST`; bits a weight counted from the bytes written (headers and tables included);")
p("KL: the mean over the test rows of KL(p_orig || p_quant) in nats, p the softmax of the tanh")
p("outputs taken as logits (nn-quantize(1)).\n")
p("| coding | seeds | bits/param | ratio | test % | change (points) | KL (nats) |")
p("|---|---|---|---|---|---|---|")
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
with open(tmp + "/epochs", "w") as f:
    f.write(" ".join(map(str, EE)) + "\n")
for EX in EE:                             # the seeds of each curve, for the keys
    for c in ["base", "d5", "d6"]:
        with open("%s/seeds-e%d-%s" % (tmp, EX, c), "w") as f:
            ss = runs_of(EX, c)
            f.write(("seed %d" % ss[0] if len(ss) == 1 else "seeds %s" % ",".join(map(str, ss))) if ss else "none")
p("")
PY

EE=$(cat "$T/epochs")
LONG=${EE##* }
SHORT=${EE%% *}
plots31="" plots35="" plotsacc=""
for E in $EE; do
    [ -s "$T/fig31-e$E.tsv" ] && plots31="$plots31${plots31:+, }\"$T/fig31-e$E.tsv\" using 1:2:3 with yerrorlines lw 2 pt 7 title \"fixed N, $E epochs: mean ± sd over seeds\""
    b=$(awk -v e=$E '$1 == e { print $2 }' "$T/base.tsv")
    [ -n "$b" ] && plots31="$plots31${plots31:+, }$b with lines dt 2 lw 2 title \"unquantized baseline, $E epochs (mean)\""
    w=$([ $E = $LONG ] && echo 2 || echo 1.5)
    d=$([ $E = $LONG ] && echo 1 || echo 2)
    s5=$(cat "$T/seeds-e$E-d5") s6=$(cat "$T/seeds-e$E-d6")
    plots35="$plots35${plots35:+, }\"$T/fig35-e$E.tsv\" using 1:2 with lines lw $w dt $d lc 1 title \"c = 5, raw (N), $E epochs, $s5\", \"$T/fig35-e$E.tsv\" using 1:3 with lines lw $w dt $d lc 2 title \"c = 5, Huffman, $E epochs, $s5\", \"$T/fig35-e$E.tsv\" using 1:4 with lines lw $w dt $d lc 3 title \"c = 6, raw (N), $E epochs, $s6\", \"$T/fig35-e$E.tsv\" using 1:5 with lines lw $w dt $d lc 4 title \"c = 6, Huffman, $E epochs, $s6\""
done
plotsacc="\"$T/acc-e$LONG.tsv\" using 1:2 with lines lw 2 lc 1 title \"baseline (f32), $(cat "$T/seeds-e$LONG-base")\", \"$T/acc-e$LONG.tsv\" using 1:3 with lines lw 2 lc 2 title \"c = 5, $(cat "$T/seeds-e$LONG-d5")\", \"$T/acc-e$LONG.tsv\" using 1:4 with lines lw 2 lc 3 title \"c = 6, $(cat "$T/seeds-e$LONG-d6")\""
gnuplot <<GP
set terminal pngcairo size 800,500 font ",11"
set datafile separator "\t"
set output "$R/quant-ch3-fig31.png"
set title "Fig. 3.1: test accuracy against fixed N (784-392-50-10 tanh, MSE)"
set xlabel "bits N (weights quantized after every epoch)"
set ylabel "test accuracy (%)"
set key bottom right
set xrange [1:17]
plot $plots31
set output "$R/quant-ch3-fig31-zoom.png"
set title "Fig. 3.1 for N ≥ 6 (the same runs)"
set xrange [5.5:17]
set yrange [96:98.5]
replot
set yrange [*:*]
set terminal pngcairo size 1100,500 font ",11"
set output "$R/quant-ch3-fig35.png"
set title "Fig. 3.5: bits per weight by epoch, dynamic N (M = 4), mean over seeds"
set xlabel "epoch"
set ylabel "bits per weight"
set xrange [*:*]
set yrange [0:*]
set key outside right font ",9"
plot $plots35
set output "$R/quant-ch3-acc.png"
set title "Test accuracy by epoch, $LONG epochs, weights quantized after every epoch (mean over seeds)"
set xlabel "epoch"
set ylabel "test accuracy (%)"
set yrange [96.5:98.2]
set key inside bottom right font ",9"
plot $plotsacc
set terminal pngcairo size 800,500 font ",11"
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
echo "- Runs (a TSV each, quant-ch3-runs-eE.tsv, a row per epoch; the seeds of each"
echo "  configuration are in the tables):"
for E in $EE; do
    f=$R/quant-ch3-runs-e$E.tsv
    echo "  $E epochs: $(awk -F'\t' 'NR > 1 { k = $1; if (!(k in n)) o[++m] = k; n[k]++ }
        END { for (i = 1; i <= m; i++) printf "%s%s %d", (i > 1 ? ", " : ""), o[i], n[o[i]] / E }' E=$E "$f")"
    echo "  (configuration and number of runs);"
    echo "  $(awk -F'\t' 'NR > 1 { print $9 }' "$f" | sort -g | awk '{ t[++n] = $1 }
        END { printf "%d epochs, %.2f s the median epoch (%.1f–%.1f s: wall clock, with the pauses during others'"'"' benchmarks)", n, n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2, t[1], t[n] }'), one core."
done
echo "- Cut for the compute budget (one core of a machine shared with other jobs, paused"
echo "  during others' benchmarks): seeds 1–3 at most instead of 1500 runs or 50 trials a point;"
echo "  at 100 epochs only the settings and seeds in the tables (the rest were not run in the"
echo "  time); fixed N in {2,3,4,5,6,8,10,12,16} (30 and 100 epochs) instead of every N from 2 to 30; no"
echo "  rate tuned per setting."
echo "- Machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), shared;"
echo "  OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset}, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset},"
echo "  OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}; tools built at commit ${TOOLS_COMMIT:-$(git log -1 --format=%h -- tools lib Makefile 2>/dev/null || echo unknown)}; $(date -u '+%Y-%m-%d')."
echo "- Re-run: \`make -f pipelines/quant.mk quant-ch3 EPOCHS=E\` (trains what is missing"
echo "  from quant-ch3-runs-eE.tsv, then this page from every runs TSV); with REUSE=1 only the"
echo "  page from the TSVs."
echo
cat "$T/page.md"
echo "![Fig. 3.1](quant-ch3-fig31.png)"
echo
echo "![Fig. 3.1, N from 6](quant-ch3-fig31-zoom.png)"
echo
echo "![Fig. 3.5](quant-ch3-fig35.png)"
echo
echo "![test accuracy by epoch](quant-ch3-acc.png)"
echo
echo "![codings](quant-ch3-codings.png)"
} > $R/quant-ch3.md
cat $R/quant-ch3.md

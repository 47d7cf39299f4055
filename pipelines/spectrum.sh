#!/bin/sh
# spectrum.sh [OPTION]... STAGE... — issue 15's reproductions with nn-spectrum:
#   data   the data sets, from TRAIN and TEST (mnist.mk's): binary MNIST
#          (digits 0-4 against 5-9, labels 0/1 with classes=2; the first
#          8192 training rows, 2000 test rows, the first 2048 training rows
#          as the Hessian's fixed rows), the same 8192 rows 4x4-average-
#          pooled to 7x7 = 49 inputs, and 10000 ten-class training rows
#   li8a   Li Fig. 8a: a deep ReLU MLP 784-128x5-1, hinge loss, Adam (lr 1e-4);
#          the Hessian's top eigenvalues (Lanczos), trace (Hutchinson)
#          and density (SLQ) over the 2048 fixed rows at initialisation
#          and every --every epochs -> spectrum-li8a.tsv, -density.tsv
#          (seed 1: li8a-* in NETS; SEED=N: li8a-sN-*, its rows only in
#          spectrum-li8a-seeds.tsv, which holds every seed's)
#   li8a_tsv  only the TSVs of li8a, from the spectra kept in NETS
#   li8a_check  li8a's last network with 10 probes x 80 steps (seed 2)
#          -> spectrum-li8a-check.tsv
#   li7b   Li Fig. 7b: a small ReLU MLP 49-16-16-16-1 (1361 parameters),
#          hinge; the exact Hessian over DRAWS bootstrap draws of M rows
#          (with replacement, from the 8192) at every checkpoint; per
#          entry the mean over the draws over its std -> spectrum-li7b.tsv
#   alpha  weight spectra over training: 784-200-200-200-10 softmax
#          trained by backprop (trajectory), the closed-form network of
#          fit-net.sh, and their shuffles -> spectrum-alpha.tsv
#   srank  thesis Fig. 6.3: stable rank by layer, backprop (with SEED=1
#          alpha's network) against dll.sh bottom-up and random robin,
#          and the closed-form network -> spectrum-srank.tsv (rows of
#          other seeds kept: run again with SEED=2 for a second seed)
#   page   the plots (gnuplot) and pipelines/results/spectrum-results.md
#
#   -n, --nets=DIR      networks and data kept here (default build/spectrum)
#       --train=FILE    ten-class training stream (default
#                       build/mnist-new/train.nns)
#       --test=FILE     ten-class test stream (default build/mnist-new/test.nns)
#   -h, --help          show this help
# Sizes (environment): E8A=24 EVERY8A=2 STEPS=40 PROBES=4 PRECISION=f64 (li8a);
# E7B=30 EVERY7B=10 DRAWS=32 M=128 (li7b); EMC=10 (alpha, srank, every DLL
# layer); SEED=1.  The tools come from PATH; OPENBLAS_NUM_THREADS=1.
set -eu
usage() { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
NETS=build/spectrum
TRAIN=build/mnist-new/train.nns
TEST=build/mnist-new/test.nns
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    -n) NETS=$2; shift 2 ;;
    --nets=*) NETS=${1#*=}; shift ;;
    --train=*) TRAIN=${1#*=}; shift ;;
    --test=*) TEST=${1#*=}; shift ;;
    --) shift; break ;;
    -*) echo "spectrum.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
E8A=${E8A:-24} EVERY8A=${EVERY8A:-2} STEPS=${STEPS:-40} PROBES=${PROBES:-4}
PRECISION=${PRECISION:-f64}
E7B=${E7B:-30} EVERY7B=${EVERY7B:-10} DRAWS=${DRAWS:-32} M=${M:-128}
EMC=${EMC:-10} SEED=${SEED:-1}
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
PY=/usr/bin/python3
TOP=$(pwd)
R=$TOP/pipelines/results
mkdir -p "$NETS" "$R"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# --- data -----------------------------------------------------------------
stage_data() {
    $PY - "$TRAIN" "$TEST" "$tmp" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
def load(f):
    t = {n: a for n, a, _ in read(open(f, "rb"))}
    return t["x"], t["y"]
x, y = load(sys.argv[1]); xt, yt = load(sys.argv[2]); d = sys.argv[3]
b = lambda v: (v >= 5).astype(np.uint8)          # 0-4 -> 0, 5-9 -> 1
pool = lambda a: a.reshape(-1, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(-1, 49)
for name, a in (("bx", x[:8192]), ("by", b(y[:8192])), ("tx", xt[:2000]),
                ("ty", b(yt[:2000])), ("sx", pool(x[:8192]).astype(np.float32))):
    np.save(f"{d}/{name}.npy", a)
EOF
    nn-import x="$tmp/bx.npy" y="$tmp/by.npy" > "$NETS/bin-train.nns"
    nn-import x="$tmp/tx.npy" y="$tmp/ty.npy" > "$NETS/bin-test.nns"
    nn-import x="$tmp/sx.npy" y="$tmp/by.npy" > "$NETS/small-train.nns"
    nn-slice :2048 "$NETS/bin-train.nns" > "$NETS/bin-hess.nns"
    nn-slice :10000 "$TRAIN" > "$NETS/mc-train.nns"
}

# --- Li Fig. 8a -------------------------------------------------------------
stage_li8a() {
    p=$NETS/$(p8a)
    nn-init -s "$SEED" 784-128-128-128-128-128-1 > "$p-init.nns"
    nn-train --objective hinge -e "$E8A" -b 64 --lr 0.0001 -s "$SEED" \
        --trajectory "$p-traj.nns" --every "$EVERY8A" \
        --log "$p-log.nns" --valid "$NETS/bin-test.nns" \
        "$p-init.nns" "$NETS/bin-train.nns" > "$p-final.nns"
    for n in init traj; do
        nn-spectrum --objective hinge --hessian top,trace,density \
            --steps "$STEPS" --probes "$PROBES" -s "$SEED" \
            --precision "$PRECISION" \
            "$p-$n.nns" "$NETS/bin-hess.nns" > "$p-spec-$n.nns"
    done
    stage_li8a_tsv
}

# li8a's files in NETS: li8a-* for seed 1 (as before there were seeds),
# li8a-sSEED-* for the others
p8a() { if [ "$SEED" = 1 ]; then echo li8a; else echo "li8a-s$SEED"; fi; }

# the TSVs of li8a from the spectra kept in NETS
stage_li8a_tsv() {
    $PY - "$NETS" "$R" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
import glob, re
nets, r = sys.argv[1:]
# every seed whose spectra are in NETS: seed 1's li8a-*, the others' li8a-sN-*
seeds = {1: "li8a"} if os.path.exists(f"{nets}/li8a-spec-traj.nns") else {}
for f in glob.glob(f"{nets}/li8a-s*-spec-traj.nns"):
    k = int(re.search(r"li8a-s(\d+)-spec", f).group(1))
    seeds[k] = f"li8a-s{k}"
def spectra(pre):
  log = [a for n, a, _ in read(open(f"{nets}/{pre}-log.nns", "rb")) if n == "log"][0]
  byep = {int(row[0]): row for row in log}
  rows, dens, slq = [], [], {}
  for f in ("init", "traj"):
    for n, a, at in read(open(f"{nets}/{pre}-spec-{f}.nns", "rb")):
        ep = int(at.get("checkpoint", 0))
        if n == "slq":
            slq[ep] = a
        if n == "hessian":
            h = dict(zip(at["columns"].split(","), a[0]))
            lg = byep.get(ep)
            rows.append([ep, h["loss"], h["grad_norm2"], h["top_1"], h["top_2"],
                         h["trace"], h["trace_sem"], h["slq_min"], h["slq_max"],
                         h["negative_mass"], h["asymmetry"], h["sigma"],
                         lg[1] if lg is not None else np.nan,
                         lg[2] if lg is not None else np.nan,
                         lg[4] if lg is not None else np.nan])
        elif n == "density":
            for e, d in a:
                dens.append((ep, e, d))
  # from the quadrature nodes x and weights w: the spread sqrt(sum w x^2)
  # (the RMS eigenvalue), the share of the measure within 1% of the largest
  # |node| (the bulk at 0), the negative share of the rest, the skewness
  for t in rows:
    a = slq[t[0]]; x, w = a[:, 0], a[:, 1]
    z = np.abs(x) < 0.01 * np.abs(x).max()
    m2 = (w * x * x).sum()
    t += [np.sqrt(m2), w[z].sum(), w[(x < 0) & ~z].sum() / w[~z].sum(),
          (w * x ** 3).sum() / m2 ** 1.5, (w * x).sum() / np.sqrt(m2)]
  rows.sort(key=lambda t: t[0])
  return rows, dens
head = ("epoch\thess_loss\tgrad_norm2\ttop_1\ttop_2\ttrace\ttrace_sem\tslq_min\t"
        "slq_max\tnegative_mass\tasymmetry\tsigma\ttrain_loss\ttrain_acc\ttest_acc\t"
        "rms\tmass_near0\tneg_share_outside\tskewness\tmean_over_rms\n")
with open(f"{r}/spectrum-li8a-seeds.tsv", "w") as o:  # every seed, by seed
    o.write("seed\t" + head)
    for sd in sorted(seeds):
        for t in spectra(seeds[sd])[0]:
            o.write(f"{sd}\t" + "\t".join(f"{v:.6g}" for v in t) + "\n")
if 1 not in seeds:
    sys.exit(0)
rows, dens = spectra("li8a")  # the page's tables and plots: seed 1
with open(f"{r}/spectrum-li8a.tsv", "w") as o:
    o.write(head)
    for t in rows:
        o.write("\t".join(f"{v:.6g}" for v in t) + "\n")
with open(f"{r}/spectrum-li8a-density.tsv", "w") as o:
    o.write("epoch\teigenvalue\tdensity\n")
    last = None
    for ep, e, d in sorted(dens, key=lambda t: (t[0], t[1])):
        if last is not None and ep != last:
            o.write("\n\n")
        o.write(f"{ep}\t{e:.6g}\t{d:.6g}\n"); last = ep
EOF
}

# li8a's last network again with 10 probes x 80 steps: is the picture the
# SLQ's few probes?
stage_li8a_check() {
    nn-spectrum --objective hinge --hessian top,trace,density --steps 80 --probes 10 \
        --top 5 -s 2 "$NETS/li8a-final.nns" "$NETS/bin-hess.nns" > "$NETS/li8a-check.nns"
    $PY - "$NETS" "$R" "$E8A" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
nets, r, ep = sys.argv[1:]
t = {n: (a, at) for n, a, at in read(open(f"{nets}/li8a-check.nns", "rb"))}
a, at = t["hessian"]; h = dict(zip(at["columns"].split(","), a[0]))
x, w = t["slq"][0][:, 0], t["slq"][0][:, 1]
z = np.abs(x) < 0.01 * np.abs(x).max(); m2 = (w * x * x).sum()
cols = ["top_1", "trace", "trace_sem", "slq_min", "slq_max", "negative_mass", "asymmetry"]
with open(f"{r}/spectrum-li8a-check.tsv", "w") as o:
    o.write("epoch\tprobes\tsteps\tseed\t" + "\t".join(cols) +
            "\trms\tmass_near0\tneg_share_outside\tskewness\tmean_over_rms\n")
    o.write(f"{ep}\t10\t80\t2\t" + "\t".join(f"{h[c]:.6g}" for c in cols) +
            f"\t{np.sqrt(m2):.6g}\t{w[z].sum():.6g}\t{w[(x < 0) & ~z].sum() / w[~z].sum():.6g}"
            f"\t{(w * x ** 3).sum() / m2 ** 1.5:.6g}\t{(w * x).sum() / np.sqrt(m2):.6g}\n")
EOF
}

# --- Li Fig. 7b -------------------------------------------------------------
stage_li7b() {
    nn-init -s "$SEED" 49-16-16-16-1 > "$NETS/li7b-init.nns"
    nn-train --objective hinge -e "$E7B" -b 64 --lr 0.001 -s "$SEED" \
        --trajectory "$NETS/li7b-traj.nns" --every "$EVERY7B" \
        --log "$NETS/li7b-log.nns" \
        "$NETS/li7b-init.nns" "$NETS/small-train.nns" > "$NETS/li7b-final.nns"
    $PY - "$NETS/small-train.nns" "$tmp" "$DRAWS" "$M" "$SEED" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
t = {n: a for n, a, _ in read(open(sys.argv[1], "rb"))}
d, B, m, s = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
g = np.random.default_rng(s)
for b in range(B):
    i = g.integers(0, len(t["y"]), m)          # m rows with replacement
    np.save(f"{d}/x{b}.npy", t["x"][i]); np.save(f"{d}/y{b}.npy", t["y"][i])
EOF
    b=0
    while [ $b -lt "$DRAWS" ]; do
        nn-import x="$tmp/x$b.npy" y="$tmp/y$b.npy" > "$tmp/d.nns"
        for n in init traj; do
            nn-spectrum --objective hinge --hessian exact --matrix \
                "$NETS/li7b-$n.nns" "$tmp/d.nns" > "$tmp/h-$n-$b.nns"
        done
        $PY - "$tmp" "$b" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
d, b = sys.argv[1], int(sys.argv[2])
# keep the upper triangle (i <= j) of every checkpoint's H in f32
out = {}
for f in ("init", "traj"):
    for n, a, at in read(open(f"{d}/h-{f}-{b}.nns", "rb")):
        if n == "hessian_matrix":
            iu = np.triu_indices(a.shape[0])
            out[f"c{int(at.get('checkpoint', 0))}"] = a[iu].astype(np.float32)
        elif n == "hessian":
            h = dict(zip(at["columns"].split(","), a[0]))
            out[f"s{int(at.get('checkpoint', 0))}"] = np.array(
                [h["loss"], h["exact_min"], h["exact_max"], h["exact_trace"], h["exact_negative"]])
    os.remove(f"{d}/h-{f}-{b}.nns")
np.savez(f"{d}/u{b}.npz", **out)
EOF
        b=$((b + 1))
    done
    $PY - "$tmp" "$DRAWS" "$M" "$R" "$NETS" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
d, B, m, r, nets = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
zs = [np.load(f"{d}/u{b}.npz") for b in range(B)]
ckpts = sorted(int(k[1:]) for k in zs[0].files if k[0] == "c")
log = [a for n, a, _ in read(open(f"{nets}/li7b-log.nns", "rb")) if n == "log"][0]
byep = {int(row[0]): row for row in log}
g = np.random.default_rng(7)
fresh = not os.path.exists(f"{r}/spectrum-li7b.tsv")
with open(f"{r}/spectrum-li7b.tsv", "a") as o:
    if fresh:
        o.write("m\tdraws\tepoch\ttrain_loss\ttrain_acc\tdraw_loss\tentries\tzero\t"
                "frac_t015\tfrac_t015_sd\tfrac_g015\tmedian_abs_t\texact_min\texact_max\t"
                "exact_trace\texact_negative\n")
    for c in ckpts:
        H = np.stack([z[f"c{c}"] for z in zs])    # draws x entries, f32
        S = np.stack([z[f"s{c}"] for z in zs]).mean(axis=0)
        nz = (H != 0).any(axis=0)            # entries that are not 0 in every draw
        H = H[:, nz].astype(np.float64)
        mu, sd = H.mean(axis=0), H.std(axis=0, ddof=1)
        nz2 = sd > 0                         # (not constant either)
        t = np.abs(mu[nz2] / sd[nz2])        # reading 1: per entry, mean / its std
        frac = np.mean(t < 0.15)
        # its spread: the fraction recomputed on resamples of the draws
        fr = []
        for _ in range(50):
            Hk = H[g.integers(0, B, B)][:, nz2]
            fr.append(np.mean(np.abs(Hk.mean(0) / np.maximum(Hk.std(0, ddof=1), 1e-300)) < 0.15))
        mu, sd, nz = mu[nz2], sd[nz2], np.flatnonzero(nz)[nz2]
        gm = np.abs(mu) / mu.std()           # reading 2: means over the std of all means
        lg = byep.get(c)
        o.write("\t".join(str(v) for v in (
            m, B, c, f"{lg[1]:.6g}" if lg is not None else "nan",
            f"{lg[2]:.6g}" if lg is not None else "nan", f"{S[0]:.6g}",
            len(zs[0][f"c{c}"]), len(zs[0][f"c{c}"]) - len(nz), f"{frac:.4f}", f"{np.std(fr):.4f}",
            f"{np.mean(gm < 0.15):.4f}", f"{np.median(t):.4f}",
            f"{S[1]:.6g}", f"{S[2]:.6g}", f"{S[3]:.3g}", f"{S[4]:.4f}")) + "\n")
        # Fig. 7a's picture: the density of the signed statistic mean/std
        hist, edges = np.histogram(mu / sd, bins=80, range=(-4, 4), density=True)
        hnew = not os.path.exists(f"{r}/spectrum-li7b-hist.tsv")
        with open(f"{r}/spectrum-li7b-hist.tsv", "a") as h:
            if hnew:
                h.write("m\tepoch\tt\tdensity\n")
            for cen, v in zip((edges[1:] + edges[:-1]) / 2, hist):
                h.write(f"{m}\t{c}\t{cen:.3f}\t{v:.5g}\n")
            h.write("\n\n")
EOF
}

# --- alpha over training ---------------------------------------------------
stage_alpha() {
    nn-init -s "$SEED" -O softmax 784-200-200-200-10 > "$NETS/mc-init.nns"
    nn-train -e "$EMC" -b 64 --lr 0.001 -s "$SEED" --trajectory "$NETS/mc-traj.nns" \
        --log "$NETS/mc-log.nns" --valid "$TEST" \
        "$NETS/mc-init.nns" "$NETS/mc-train.nns" > "$NETS/mc-bp.nns"
    sh pipelines/fit-net.sh "$NETS/mc-train.nns" 200 200 200 > "$NETS/mc-cf.nns"
    for n in init traj cf; do
        nn-spectrum --shuffled -s "$SEED" "$NETS/mc-$n.nns" > "$NETS/mc-spec-$n.nns"
    done
    nn-spectrum --shuffled -s "$SEED" "$NETS/li8a-init.nns" > "$NETS/li8a-w-init.nns"
    nn-spectrum --shuffled -s "$SEED" "$NETS/li8a-traj.nns" > "$NETS/li8a-w-traj.nns"
    $PY - "$NETS" "$R" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
nets, r = sys.argv[1:]
keep = ["alpha", "rand_alpha", "D", "xmin", "num_pl_spikes", "stable_rank",
        "log_spectral_norm", "num_spikes", "rand_distance"]
with open(f"{r}/spectrum-alpha.tsv", "w") as o:
    o.write("net\tepoch\tlayer\trows\tcols\t" + "\t".join(keep) + "\n")
    for net, files in (("bp", ["mc-spec-init", "mc-spec-traj"]), ("cf", ["mc-spec-cf"]),
                       ("li8a", ["li8a-w-init", "li8a-w-traj"])):
        for f in files:
            for n, a, at in read(open(f"{nets}/{f}.nns", "rb")):
                if n != "weights":
                    continue
                cols = at["columns"].split(",")
                ep = int(at.get("checkpoint", 0))
                for row in a:
                    h = dict(zip(cols, row))
                    o.write("\t".join([net, str(ep), str(int(h["layer"])), str(int(h["rows"])),
                                       str(int(h["cols"]))] +
                                      [f"{h.get(k, np.nan):.5g}" for k in keep]) + "\n")
EOF
}

# --- thesis Fig. 6.3 --------------------------------------------------------
stage_srank() {
    D=$NETS/srank-s$SEED
    mkdir -p "$D"
    if [ "$SEED" = 1 ] && [ -f "$NETS/mc-bp.nns" ]; then
        cp "$NETS/mc-bp.nns" "$D/bp.nns"     # alpha's network
    else
        nn-init -s "$SEED" -O softmax 784-200-200-200-10 |
            nn-train -e "$EMC" -b 64 --lr 0.001 -s "$SEED" - "$NETS/mc-train.nns" > "$D/bp.nns"
    fi
    if [ -f "$NETS/mc-cf.nns" ]; then cp "$NETS/mc-cf.nns" "$D/cf.nns"; fi
    sh pipelines/dll.sh -e "$EMC" -b 64 -s "$SEED" "$NETS/mc-train.nns" 200 200 200 \
        > "$D/dll.nns"
    # random robin: the same epochs per layer, in rounds of EMC/5 epochs
    sh pipelines/dll.sh -e $((EMC / 5)) --rounds 5 --order random-robin -b 64 -s "$SEED" \
        "$NETS/mc-train.nns" 200 200 200 > "$D/rr.nns"
    for n in bp dll rr cf; do
        [ -f "$D/$n.nns" ] || continue
        nn-spectrum -s "$SEED" "$D/$n.nns" > "$D/w-$n.nns"
        nn-forward "$D/$n.nns" "$TEST" | nn-eval -q > "$D/$n-eval.txt"
    done
    $PY - "$D" "$R" "$SEED" <<'EOF'
import sys, os, numpy as np
sys.path.insert(0, os.path.join(os.getcwd(), "examples"))
from nns_read import read
d, r, seed = sys.argv[1:]
f = f"{r}/spectrum-srank.tsv"
head = "seed\tnet\tlayer\trows\tcols\tstable_rank\talpha\tlog_spectral_norm\ttest_eval\n"
old = [l for l in open(f)][1:] if os.path.exists(f) and open(f).readline() == head else []
with open(f, "w") as o:
    o.write(head)
    o.writelines(l for l in old if l.split("\t")[0] != seed)
    for net in ("bp", "dll", "rr", "cf"):
        if not os.path.exists(f"{d}/w-{net}.nns"):
            continue
        ev = open(f"{d}/{net}-eval.txt").read().strip()
        for n, a, at in read(open(f"{d}/w-{net}.nns", "rb")):
            if n != "weights":
                continue
            cols = at["columns"].split(",")
            for row in a:
                h = dict(zip(cols, row))
                o.write(f"{seed}\t{net}\t{int(h['layer'])}\t{int(h['rows'])}\t{int(h['cols'])}\t"
                        f"{h['stable_rank']:.5g}\t{h['alpha']:.5g}\t{h['log_spectral_norm']:.5g}\t{ev}\n")
EOF
}

for s in "$@"; do
    case $s in
    data|li8a|li8a_tsv|li8a_check|li7b|alpha|srank) echo "spectrum.sh: $s ($(date -u +%H:%M:%S))" >&2; stage_$s ;;
    page) sh pipelines/spectrum-page.sh ;;
    *) echo "spectrum.sh: unknown stage $s" >&2; exit 2 ;;
    esac
done

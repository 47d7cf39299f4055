# The pipelines on Slurm (pipelines/slurm/): a local cluster comes up
# (slurm-wlm and munge installed by deps.sh when missing; a cluster that
# cannot start is a failure, not a skip), the sharded closed-form fit and
# the k-filter by blocks run through it and here, and must agree with each
# other and with the single-process tools; a failed task stops the
# pipeline with its log, and a re-run resumes; the cluster goes down
# whatever happens.
. "$(dirname "$0")/../lib.sh"
S=$TOP/pipelines/slurm
cd "$T"
# the caller's cluster and options are not ours: down must not find them
unset SLURM_CONF NN_SLURM_DIR NN_SBATCH NN_ARRAY_MAX RUNNER JOBS NN_SLURM_PORT
NN_POLL=1
export NN_POLL
trap 'sh "$S/cluster.sh" down >/dev/null 2>&1; rm -rf "$T"' EXIT

check "deps.sh slurm: slurmctld, slurmd, sbatch and munged are here" sh "$TOP/pipelines/deps.sh" slurm

# a failed up (a port that is not a number, after munged started) leaves
# nothing behind, and down after it succeeds
if TMPDIR=$T NN_SLURM_PORT=x sh "$S/cluster.sh" up >up.out 2>up.err; then
    not_ok "a failed up exits non-zero" "exit 0"
elif ls -d "$T"/nn-slurm.* >/dev/null 2>&1; then
    not_ok "a failed up removes its directory" "$(ls -d "$T"/nn-slurm.*)"
elif [ -s up.out ] || ! grep -q "not a port number" up.err; then
    not_ok "a failed up says why, on stderr only" "$(head -c 300 up.err)"
else
    ok "a failed up says why and leaves no directory"
fi
# and when the reader of its messages is gone (SIGPIPE on the first or a
# later write), it still takes down what it started
mkdir gone
TMPDIR=$T/gone NN_SLURM_PORT=x sh "$S/cluster.sh" up 2>&1 | true
sleep 1
if ls -d "$T"/gone/nn-slurm.* >/dev/null 2>&1 || pgrep -f "$T/gone/nn-slurm" >/dev/null; then
    not_ok "a failed up whose reader is gone leaves nothing behind" \
        "$(ls -d "$T"/gone/nn-slurm.* 2>&1; pgrep -af "$T/gone/nn-slurm")"
    pkill -f "$T/gone/nn-slurm"
else
    ok "a failed up whose reader is gone leaves nothing behind"
fi
check "down without a cluster succeeds" env -u SLURM_CONF -u NN_SLURM_DIR sh "$S/cluster.sh" down

if ! sh "$S/cluster.sh" up >env.sh 2>up.err; then
    not_ok "the cluster comes up" "$(tail -c 600 up.err | tr '\n' ' ')"
    exit 1
fi
. ./env.sh
ok "the cluster comes up ($(tail -1 up.err | sed 's/.*: up: //; s/; logs.*//'))"
check "sinfo sees the node idle" sh -c '[ "$(sinfo -h -N -o %T)" = idle ]'
check "a job runs and its output comes back" sh -c \
    'sbatch -Q -W -o job.out --wrap "echo hello from \$SLURM_JOB_ID" && grep -q "^hello from [0-9]" job.out'

# small data: 2 classes, 3000 rows of 2 features
nn-toy --samples 3000 --seed 5 spirals > sp.nns
nn-toy --samples 2503 --seed 6 --noise 0.05 checkerboard > cb.nns

# (a) the sharded fit: through Slurm = here, byte for byte; and the single
# pass of fit-net.sh to rounding: each layer's weights within 1e-5 of its
# largest weight (measured: 1.4e-7, single precision's rounding; a weak
# ridge, -l 1e-3, lets the second platonic-pca layer amplify it to 7e-6)
fit="-K 4 -l 1 --beta 10"
RUNNER=local sh "$S/sharded-fit.sh" $fit sp.nns 24 16 > net.local.nns 2>fit.local.err
check "sharded fit, local: a network" nn-info -q net.local.nns
RUNNER=slurm sh "$S/sharded-fit.sh" $fit sp.nns 24 16 > net.slurm.nns 2>fit.slurm.err
same "sharded fit through Slurm = the local run" net.local.nns net.slurm.nns
check "the sharded fit ran as job arrays" grep -q "stage gram2: job array [0-9]*, tasks 0,1,2,3" fit.slurm.err
sh "$TOP/pipelines/fit-net.sh" --first-method random -m platonic-pca -l 1 --beta 10 \
    sp.nns 24 16 > net.single.nns
"$PY" - "$TOP" net.local.nns net.single.nns > cmp.out 2>&1 <<'PY'
import sys; sys.path.insert(0, sys.argv[1] + "/examples")
import numpy as np
from nns_read import read
def layers(f):
    return [np.asarray(a, dtype=np.float64) for n, a, at in read(open(f, "rb")) if n == "w"]
a, b = layers(sys.argv[2]), layers(sys.argv[3])
assert len(a) == len(b) == 3, (len(a), len(b))
worst = max(np.abs(x - y).max() / np.abs(y).max() for x, y in zip(a, b))
print("%.3g" % worst)
sys.exit(0 if worst < 1e-5 else 1)
PY
if [ $? -eq 0 ]; then ok "sharded fit = single-pass fit-net.sh to rounding (max relative difference $(cat cmp.out))"
else not_ok "sharded fit = single-pass fit-net.sh to rounding" "$(tail -c 300 cmp.out)"; fi

# (b) k-filtering by blocks: identical to nn-kfilter -b, the last block of
# 3 rows (k or fewer) kept whole
nn-kfilter -k 5 -b 500 cb.nns > kept.ref.nns
RUNNER=local sh "$S/kfilter-blocks.sh" -k 5 -b 500 cb.nns > kept.local.nns 2>/dev/null
same "k-filter by blocks, local = nn-kfilter -b" kept.ref.nns kept.local.nns
RUNNER=slurm sh "$S/kfilter-blocks.sh" -k 5 -b 500 cb.nns > kept.slurm.nns 2>kf.err
same "k-filter by blocks through Slurm = nn-kfilter -b" kept.ref.nns kept.slurm.nns
check "the k-filter ran as a job array of 6 blocks" grep -q "stage filter: job array [0-9]*, tasks 0,1,2,3,4,5" kf.err
nn-kfilter -k 5 -b 500 --cap 0.3 cb.nns > capped.ref.nns
RUNNER=local sh "$S/kfilter-blocks.sh" -k 5 -b 500 --cap 0.3 cb.nns > capped.local.nns 2>/dev/null
same "with --cap too" capped.ref.nns capped.local.nns

# a failed task: an nn-forward that fails stops the pipeline with the
# stage, the task and its log; nothing is left queued; a re-run with the
# real tool resumes (the finished stages are not redone) and gives the
# same network
mkdir fake
printf '#!/bin/sh\necho "fake nn-forward fails" >&2\nexit 3\n' > fake/nn-forward
chmod +x fake/nn-forward
if RUNNER=slurm PATH=$T/fake:$PATH sh "$S/sharded-fit.sh" $fit -w work sp.nns 24 16 > net.failed.nns 2>failed.err; then
    not_ok "a failed task fails the pipeline" "exit 0"
else
    log=$(sed -n 's/^run.sh: stage fwd1 task [0-9] failed (exit 3); log: //p' failed.err | head -1)
    if [ -n "$log" ] && [ -f "$log" ] && grep -q "fake nn-forward fails" "$log" &&
        grep -q "fake nn-forward fails" failed.err; then
        ok "a failed task is named, with its log and its last lines"
    else
        not_ok "a failed task is named, with its log and its last lines" "$(head -c 400 failed.err | tr '\n' ' ')"
    fi
fi
# cancelled jobs pass through COMPLETING before they leave the queue:
# within 20 s (a loaded machine), else the listing is the failure
check "nothing of ours is left in the queue" sh -c '
    i=0
    while q=$(squeue -h -o "%i %j %T") && [ -n "$q" ]; do
        i=$((i + 1))
        [ $i -le 40 ] || { echo "still queued after 20 s: $q" >&2; exit 1; }
        sleep 0.5
    done'
RUNNER=slurm sh "$S/sharded-fit.sh" $fit -w work sp.nns 24 16 > net.resumed.nns 2>resumed.err
same "the re-run resumes to the same network" net.local.nns net.resumed.nns
check "the re-run did not redo the finished stages" sh -c \
    'grep -q "stage split: done already" resumed.err && grep -q "stage fit1: done already" resumed.err &&
     ! grep -q "stage gram1: job array" resumed.err'

# down: the daemons gone, the directory removed
pids=$(cat "$NN_SLURM_DIR"/run/*.pid)
sh "$S/cluster.sh" down 2>/dev/null
alive=
for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
if [ -n "$alive" ] || [ -e "$NN_SLURM_DIR" ]; then
    not_ok "down stops the daemons and removes the directory" "alive:$alive"
else
    ok "down stops the daemons and removes the directory"
fi

# run.sh — the pipelines' switch between one machine and Slurm (sourced:
# . pipelines/slurm/run.sh).  A pipeline is a chain of stages; a stage is
# COUNT tasks of one command, each making one file.
#
#   stage NAME COUNT OUT CMD...   the tasks 0..COUNT-1 of CMD, after the
#                                 stages before it; each must create OUT
#   stages_wait                   wait for every stage (Slurm); stop on a
#                                 failed task
#
# In OUT and in CMD's words, %a stands for the task's number and %3a for
# it in three digits (nn-split's shard names); CMD also finds it in $TASK.
# A task whose OUT exists is not run again, so re-running a pipeline in
# the same work directory resumes from its finished pieces (make's rule:
# files that exist are not redone, and the tools create theirs only on
# success); a stage with every OUT there is skipped.
#
# RUNNER=local (default): each stage's tasks run here, JOBS at a time
# (default: the CPUs), and the stage returns when they are done.
# RUNNER=slurm: each stage is one job array (sbatch --array), held by
# --dependency=afterok on the stage before it; all are submitted at once
# and stages_wait polls squeue.  sbatch reads the usual options from the
# environment (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT, ...);
# NN_SBATCH adds words of options to every sbatch, NN_ARRAY_MAX caps the
# tasks of an array that run at once (--array=...%N).  The work directory
# must be on a file system the compute nodes share, and the tools on their
# PATH (sbatch passes this shell's environment).
#
# Logs: RUN_LOG/NAME.N.log (RUN_LOG defaults to $W/log, W being the
# pipeline's work directory); a task's exit status goes to NAME.N.rc
# beside it.  A failed task stops the pipeline (Slurm: the remaining jobs
# are cancelled) with "run.sh: stage NAME task N failed (exit S); log:
# PATH" and the log's last lines, and run_failed set.
RUNNER=${RUNNER:-local}
case $RUNNER in local | slurm) ;; *)
    echo "run.sh: RUNNER must be local or slurm, not '$RUNNER'" >&2; exit 2 ;;
esac
RUN_JOBS= RUN_PREV= RUN_STAGES= run_failed=

# run_workdir SCRIPT: W, the work directory: the one given (kept), or a
# new temporary one, removed when the script succeeds; after a failure it
# is kept and named, with the option that resumes from it
run_workdir() {
    run_tmp=
    [ -n "$W" ] || W=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") run_tmp=1
    mkdir -p "$W"
    W=$(cd "$W" && pwd)
    trap 'rc=$?; if [ $rc -eq 0 ] && [ -n "$run_tmp" ]; then rm -rf "$W";
          elif [ $rc -ne 0 ]; then echo "'"$1"'.sh: work kept in $W (--work $W resumes)" >&2; fi' EXIT
}

# q WORD...: the words quoted for sh, %3a and %a (outside the quotes) as
# the task's number; one awk for all (a process per word is slow)
q() {
    awk 'BEGIN { for (i = 1; i < ARGC; i++) { w = ARGV[i]; gsub(/'\''/, "'\''\\'\'''\''", w)
        w = "'\''" w "'\''"; gsub(/%3a/, "'\''\"$T3\"'\''", w); gsub(/%a/, "'\''\"$TASK\"'\''", w)
        printf "%s%s", (i > 1 ? " " : ""), w } }' "$@"
}

# missing PATTERN COUNT: the numbers of the tasks whose file is not there
missing() {
    i=0
    awk -v p="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) { f = p
        gsub(/%3a/, sprintf("%03d", i), f); gsub(/%a/, i, f); print f } }' |
    while IFS= read -r f; do
        [ -e "$f" ] || printf ' %s' $i
        i=$((i + 1))
    done
}

run_fail() { # NAME TASK RC
    log=$RUN_LOG/$1.$2.log
    echo "run.sh: stage $1 task $2 failed (exit $3); log: $log" >&2
    [ -f "$log" ] && tail -n 5 "$log" | sed 's/^/  | /' >&2
    run_failed=1
}

stage() {
    name=$1 count=$2 out=$3
    shift 3
    : "${RUN_LOG:=$W/log}"
    mkdir -p "$RUN_LOG"
    script=$RUN_LOG/$name.sh
    {
        echo '#!/bin/sh'
        echo "# stage $name of $count tasks, written by pipelines/slurm/run.sh"
        echo 'TASK=${SLURM_ARRAY_TASK_ID:-${1:?task number}}; export TASK'
        echo '[ $# -lt 2 ] || exec > "$2" 2>&1'
        echo 'T3=$TASK; while [ ${#T3} -lt 3 ]; do T3=0$T3; done'
        echo "cd $(q "$(pwd)") || exit 1"
        echo "out=$(q "$out")"
        echo "rc=$(q "$RUN_LOG/$name").\$TASK.rc"
        echo 'echo "stage '"$name"' task $TASK${SLURM_JOB_ID:+, Slurm job $SLURM_JOB_ID on $SLURMD_NODENAME}" >&2'
        echo "set -- $(q "$@")"
        echo '"$@"; s=$?'
        echo 'if [ $s -eq 0 ] && [ ! -e "$out" ]; then echo "run.sh: the task made no $out" >&2; s=1; fi'
        echo 'echo $s > "$rc"'
        echo 'exit $s'
    } > "$script"
    todo=$(missing "$out" "$count")
    if [ -z "$todo" ]; then
        echo "run.sh: stage $name: done already" >&2
        return 0
    fi
    for i in $todo; do rm -f "$RUN_LOG/$name.$i.rc"; done
    RUN_STAGES="$RUN_STAGES $name:$(echo $todo | tr ' ' ,)"
    if [ "$RUNNER" = local ]; then
        printf '%s\n' $todo | xargs -P "${JOBS:-$(nproc)}" -I{} sh "$script" {} "$RUN_LOG/$name.{}.log" || true
        for i in $todo; do
            s=$(cat "$RUN_LOG/$name.$i.rc" 2>/dev/null || echo "none")
            [ "$s" = 0 ] || { run_fail "$name" $i "$s"; exit 1; }
        done
        return 0
    fi
    id=$(sbatch --parsable --job-name="nn-$name" --array="$(echo $todo | tr ' ' ,)${NN_ARRAY_MAX:+%$NN_ARRAY_MAX}" \
        --output="$RUN_LOG/$name.%a.log" ${RUN_PREV:+--dependency=afterok:$RUN_PREV} \
        ${NN_SBATCH:-} "$script") || { echo "run.sh: sbatch of stage $name failed" >&2; run_cancel; exit 1; }
    id=${id%%;*}
    echo "run.sh: stage $name: job array $id, tasks $(echo $todo | tr ' ' ,)" >&2
    RUN_PREV=$id RUN_JOBS="$RUN_JOBS $id"
}

run_cancel() {
    [ -z "$RUN_JOBS" ] || scancel $RUN_JOBS 2>/dev/null || true
}

# run_check: 0 when every submitted task has finished well; 1 (and the
# failure reported) when one failed; 2 when some have not finished
run_check() {
    pending=
    for st in $RUN_STAGES; do
        name=${st%%:*}
        for i in $(echo "${st#*:}" | tr , ' '); do
            # an empty file: the task is writing it
            s=$(cat "$RUN_LOG/$name.$i.rc" 2>/dev/null) && [ -n "$s" ] || { pending=1; continue; }
            [ "$s" = 0 ] || { run_fail "$name" $i "$s"; return 1; }
        done
    done
    [ -z "$pending" ] || return 2
}

stages_wait() {
    [ "$RUNNER" = slurm ] && [ -n "$RUN_JOBS" ] || return 0
    bad=0
    while :; do
        # squeue first: a task that ends between the two looks is then
        # seen by run_check.  Our jobs by their array's id (%F): asking
        # for ids squeue has forgotten (MinJobAge) would be an error.
        if q=$(squeue -h -u "$(id -un)" -o '%F %i %T %r' 2>&1); then
            q=$(echo "$q" | awk -v ids="$RUN_JOBS" 'BEGIN { n = split(ids, a, " "); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
                $1 in mine')
        else
            bad=$((bad + 1))
            [ $bad -lt 10 ] || { echo "run.sh: squeue fails: $q" >&2; run_cancel; exit 1; }
        fi
        s=0; run_check || s=$?
        [ $s -ne 1 ] || { run_cancel; exit 1; }
        [ $s -ne 0 ] || return 0
        if [ -z "$q" ]; then
            # nothing queued, yet tasks without an exit status: killed
            # (time limit, node failure, scancel)
            for st in $RUN_STAGES; do
                for i in $(echo "${st#*:}" | tr , ' '); do
                    [ -e "$RUN_LOG/${st%%:*}.$i.rc" ] || {
                        run_fail "${st%%:*}" $i "none: killed or never started"; exit 1; }
                done
            done
        fi
        case $q in *DependencyNeverSatisfied*)
            echo "run.sh: a job waits on a failed one: $(echo "$q" | grep DependencyNeverSatisfied | head -1)" >&2
            run_cancel; exit 1 ;;
        esac
        sleep "${NN_POLL:-2}"
    done
}

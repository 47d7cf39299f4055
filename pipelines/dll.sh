#!/bin/sh
# dll.sh — deep layer-wise learning (thesis ch. 6, Algorithms 3 and 4) by
# chaining the tools: nn-init makes a hidden layer and a decision layer on
# top, nn-train --head trains the two on the current representation and
# keeps the layer, nn-forward moves the data through it, and so on; the
# last hidden layer keeps its decision layer as the output layer.
#
#   dll.sh [OPTION]... TRAIN WIDTH... > net.nns
#
#   -a, --activation=ACT    hidden activation (default relu)
#   -O, --output-activation=ACT  the decision layers' (default softmax)
#       --decision=W[,W..]  a decision block with hidden layers of these
#                           widths (default: one layer to the classes)
#       --segment=K         train K consecutive layers at a time
#                           (segment-wise learning; default 1)
#   -e, --epochs=E[,E..]    epochs per layer (per segment), per visit with
#                           --rounds; the last value repeats (default 10)
#   -b, --batch=N           rows per mini-batch (default 64)
#       --optimizer=NAME    adam (default), adamw or sgd
#       --momentum=M        sgd's momentum (default nn-train's, 0.9)
#       --lr=RATE           the first layer's learning rate (default 0.001,
#                           0.01 for sgd)
#       --lr-decay=D        layer i trains at RATE D^(i-1) (default 1; the
#                           thesis's Table 6.3: 0.8)
#   -l, --lambda=L          the first layer's weight decay (default 0)
#       --lambda-growth=G   layer i's is L G^(i-1) (default 1; thesis 1.15)
#       --dropout=P         forward dropout: of the layer's input, at rate
#                           P in its first epoch (default 0)
#       --dropout-decay=G   times G every epoch of the layer (default 1;
#                           thesis 0.95)
#       --grad-dropout=P    backward dropout: of the gradient from the
#                           decision block into the layer (default 0)
#       --order=ORDER       bottom-up (default) or random-robin
#       --rounds=R          rounds over the layers (default 1); each visit
#                           trains a layer --epochs epochs
#       --rewarm=STEPS      random robin: nn-train --warmup STEPS on every
#                           visit but a layer's first (default 0)
#       --last-round=ORDER  random robin's last round: random (default, as
#                           Algorithm 4) or bottom-up, so that no layer
#                           ends trained on an older output of the layers
#                           below it
#   -s, --seed=SEED         layer i is drawn with SEED+i-1; visit v of layer
#                           i shuffles with SEED+(v-1)n+i-1, n the layers
#                           (default 1)
#       --valid=FILE        score every layer on FILE: layers 1..i with
#                           layer i's decision layer (lines on stderr)
#       --stats=FILE        append a row per nn-train run (seconds, peak
#                           memory by /usr/bin/time) and per score
#       --keep=DIR          keep the intermediate streams in DIR
#   -v, --verbose           nn-train -v, and a line per visit
#   -h, --help              show this help and exit
# TRAIN is a stream with x and y (class numbers or one-hot rows); the
# network goes to stdout.  With one hidden layer the result is byte for byte
# nn-init -s SEED -a ACT -O OUT n0-n1-classes | nn-train -s SEED ... .
# Random robin (Algorithm 4): every round visits the layers in a new random
# order; a visit forwards the data through the current layers below, and
# trains the layer with its own decision layer, kept from its last visit.
# A layer visited before a lower one in the last round keeps weights fitted
# to that layer's older output (the thesis leaves it so); --last-round
# bottom-up avoids it.
# Each layer keeps its optimizer state (Adam's moments and step count,
# SGD's momentum) from one visit to the next, as the thesis's does, in a
# file of nn-train --state.
# Exit status: 0 success, 1 a tool failed, 2 usage error.
# Example: dll.sh -e 20 -b 128 --lr-decay 0.8 --dropout 0.5 \
#              --dropout-decay 0.95 --grad-dropout 0.3 train.nns 512 512 512 > net.nns
set -eu
help() { sed -n '2,66s/^# \{0,1\}//p' "$0"; }
usage_error() { # message
    echo "dll.sh: $1" >&2
    echo "Try 'dll.sh --help' for more information." >&2
    exit 2
}
act=relu out=softmax decision= segment=1 epochs=10 batch=64 optimizer=adam
momentum= lr= lrdecay=1 lambda=0 lgrowth=1 dropout=0 ddecay=1 gdropout=0
order=bottom-up rounds=1 rewarm=0 seed=1 valid= stats= keep= verbose=
lastround=random
while [ $# -gt 0 ]; do
    opt=$1 val= has=
    case $opt in
    --) shift; break ;;
    --*=*) val=${opt#*=} opt=${opt%%=*} has=1 ;;
    -[aOeblsv]?*) val=${opt#-?} opt=${opt%"$val"} has=1 ;;
    -?*) ;;
    *) break ;;
    esac
    case $opt in
    -h | --help) help; exit 0 ;;
    -v | --verbose)
        [ -z "$has" ] || usage_error "option '$opt' takes no argument"
        verbose=1; shift; continue ;;
    -a | --activation | -O | --output-activation | --decision | --segment | \
    -e | --epochs | -b | --batch | --optimizer | --momentum | --lr | \
    --lr-decay | -l | --lambda | --lambda-growth | --dropout | \
    --dropout-decay | --grad-dropout | --order | --rounds | --rewarm | \
    --last-round | -s | --seed | --valid | --stats | --keep)
        if [ -z "$has" ]; then
            [ $# -ge 2 ] || usage_error "option '$opt' requires an argument"
            val=$2
            shift
        fi ;;
    *) usage_error "invalid option '$opt'" ;;
    esac
    shift
    case $opt in
    -a | --activation) act=$val ;;
    -O | --output-activation) out=$val ;;
    --decision) decision=$val ;;
    --segment) segment=$val ;;
    -e | --epochs) epochs=$val ;;
    -b | --batch) batch=$val ;;
    --optimizer) optimizer=$val ;;
    --momentum) momentum=$val ;;
    --lr) lr=$val ;;
    --lr-decay) lrdecay=$val ;;
    -l | --lambda) lambda=$val ;;
    --lambda-growth) lgrowth=$val ;;
    --dropout) dropout=$val ;;
    --dropout-decay) ddecay=$val ;;
    --grad-dropout) gdropout=$val ;;
    --order) order=$val ;;
    --rounds) rounds=$val ;;
    --rewarm) rewarm=$val ;;
    --last-round) lastround=$val ;;
    -s | --seed) seed=$val ;;
    --valid) valid=$val ;;
    --stats) stats=$val ;;
    --keep) keep=$val ;;
    esac
done

# checks, before any tool runs; the shell's arithmetic reads a word as an
# unset variable (0) without a word, so whole numbers are checked here
whole() { # option value: a whole number >= 1 (>= 0 with a third argument)
    case $2 in
    '' | *[!0-9]*) usage_error "invalid $1 '$2': not a whole number" ;;
    ?????????????????*) usage_error "invalid $1 '$2': too large" ;;
    esac
    [ $# -ge 3 ] || [ "$2" -ge 1 ] || usage_error "invalid $1 '$2': must be at least 1"
}
number() { # option value [max]: a number >= 0 (below max if given)
    if ! awk -v v="$2" -v m="${3:-}" 'BEGIN {
        if (v !~ /^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) exit 1
        if (m != "" && v + 0 >= m + 0) exit 1 }'; then
        [ -n "${3:-}" ] && usage_error "invalid $1 '$2': expected a number from 0, below $3"
        usage_error "invalid $1 '$2': expected a number >= 0"
    fi
}
whole --seed "$seed" 0
whole --segment "$segment"
whole --batch "$batch"
whole --rounds "$rounds"
whole --rewarm "$rewarm" 0
case $epochs in
'' | ,* | *, | *,,* | *[!0-9,]*) usage_error "invalid --epochs '$epochs': expected E[,E...]" ;;
esac
for e in $(echo "$epochs" | tr , ' '); do whole --epochs "$e"; done
case $decision in
,* | *, | *,,* | *[!0-9,]*) usage_error "invalid --decision '$decision': expected W[,W...]" ;;
esac
for w in $(echo "$decision" | tr , ' '); do whole --decision "$w"; done
case $order in
bottom-up | random-robin) ;;
*) usage_error "invalid --order '$order': expected bottom-up or random-robin" ;;
esac
case $lastround in
random | bottom-up) ;;
*) usage_error "invalid --last-round '$lastround': expected random or bottom-up" ;;
esac
case $optimizer in
adam | adamw) : "${lr:=0.001}" ;;
sgd) : "${lr:=0.01}" ;;
*) usage_error "invalid --optimizer '$optimizer': expected adam, adamw or sgd" ;;
esac
[ -z "$momentum" ] || number --momentum "$momentum"
number --lr "$lr"
number --lr-decay "$lrdecay"
number --lambda "$lambda"
number --lambda-growth "$lgrowth"
number --dropout "$dropout" 1
number --dropout-decay "$ddecay"
number --grad-dropout "$gdropout" 1
[ $# -ge 1 ] || usage_error "missing TRAIN"
train=$1
shift
[ $# -ge 1 ] || usage_error "missing WIDTH: at least one hidden layer"
for w in "$@"; do whole WIDTH "$w"; done
if [ -n "$stats" ] && [ ! -x /usr/bin/time ]; then
    usage_error "--stats needs /usr/bin/time (Debian's package time)"
fi

if [ -n "$keep" ]; then T=$keep; mkdir -p "$T"
else T=$(mktemp -d "${TMPDIR:-/tmp}/dll.XXXXXX"); trap 'rm -rf "$T"' EXIT; fi

# the input width and the classes, from the headers; a bad --valid is
# found before the training, not after it
[ -z "$valid" ] || nn-info -H "$valid" > /dev/null
nn-info -H -j "$train" > "$T/info"
n0=$(sed -n 's/^.*"name":"x","dtype":"[a-z0-9]*","shape":\[[0-9]*,\([0-9]*\)\].*$/\1/p' "$T/info" | head -1)
classes=$(sed -n '/"name":"y"/s/^.*"classes":"\([0-9]*\)".*$/\1/p' "$T/info" | head -1)
[ -n "$classes" ] ||
    classes=$(sed -n 's/^.*"name":"y","dtype":"[a-z0-9]*","shape":\[[0-9]*,\([0-9]*\)\].*$/\1/p' "$T/info" | head -1)
if [ -z "$n0" ] || [ -z "$classes" ]; then
    echo "dll.sh: $train: no x of rank 2, or no y with classes" >&2
    exit 1
fi

calc() { awk "BEGIN { printf \"%.12g\", $1 }"; }
nth() { # list n: the n-th (from 1) comma-separated value, the last repeating
    echo "$1" | awk -F, -v n="$2" '{ print n <= NF ? $n : $NF }'
}

# units: segments of --segment layers; unit j has layers first_j..last_j
k=$#
units=$(( (k + segment - 1) / segment ))
j=0 prev=$n0 l=0
while [ $j -lt $units ]; do
    j=$((j + 1))
    arch=$prev first=$((l + 1)) nb=0
    while [ $nb -lt "$segment" ] && [ $# -gt 0 ]; do
        arch=$arch-$1 prev=$1 l=$((l + 1)) nb=$((nb + 1))
        shift
    done
    for w in $(echo "$decision" | tr , ' '); do arch=$arch-$w; done
    arch=$arch-$classes
    echo "$first $l $nb" > "$T/unit$j"
    # layer j's init: drawn as one network, then cut into the layers kept
    # and the decision block, so that with one hidden layer it is nn-init's
    # two-layer net
    nn-init -a "$act" -O "$out" -s $((seed + j - 1)) "$arch" > "$T/init$j.nns"
    nl=$(echo "$arch" | tr - '\n' | sed 1d | wc -l)
    # the first unit's records say whether the activations add any
    [ $j -gt 1 ] || nn-info -H -j "$T/init$j.nns" > "$T/info"
    if [ $j -eq 1 ] && { [ "$(wc -l < "$T/info")" -ne "$nl" ] || grep -qv '"name":"w"' "$T/info"; }; then
        echo "dll.sh: activation '$act' or '$out' adds records to a layer (coefficients), which dll.sh cannot cut" >&2
        exit 1
    fi
    : > "$T/body$j.nns"
    : > "$T/head$j.nns"
    r=0
    while [ $r -lt "$nl" ]; do
        if [ $r -lt $nb ]; then f=body; else f=head; fi
        nn-pick --nth=$r w < "$T/init$j.nns" >> "$T/$f$j.nns"
        r=$((r + 1))
    done
    echo 0 > "$T/done$j"   # epochs trained so far
    echo 0 > "$T/visits$j"
done

# z_j: the training data through units 1..j, made anew when a unit below
# has changed since (the fresh flag); z_0 is TRAIN
rep() { # j: the path of z_j, brought up to date
    if [ "$1" -eq 0 ]; then echo "$train"; return; fi
    if [ ! -e "$T/fresh$1" ]; then
        src=$(rep $(($1 - 1)))
        nn-forward "$T/body$1.nns" "$src" > "$T/z$1.nns"
        : > "$T/fresh$1"
    fi
    echo "$T/z$1.nns"
}

visit() { # j: train unit j once more
    j=$1
    read -r first last nb < "$T/unit$j"
    v=$(($(cat "$T/visits$j") + 1))
    done=$(cat "$T/done$j")
    e=$(nth "$epochs" "$j")
    if [ "$j" -eq 1 ]; then rate=$lr ldecay=$lambda
    else rate=$(calc "$lr * $lrdecay ^ ($j - 1)") ldecay=$(calc "$lambda * $lgrowth ^ ($j - 1)"); fi
    z=$(rep $((j - 1)))
    set -- -e "$e" -b "$batch" --optimizer "$optimizer" ${momentum:+--momentum "$momentum"} \
        --lr "$rate" -l "$ldecay" -s $((seed + (v - 1) * units + j - 1)) ${verbose:+-v} \
        --state "$T/state$j.nns"
    if [ "$dropout" != 0 ]; then
        # a later visit starts where the layer's decay has got to
        p=$dropout
        [ "$done" -eq 0 ] || p=$(calc "$dropout * $ddecay ^ $done")
        set -- "$@" --dropout "1:$p" --dropout-decay "$ddecay"
    fi
    [ "$gdropout" = 0 ] || set -- "$@" --grad-dropout "$nb:$gdropout"
    [ "$v" -eq 1 ] || [ "$rewarm" -eq 0 ] || set -- "$@" --warmup "$rewarm"
    [ -z "$verbose" ] || echo "dll.sh: layers $first-$last, visit $v: nn-train $*" >&2
    if [ -n "$stats" ]; then
        /usr/bin/time -f '%e\t%M' -o "$T/time" nn-train "$@" --head "$T/head$j.nns" \
            --head-out "$T/head.new" "$T/body$j.nns" "$z" > "$T/body.new"
        printf 'train\t%s\t%s-%s\t%s\t%s\t%s\n' "$j" "$first" "$last" "$v" "$e" \
            "$(tail -1 "$T/time")" >> "$stats"
    else
        nn-train "$@" --head "$T/head$j.nns" --head-out "$T/head.new" \
            "$T/body$j.nns" "$z" > "$T/body.new"
    fi
    mv "$T/body.new" "$T/body$j.nns"
    mv "$T/head.new" "$T/head$j.nns"
    echo "$v" > "$T/visits$j"
    echo $((done + e)) > "$T/done$j"
    i=$j
    while [ $i -le $units ]; do rm -f "$T/fresh$i"; i=$((i + 1)); done
}

# the order of the visits: a round of every unit, bottom-up or in a random
# order drawn by an LCG of the shell (the same on every machine)
rng=$((seed % 2147483648))
round=0
while [ $round -lt "$rounds" ]; do
    round=$((round + 1))
    left= j=0
    while [ $j -lt $units ]; do j=$((j + 1)); left="$left $j"; done
    if [ "$order" = random-robin ] &&
        { [ $round -lt "$rounds" ] || [ "$lastround" = random ]; }; then
        perm= n=$units
        while [ $n -gt 0 ]; do
            rng=$(( (rng * 1103515245 + 12345) % 2147483648 ))
            pick=$(( (rng / 65536) % n ))
            rest= c=0
            for u in $left; do
                if [ $c -eq $pick ]; then perm="$perm $u"; else rest="$rest $u"; fi
                c=$((c + 1))
            done
            left=$rest n=$((n - 1))
        done
        left=$perm
    fi
    [ -z "$verbose" ] || echo "dll.sh: round $round:$left" >&2
    for j in $left; do visit "$j"; done
done

# the scores of the network so far at every unit, with the final weights
if [ -n "$valid" ]; then
    src=$valid j=0
    while [ $j -lt $units ]; do
        j=$((j + 1))
        read -r first last nb < "$T/unit$j"
        nn-forward "$T/body$j.nns" "$src" > "$T/v$j.nns"
        nn-forward "$T/head$j.nns" "$T/v$j.nns" > "$T/out.nns"
        acc=$(nn-eval -q "$T/out.nns")
        echo "dll.sh: layers 1-$last and layer $last's decision layer: $acc% on $valid" >&2
        [ -z "$stats" ] || printf 'valid\t%s\t1-%s\t%s\n' "$j" "$last" "$acc" >> "$stats"
        src=$T/v$j.nns
    done
fi

# the network: a stream of layers is their records one after another (cat,
# not nn-cat, which would join the w records into one tensor)
j=0 layers=
while [ $j -lt $units ]; do j=$((j + 1)); layers="$layers $T/body$j.nns"; done
cat $layers "$T/head$units.nns"

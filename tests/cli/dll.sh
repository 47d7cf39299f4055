# dll: pipelines/dll.sh, deep layer-wise learning from the tools (thesis
# ch. 6): it learns two spirals; one hidden layer (and one segment of all
# layers) is backpropagation of the whole net, byte for byte; bottom-up and
# random robin repeat from a seed; bad options and failing tools.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 2
DLL="sh $TOP/pipelines/dll.sh"

nn-toy --samples 2000 -s 1 spirals > sp.nns
nn-toy --samples 2000 -s 2 spirals > sv.nns
nn-toy --samples 300 -s 3 spirals > s3.nns   # for the checks of bytes

# Bottom-up, three hidden layers of 32: the network so far is scored on a
# second draw after every layer, and the last one is good (98.65% when
# written; a two-layer net of 32 trained as long stays near 66%).
if $DLL -e 30 -s 1 --valid sv.nns sp.nns 32 32 32 > bu.nns 2> bu.err; then
    acc=$(nn-forward bu.nns sv.nns | nn-eval -q)
    n=$(grep -c "^dll.sh: layers 1-[123] and layer [123]'s decision layer: [0-9.]*% on sv.nns" bu.err)
    last=$(sed -n "s/^dll.sh: layers 1-3 .*: \([0-9.]*\)%.*/\1/p" bu.err)
    awk -v a="$acc" 'BEGIN { exit !(a > 90) }' && ok "bottom-up learns two spirals: $acc% on a second draw" ||
        not_ok "bottom-up learns two spirals" "$acc% (want > 90%)"
    [ "$n" -eq 3 ] && [ "$last" = "$acc" ] && ok "--valid scores every layer, the last one the network's" ||
        not_ok "--valid scores every layer" "$n lines, last $last, network $acc: $(tr '\n' ' ' < bu.err)"
    echo "$(shapes bu.nns | tr '\n' ' ')" > got
    echo "w 3,32 1 w 33,32 1 w 33,32 1 w 33,2 1 " > want
    same "the network: the three layers kept and the last decision layer" want got
else
    not_ok "bottom-up runs" "$(head -c 300 bu.err)"
fi

# One hidden layer: DLL is backpropagation of the two-layer net (the same
# init from the seed, the same shuffles, dropouts and rate).
set -- -e 7 -b 32 --lr 0.01
$DLL -s 5 "$@" --dropout 0.3 --dropout-decay 0.9 --grad-dropout 0.2 s3.nns 16 > d1.nns
nn-init -s 5 -O softmax 2-16-2 |
    nn-train -s 5 "$@" --dropout 1:0.3 --dropout-decay 0.9 --grad-dropout 1:0.2 - s3.nns > b1.nns
same "one hidden layer: the bytes of nn-train on the whole net" d1.nns b1.nns
# a segment of every layer is backpropagation too
$DLL -s 3 "$@" -a tanh --segment 2 s3.nns 16 8 > d2.nns
nn-init -s 3 -a tanh -O softmax 2-16-8-2 | nn-train -s 3 "$@" - s3.nns > b2.nns
same "one segment of all the layers: the bytes of nn-train on the whole net" d2.nns b2.nns

# Same seed, same bytes; random robin draws its own order, seeded
$DLL -e 5 -s 1 s3.nns 16 16 > bu2.nns
$DLL -e 5 -s 1 s3.nns 16 16 > bu3.nns
same "bottom-up: same seed, same bytes" bu2.nns bu3.nns
set -- --order random-robin --rounds 2 -e 3 --dropout 0.2 --dropout-decay 0.9 --grad-dropout 0.2
$DLL "$@" -s 4 -v s3.nns 16 16 16 > rr1.nns 2> rr1.err
$DLL "$@" -s 4 s3.nns 16 16 16 > rr2.nns
same "random robin: same seed, same bytes" rr1.nns rr2.nns
orders=$(sed -n 's/^dll.sh: round [0-9]*: //p' rr1.err | tr '\n' '/')
visits=$(grep -c '^dll.sh: layers .*visit [12]: nn-train' rr1.err)
if [ "$visits" -eq 6 ] && [ "$orders" != "1 2 3/1 2 3/" ] &&
    grep -q 'layers 2-2, visit 2: .*--dropout 1:0.1458 ' rr1.err; then
    ok "random robin: 2 rounds of 3 visits ($orders), the forward dropout decaying across visits"
else
    not_ok "random robin's rounds" "$visits visits, orders $orders"
fi
$DLL "$@" -s 4 -v --last-round bottom-up s3.nns 16 16 16 > rr4.nns 2> rr4.err
last=$(sed -n 's/^dll.sh: round 2: //p' rr4.err)
first=$(sed -n 's/^dll.sh: round 1: //p' rr4.err)
[ "$last" = "1 2 3" ] && [ "$first/" = "$(echo "$orders" | cut -d/ -f1)/" ] &&
    ok "--last-round bottom-up: rounds $first then $last" ||
    not_ok "--last-round bottom-up" "rounds $first then $last"

# A decision block, and --stats
$DLL -e 2 --decision 8,4 --stats st.tsv --valid sv.nns s3.nns 16 16 > db.nns 2>/dev/null
echo "$(shapes db.nns | tr '\n' ' ')" > got
echo "w 3,16 1 w 17,16 1 w 17,8 1 w 9,4 1 w 5,2 1 " > want
same "--decision 8,4: the last hidden layer keeps its block" want got
awk -F'\t' '$1 == "train" && NF == 7 && $7 > 0 { t++ } $1 == "valid" && NF == 4 { v++ }
    END { exit !(t == 2 && v == 2) }' st.tsv && ok "--stats: a row per nn-train run and per score" ||
    not_ok "--stats" "$(tr '\n\t' '| ' < st.tsv)"

# Usage errors: exit 2, a message, nothing on stdout
bad() { # what pattern args...
    what=$1 pat=$2; shift 2
    $DLL "$@" > bad.out 2> bad.err
    rc=$?
    if [ $rc -eq 2 ] && [ ! -s bad.out ] && head -1 bad.err | grep -Eq "^dll.sh: .*($pat)"; then
        ok "$what"
    else
        not_ok "$what" "exit $rc, $(wc -c < bad.out) bytes out: $(tr '\n' ' ' < bad.err)"
    fi
}
bad "an unknown order" "invalid --order 'sideways'" --order sideways sp.nns 8
bad "empty epochs in a list" "invalid --epochs '3,,4'" -e 3,,4 sp.nns 8
bad "zero epochs" "invalid --epochs '0'" -e 0 sp.nns 8
bad "a dropout rate of 1" "invalid --dropout '1'" --dropout 1 sp.nns 8
bad "a rate that is not a number" "invalid --lr 'fast'" --lr fast sp.nns 8
bad "a negative seed" "invalid --seed '-1'" -s -1 sp.nns 8
bad "an unknown option" "invalid option '--frob'" --frob sp.nns 8
bad "no hidden layer" "missing WIDTH" sp.nns
bad "a width that is not a number" "invalid WIDTH 'x'" sp.nns 8 x
$DLL --help > help.out && grep -q "random-robin" help.out && ok "--help" || not_ok "--help" "no help"

# A failing tool: dll.sh stops with its status and its message, nothing out
"$PY" -c "
import sys; sys.path.insert(0, '$TOP/tests')
import numpy as np
from nns_craft import record
x = np.zeros((4, 2), '<f4'); x[2, 1] = np.nan
sys.stdout.buffer.write(record('x', x) + record('y', np.zeros(4, '<i4'), 'classes=2\n'))" > nan.nns
tool_fails() { # what pattern args...
    what=$1 pat=$2; shift 2
    $DLL "$@" > bad.out 2> bad.err
    rc=$?
    if [ $rc -eq 1 ] && [ ! -s bad.out ] && grep -Eq "^nn-[a-z]+: .*($pat)" bad.err; then
        ok "$what"
    else
        not_ok "$what" "exit $rc, $(wc -c < bad.out) bytes out: $(tr '\n' ' ' < bad.err)"
    fi
}
tool_fails "nn-train refuses NaN: dll.sh exits 1 with its message" "not finite" -e 1 nan.nns 8
head -c 9000 sp.nns > trunc.nns
tool_fails "a truncated TRAIN" "truncated" -e 1 trunc.nns 8
tool_fails "a truncated --valid, found before training" "truncated" -e 1 --valid trunc.nns sp.nns 8

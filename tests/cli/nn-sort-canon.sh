# nn-sort-canon: the canonical form is the same bytes for every permutation
# of a network's units, a fixed point, the same function and the same
# singular values; weight matching puts a permuted copy back exactly;
# masks and polynomial units move with their units; bad input.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 2

nn-init -s 3 -a relu 12-32-24-5 > relu.nns
nn-init -s 4 -a tanh -O softmax 12-16-16-16-3 > tanh.nns
nn-init -s 5 -a relu -p 0.4 12-20-20-4 > masked.nns
nn-init -s 6 -a legendre:3 -t f64 12-10-8-2 > poly.nns
nn-toy --samples 200 spirals > sp.nns
"$PY" -c "
import numpy as np
np.save('x12.npy', np.random.default_rng(1).standard_normal((300, 12)).astype(np.float32))"
nn-import x=x12.npy > d12.nns

# canon(pi(net)) == canon(net), byte for byte, for every key and network.
bad=
for net in relu tanh masked poly; do
    for key in lex maximin norm mean dot; do
        for sym in "" --symmetries; do
            nn-sort-canon --key $key $sym $net.nns > c.nns || bad="$bad $net/$key$sym(fails)"
            for s in 1 2 3; do
                nn-sort-canon --shuffle -s $s $net.nns | nn-sort-canon --key $key $sym > cp.nns
                cmp -s c.nns cp.nns || bad="$bad $net/$key$sym/seed$s"
            done
            nn-sort-canon --key $key $sym c.nns | cmp -s - c.nns || bad="$bad $net/$key$sym(not idempotent)"
        done
    done
done
[ -z "$bad" ] && ok "canon(pi(net)) is canon(net) and canon is a fixed point: 4 networks x 5 keys x symmetries or not x 3 permutations" ||
    not_ok "canonical bytes" "$bad"

# The shuffle really moves units, and canon really sorts them.
cmp -s relu.nns "$(nn-sort-canon --shuffle relu.nns > sh.nns; echo sh.nns)" &&
    not_ok "--shuffle moves units" "same bytes" || ok "--shuffle moves units"

# The function is unchanged: outputs within f32 rounding (f64 for the
# polynomial net), before and after shuffle, canon and symmetries.
bad=
for net in relu tanh masked poly; do
    nn-forward $net.nns d12.nns > y0.nns
    i=0
    for how in "--shuffle -s 7" "--key maximin" "--key norm --symmetries" "--key lex --symmetries"; do
        i=$((i + 1))
        nn-sort-canon $how $net.nns | nn-forward - d12.nns > y$i.nns
    done
    for i in 0 1 2 3 4; do nn-export -f npy -n x -o y$i.npy y$i.nns; done
    "$PY" - <<'PY' || bad="$bad $net"
import numpy as np
y0 = np.load("y0.npy").astype(np.float64)
worst = max(np.abs(np.load(f"y{i}.npy") - y0).max() / (1 + np.abs(y0).max()) for i in range(1, 5))
print("worst", worst)
raise SystemExit(0 if worst < 2e-5 else 1)
PY
done
[ -z "$bad" ] && ok "shuffle, canon and symmetries keep the function (relu, tanh, masked, polynomial)" ||
    not_ok "function kept" "$bad"

# Singular values of every layer's weights are unchanged by canon (and
# the masked net's masked weights are still zero, its mask moved along).
nn-sort-canon --key maximin masked.nns > mc.nns
for f in masked mc; do
    for k in 0 1 2; do
        nn-pick w --nth $k < $f.nns | nn-export -f npy -n w -o $f-w$k.npy
        nn-pick mask --nth $k < $f.nns | nn-export -f npy -n mask -o $f-m$k.npy
    done
done
if "$PY" - <<'PY'
import numpy as np
ok = True
for k in range(3):
    a, b = np.load(f"masked-w{k}.npy"), np.load(f"mc-w{k}.npy")
    sa, sb = np.linalg.svd(a, compute_uv=False), np.linalg.svd(b, compute_uv=False)
    d = np.abs(sa - sb).max() / sa.max()
    m = np.load(f"mc-m{k}.npy")
    z = np.abs(b[m == 0]).max() if (m == 0).any() else 0
    print(k, d, z, (m == 0).sum())
    ok &= d < 1e-5 and z == 0 and (m == 0).sum() == (np.load(f"masked-m{k}.npy") == 0).sum()
raise SystemExit(0 if ok else 1)
PY
then ok "singular values unchanged; masked weights still zero, masks moved with their units"
else not_ok "singular values and masks" "see above"; fi

# Weight matching puts a shuffled copy back exactly: the same outputs to
# the bit, and its permutations undo the shuffle's.
bad=
for net in relu tanh masked poly; do
    nn-sort-canon --shuffle -s 11 --perms ps.nns $net.nns > sh.nns
    nn-sort-canon --align $net.nns --perms pa.nns sh.nns > al.nns
    nn-forward $net.nns d12.nns > a.out
    nn-forward al.nns d12.nns | cmp -s - a.out || bad="$bad $net(outputs)"
    L=$(nn-info --records ps.nns | grep -c "perm ")
    k=0
    while [ $k -lt "$L" ]; do
        nn-pick perm --nth $k < ps.nns | nn-export -f csv -n perm > s.csv
        nn-pick perm --nth $k < pa.nns | nn-export -f csv -n perm > a.csv
        "$PY" -c "
import numpy as np
s = np.loadtxt('s.csv', dtype=int, ndmin=1); a = np.loadtxt('a.csv', dtype=int, ndmin=1)
raise SystemExit(0 if (s[a] == np.arange(len(s))).all() else 1)" || bad="$bad $net(perm $k)"
        k=$((k + 1))
    done
done
[ -z "$bad" ] && ok "--align puts shuffled copies back exactly (outputs to the bit; permutations undo the shuffle's)" ||
    not_ok "align recovers" "$bad"

# Activation matching (--data) puts a shuffled copy back exactly too, and
# refuses data of another width.
bad=
for net in relu tanh masked; do
    nn-sort-canon --shuffle -s 12 $net.nns > sh.nns
    nn-sort-canon --align $net.nns --data d12.nns sh.nns > al.nns
    nn-forward $net.nns d12.nns > a.out
    nn-forward al.nns d12.nns | cmp -s - a.out || bad="$bad $net"
done
[ -z "$bad" ] && ok "--align --data (activation matching) puts shuffled copies back exactly" ||
    not_ok "activation matching recovers" "$bad"
fails_clean "--data of another width" "rows of 'x' have 2 values; the networks take 12" nn-sort-canon --align relu.nns --data sp.nns relu.nns
fails_usage "--data without --align" "--data goes with --align" nn-sort-canon --data d12.nns relu.nns

# --apply carries permutations: applying the shuffle's gives the shuffle.
nn-sort-canon --shuffle -s 2 --perms p2.nns tanh.nns > t2.nns
nn-sort-canon --apply p2.nns tanh.nns > t3.nns
nn-forward t2.nns d12.nns > o2.nns
nn-forward t3.nns d12.nns | cmp -s - o2.nns && ok "--apply repeats a shuffle" ||
    not_ok "--apply" "outputs differ"

# Weight matching of two independent networks moves units and raises the
# similarity it maximises (sum of products with the reference).
nn-init -s 21 -a relu 12-64-64-3 > ia.nns
nn-init -s 22 -a relu 12-64-64-3 > ib.nns
nn-sort-canon -v --align ia.nns ib.nns > ibal.nns 2> al.err
for f in ia ib ibal; do
    for k in 0 1 2; do nn-pick w --nth $k < $f.nns | nn-export -f npy -n w -o $f$k.npy; done
done
if "$PY" - <<'PY'
import numpy as np
dot = lambda f: sum((np.load(f"ia{k}.npy").astype(float) * np.load(f"{f}{k}.npy")).sum() for k in range(3))
print(dot("ib"), dot("ibal"))
raise SystemExit(0 if dot("ibal") > dot("ib") + 1 else 1)
PY
then ok "weight matching of independent networks raises their similarity ($(grep sweeps al.err | sed 's/.*: //'))"
else not_ok "weight matching improves" "see above"; fi

# A stream of networks (nn-train's trajectory): every network is
# permuted, its checkpoint kept; permuted by --apply, then in canonical
# form, each is its own canonical form.
nn-init -s 2 -a tanh -O softmax 2-12-12-2 > tr0.nns
nn-train -e 3 -b 100 --trajectory traj.nns tr0.nns sp.nns > /dev/null
nn-sort-canon --shuffle -s 3 --perms ptr.nns tr0.nns > /dev/null
nn-sort-canon --apply ptr.nns traj.nns > trp.nns
nn-sort-canon trp.nns > trpc.nns
nn-sort-canon traj.nns > trc.nns
n=$(nn-info trp.nns | grep -c "checkpoint=")
cmp -s traj.nns trp.nns && not_ok "--apply on a trajectory" "nothing moved" ||
    { [ "$n" = 9 ] && cmp -s trpc.nns trc.nns &&
      ok "a trajectory of 3 networks permuted by --apply, checkpoints kept, canonical forms unchanged" ||
      not_ok "--apply on a trajectory" "$n layers with a checkpoint"; }
fails_clean "--perms with a stream of networks" "--perms takes one network" nn-sort-canon --perms x.nns traj.nns

# --noise: a relative disturbance after the shuffle; Phi from the
# original's canonical form grows with it (about SIGMA^2 / 4 for Phi).
nn-sort-canon relu.nns > rc.nns
p1=$(nn-sort-canon --shuffle --noise 1e-4 -s 3 relu.nns | nn-sort-canon | nn-distance -q rc.nns -)
p2=$(nn-sort-canon --shuffle --noise 1e-2 -s 3 relu.nns | nn-distance -q relu.nns -)
awk -v a="$p1" -v b="$p2" 'BEGIN { exit !(a < 1e-7 && b > 0.1) }' &&
    ok "--noise 1e-4: Phi of canonical forms $p1; --noise 1e-2 unaligned $p2" ||
    not_ok "--noise" "$p1 $p2"
fails_usage "--noise without --shuffle" "--noise goes with --shuffle" nn-sort-canon --noise 0.1 relu.nns

# --redundancy: log10 prod n_l!, against Python's lgamma.
nn-init 784-392-50-10 | nn-sort-canon --redundancy > red.txt
"$PY" -c "
import math
want = [math.lgamma(393) / math.log(10), math.lgamma(51) / math.log(10)]
rows = [l.split('\t') for l in open('red.txt').read().splitlines()]
got = [float(rows[1][2]), float(rows[2][2]), float(rows[3][2])]
ok = rows[0] == ['layer', 'units', 'log10_perms'] and all(abs(g - w) < 1e-3 for g, w in zip(got, want + [sum(want)]))
raise SystemExit(0 if ok else 1)" && ok "--redundancy: log10 392! + log10 50! = $(tail -1 red.txt | cut -f3)" ||
    not_ok "--redundancy" "$(cat red.txt)"
fails_usage "--redundancy with -o" "--redundancy goes alone" nn-sort-canon --redundancy -o x.nns relu.nns

# Bad input: one clear line, exit 1, empty stdout.
nn-init 12-3 > one.nns
fails_clean "a single layer" "single layer has no hidden units" nn-sort-canon one.nns
nn-init -s 1 -a relu 12-32-5 > other.nns
fails_clean "a reference of another shape" "other.nns and relu.nns: 2 layers against 3" nn-sort-canon --align other.nns relu.nns
"$PY" - > nan.nns <<PY
import sys; sys.path.insert(0, "$TOP/tests")
import numpy as np
from nns_craft import record
w1 = np.ones((3, 4), np.float32); w1[2, 1] = np.nan
w2 = np.ones((5, 2), np.float32)
sys.stdout.buffer.write(record("w", w1, "activation=relu\n") + record("w", w2))
PY
fails_clean "NaN weights" "layer 1 holds NaN \\(row 2, column 1" nn-sort-canon nan.nns
"$PY" - > badperm.nns <<PY
import sys; sys.path.insert(0, "$TOP/tests")
import numpy as np
from nns_craft import record
p = np.array([0, 1, 1] + list(range(3, 32)), np.uint64)
sys.stdout.buffer.write(record("perm", p, "layer=1\n"))
PY
fails_clean "a permutation with a repeat" "entry 2 \\(1\\) makes it no permutation" nn-sort-canon --apply badperm.nns relu.nns
fails_clean "permutations for another network" "permutation of 16 units for layer 1" nn-sort-canon --apply p2.nns relu.nns
head -c 300 relu.nns > cut.nns
fails_clean "a truncated network" "cut.nns" nn-sort-canon cut.nns
fails_usage "an unknown key" "invalid --key 'size': expected lex, maximin, norm, mean or dot" nn-sort-canon --key size relu.nns
fails_usage "--align with --shuffle" "do not go together" nn-sort-canon --shuffle --align relu.nns relu.nns
fails_usage "--sweeps 0" "invalid --sweeps '0'" nn-sort-canon --sweeps 0 --align relu.nns relu.nns

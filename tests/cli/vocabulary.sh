# vocabulary: every tool's --help against the option table of README.md
# ("One option vocabulary"): a reserved letter means its one thing, a
# reserved long option has its letter, no letter has two meanings across
# the tools, -V prints the version, and the usage ends with the exit
# statuses and an example.
. "$(dirname "$0")/../lib.sh"

for t in "$NN_BIN"/nn-*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    "$t" --help >"$T/$n.help" 2>"$T/$n.err" || not_ok "$n --help" "exit $?"
    if "$t" -V >"$T/$n.v" 2>&1 && grep -q "^$n (nn tools) " "$T/$n.v"; then
        ok "$n -V"
    else
        not_ok "$n -V" "$(head -c 200 "$T/$n.v")"
    fi
done

"$PY" - "$TOP/README.md" "$T" <<'PY'
import os, re, sys
readme, d = sys.argv[1], sys.argv[2]
text = open(readme).read()
block = text.split('<!-- vocabulary')[1].split('<!-- /vocabulary -->')[0]
reserved = {}                                   # letter -> long
for m in re.finditer(r'^\| `-(\w)` \| `--([a-z0-9-]+)` \|', block, re.M):
    reserved[m.group(1)] = m.group(2)
by_long = {v: k for k, v in reserved.items()}
if len(reserved) < 10:
    print("not ok - the README's vocabulary table: only %d letters found" % len(reserved))
opt = re.compile(r'^\s{2,}(?:-(\w)(?:[ =]\S+)?, )?--([a-z0-9][a-z0-9-]*)')
uses = {}                                       # letter -> {long: [tools]}
for f in sorted(os.listdir(d)):
    if not f.endswith('.help'):
        continue
    tool = f[:-5]
    lines = open(os.path.join(d, f)).read().rstrip('\n').split('\n')
    bad = []
    for line in lines:
        m = opt.match(line)
        if not m:
            continue
        letter, long = m.group(1), m.group(2)
        if letter:
            uses.setdefault(letter, {}).setdefault(long, []).append(tool)
        if letter in reserved and reserved[letter] != long:
            bad.append("-%s is --%s here, reserved for --%s" % (letter, long, reserved[letter]))
        if long in by_long and letter != by_long[long]:
            bad.append("--%s without its letter -%s" % (long, by_long[long]))
    if bad:
        print("not ok - %s keeps the reserved letters: %s" % (tool, "; ".join(bad)))
    else:
        print("ok - %s keeps the reserved letters" % tool)
    end = [l for l in lines if l.strip()][-2:]
    if (len(end) == 2 and end[0].startswith("Exit status: 0 ") and
            end[1].startswith("Example: ") and (tool + " ") in end[1]):
        print("ok - %s --help ends with its exit statuses and an example" % tool)
    else:
        print("not ok - %s --help ends with its exit statuses and an example: ends %r" % (tool, end))
clash = {l: v for l, v in uses.items() if len(v) > 1}
if clash:
    for l, v in sorted(clash.items()):
        print("not ok - -%s has one meaning: %s" % (l, "; ".join(
            "--%s in %s" % (k, ", ".join(t)) for k, t in sorted(v.items()))))
else:
    print("ok - every letter has one meaning across the tools (%d letters)" % len(uses))
PY

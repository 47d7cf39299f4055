# golden: the hostile streams of tests/golden/ (issue 10) through every
# tool that reads streams: each rejection rule of formats/nns.md refused
# cleanly by every tool, valid edge cases read and copied byte for byte,
# and the classes of hostile input refused by the tools responsible for
# them and survived by the others.  tests/golden/README.md has the keys
# and the matrix; tests/golden/index.tsv the files and their messages.
. "$(dirname "$0")/../lib.sh"
G=$TOP/tests/golden
OK=$G/ok-data.nns
TO=${GOLDEN_TIMEOUT:-10}    # seconds per run: a hang is a failure
LIM=524288                  # KiB of address space for the memory classes
                            # (at 256 MiB OpenBLAS may hang starting up)
cd "$T"

# --- the committed files are what make.py writes
mkdir regen
if PYTHONDONTWRITEBYTECODE=1 "$PY" "$G/make.py" regen 2>"$T/.err"; then
    if d=$(diff -r -x make.py -x __pycache__ regen "$G" 2>&1); then
        ok "make.py writes the committed files, byte for byte"
    else
        not_ok "make.py writes the committed files" \
            "$(printf '%s\n' "$d" | head -5 | tr '\n' ' ')"
    fi
else
    not_ok "make.py runs" "$(head -c 300 "$T/.err" | tr '\n' ' ')"
fi

nn-init 3-3 > net.nns && nn-standardize --fit "$OK" > stats.nns ||
    not_ok "the network and statistics for the golden checks" "see above"

# tool KEY FILE [-]: the tool of KEY (tests/golden/README.md) on FILE, as
# an argument or, with "-", on stdin; DEC is -d for the copying tools on
# the decode rules.  Under timeout.
DEC=
tool() {
    k=$1 f=$2 a=$2 in=/dev/null
    [ "${3:-}" = - ] && a= in=$f
    case $k in
    info)         timeout $TO nn-info ${a:+"$a"} ;;
    info-H)       timeout $TO nn-info -H ${a:+"$a"} ;;
    cat)          timeout $TO nn-cat $DEC ${a:+"$a"} ;;
    slice)        timeout $TO nn-slice $DEC 0:1 ${a:+"$a"} ;;
    pick)         if [ -n "$a" ]; then timeout $TO nn-pick $DEC '*' <"$a"
                  else timeout $TO nn-pick $DEC '*'; fi ;;
    split)        rm -rf "$T/s" && mkdir "$T/s" &&
                  timeout $TO nn-split $DEC --shards 2 "$T/s/p" ${a:+"$a"} ;;
    export)       timeout $TO nn-export -f npy ${a:+"$a"} ;;
    std-fit)      timeout $TO nn-standardize --fit ${a:+"$a"} ;;
    std)          timeout $TO nn-standardize --stats "$T/stats.nns" ${a:+"$a"} ;;
    std-stats)    timeout $TO nn-standardize --stats "$f" "$OK" ;;
    forward)      timeout $TO nn-forward "$T/net.nns" ${a:+"$a"} ;;
    forward-net)  timeout $TO nn-forward "$f" "$OK" ;;
    eval)         timeout $TO nn-eval ${a:+"$a"} ;;
    eval-lsd)     timeout $TO nn-eval --lsd x ${a:+"$a"} ;;
    fit)          timeout $TO nn-fit-layer -m output ${a:+"$a"} ;;
    fit-G)        timeout $TO nn-fit-layer -m output -G "$f" ;;
    kfilter)      timeout $TO nn-kfilter -k 1 ${a:+"$a"} ;;
    reweight)     timeout $TO nn-reweight "$T/net.nns" ${a:+"$a"} ;;
    reweight-dec) timeout $TO nn-reweight "$f" "$OK" ;;
    *)            echo "golden.sh: no key $k" >&2; return 99 ;;
    esac <"$in"
}

DATA_KEYS="info info-H cat slice pick split export std-fit std forward eval fit kfilter reweight"
ROLES="std-stats forward-net fit-G reweight-dec"

# refuses WHAT PATTERN CMD...: the conditions of fails_clean (tests/lib.sh)
# but exit status 1 exactly, in one process (grep) instead of five: the
# checks run some thousand times, and twice in make test.
refuses() {
    what=$1 pat=$2; shift 2
    "$@" >"$T/.out" 2>"$T/.err"
    rc=$? n=0 first=
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        [ $n -eq 1 ] && first=$line
    done <"$T/.err"
    if [ $rc -eq 0 ]; then not_ok "$what" "exit 0"
    elif [ $rc -eq 124 ]; then not_ok "$what" "no answer in ${TO}s"
    elif [ $rc -ne 1 ]; then not_ok "$what" "exit $rc, want 1 — $first"
    elif [ -s "$T/.out" ]; then not_ok "$what" "stdout not empty"
    elif [ $n -ne 1 ]; then not_ok "$what" "$n lines on stderr — $first"
    elif ! printf '%s\n' "$first" | grep -Eq "^nn-[a-z-]+: .*($pat)"; then
        not_ok "$what" "message does not match /$pat/ — $first"
    else ok "$what"; fi
}

# survives WHAT CMD...: CMD exits 0, or 1 with one line "nn-TOOL: ..." on
# stderr; not a crash, a hang or a usage error.  Its stdout is discarded.
survives() {
    what=$1; shift
    "$@" >/dev/null 2>"$T/.err"
    rc=$? n=0 first=
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        [ $n -eq 1 ] && first=$line
    done <"$T/.err"
    if [ $rc -eq 0 ]; then ok "$what"
    elif [ $rc -eq 124 ]; then not_ok "$what" "no answer in ${TO}s"
    elif [ $rc -ne 1 ]; then not_ok "$what" "exit $rc — $first"
    elif [ $n -ne 1 ]; then not_ok "$what" "$n lines on stderr — $first"
    else
        case $first in
        nn-*:\ *) ok "$what" ;;
        *) not_ok "$what" "not a message of a tool — $first" ;;
        esac
    fi
}

# A failed nn-split leaves no shard.
no_shard() {
    [ -z "$(ls "$T/s" 2>/dev/null)" ] ||
        not_ok "$1: nn-split left no shard" "$(ls "$T/s" | tr '\n' ' ')"
}

# --- the rules: each file refused with the rule's message
while IFS='	' read -r gf gapp gere <&3; do
    DEC= stdin="info fit"
    case $gapp in
    all)    keys="$DATA_KEYS $ROLES" ;;
    data)   keys=$DATA_KEYS ;;
    # (nn-standardize --stats decodes only the records mean and std of its
    # statistics file, not the x these files hold)
    decode) keys="$(echo "$DATA_KEYS" | sed 's/info-H //') $(echo "$ROLES" | sed 's/std-stats //')"
            DEC=-d stdin=info ;;
    info)   keys=info stdin=info ;;
    keys=*) keys=$(echo "${gapp#keys=}" | tr , ' ') stdin= ;;
    *)      continue ;;
    esac
    for k in $keys; do
        refuses "$gf: $k" "$gere" tool "$k" "$G/$gf"
        [ "$k" = split ] && no_shard "$gf"
    done
    for k in $stdin; do
        refuses "$gf: $k < FILE" "$gere" tool "$k" "$G/$gf" -
    done
done 3<"$G/index.tsv"
DEC=

# --- valid edge cases: read, and copied byte for byte
copies() { # WHAT FILE CMD...
    what=$1 src=$2; shift 2
    if timeout $TO "$@" > copy.nns 2>"$T/.err"; then
        same "$what" "$src" copy.nns
    else
        not_ok "$what" "exit $? — $(head -c 300 "$T/.err" | tr '\n' ' ')"
    fi
}
for f in "$G"/ok-*.nns; do
    b=$(basename "$f")
    check "$b: nn-info reads it" tool info "$f"
    copies "$b: nn-cat copies it byte for byte" "$f" nn-cat "$f"
    copies "$b: nn-pick copies it byte for byte" "$f" sh -c 'nn-pick "*" <"$1"' sh "$f"
done

# --- the classes: the keys after FILE must refuse it, the others survive
ere_of() { awk -F '\t' -v f="$1" '$1 == f { print $3 }' "$G/index.tsv"; }
class() { # FILE KEYS-THAT-SURVIVE -- KEYS-THAT-REFUSE
    cf=$1 cere=$(ere_of "$1") s=1; shift
    for k in "$@"; do
        if [ "$k" = -- ]; then s=; continue; fi
        if [ -n "$s" ]; then survives "$cf: $k survives it" tool "$k" "$G/$cf"
        else refuses "$cf: $k refuses it" "$cere" tool "$k" "$G/$cf"; fi
    done
}
PASS="info info-H cat slice pick split export std forward"
for c in x-nan x-inf; do
    class class-$c.nns $PASS -- fit kfilter std-fit reweight eval eval-lsd
done
class class-y-nan.nns $PASS std-fit -- fit eval eval-lsd kfilter reweight
class class-y-inf.nns $PASS std-fit kfilter -- fit eval eval-lsd reweight
for c in 50000000 0 ten; do
    class class-classes-$c.nns $PASS std-fit -- fit eval eval-lsd kfilter reweight
done
class class-gram-nz-wrap.nns info -- fit-G
class class-gram-nan.nns info -- fit-G
class class-stats-nan-mean.nns info -- std-stats
class class-stats-neg-std.nns info -- std-stats
class class-net-w-nan.nns info forward-net -- reweight-dec
refuses "class-x-nan.nns: fit < FILE refuses it" "$(ere_of class-x-nan.nns)" \
    tool fit "$G/class-x-nan.nns" -

# 2 GiB from a 64 KiB frame, and 2^32 rows of nothing: every tool answers,
# or fails cleanly, in bounded memory and time.
limited() ( ulimit -v $LIM && "$@" )
if limited nn-info --version >/dev/null 2>&1 &&
   limited nn-fit-layer --version >/dev/null 2>&1; then
    for cf in class-zstd-bomb.nns class-zero-width.nns; do
        for k in $DATA_KEYS eval-lsd $ROLES; do
            survives "$cf: $k survives it in 512 MiB" limited tool "$k" "$G/$cf"
        done
    done
else
    for cf in class-zstd-bomb.nns class-zero-width.nns; do
        ok "$cf: every tool in 512 MiB # SKIP the tools do not run under ulimit -v"
    done
fi

# wspec-ref: the weight-spectrum metrics (nn_wspec.c) against an
# independent reference, tests/ref/powerlaw_ref.py, on the eigenvalue sets
# test_wspec writes with NN_WSPEC_DUMP: Gaussian matrices (rectangular,
# square, with a planted spike), Pareto samples, a Student-t matrix and its
# shuffles.  The power law (alpha, sigma, xmin, D, tail) and the norms by
# a numpy implementation of the same definitions; the Marchenko-Pastur fit
# by WeightWatcher's route through scikit-learn and scipy (make test
# installs python3-sklearn; without it this fails).
. "$(dirname "$0")/../lib.sh"

case $NN_BIN in
*/build/*/bin) build=${NN_BIN%/bin} ;;
*) build=$TOP/build/obj ;;
esac

if NN_WSPEC_DUMP="$T/sets.txt" "$build/tests/test_wspec" >"$T/unit" 2>&1; then
    ok "test_wspec with NN_WSPEC_DUMP"
else
    not_ok "test_wspec with NN_WSPEC_DUMP" "$(grep -m3 '^not ok' "$T/unit" | tr '\n' ' ')"
fi
if [ ! -s "$T/sets.txt" ]; then
    not_ok "the eigenvalue dump" "test_wspec wrote nothing to NN_WSPEC_DUMP"
    exit 1
fi
"$PY" "$TOP/tests/ref/powerlaw_ref.py" "$T/sets.txt" >"$T/ref" 2>&1
rc=$?
grep -E '^(ok|not ok) - ' "$T/ref"
if [ $rc -ne 0 ] || ! grep -q ' eigenvalue sets read' "$T/ref"; then
    not_ok "powerlaw_ref.py" "exit $rc: $(tail -1 "$T/ref")"
fi

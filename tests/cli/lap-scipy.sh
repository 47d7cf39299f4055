# lap-scipy: the exact assignment solver (nn_lap) against an independent
# reference, scipy.optimize.linear_sum_assignment (tests/ref/lap_scipy.py),
# on the problems test_lap writes with NN_LAP_DUMP: uniform and integer
# costs up to 300 x 320, least and greatest, and degenerate ones (rank
# one, constant, repeated rows).  make test installs scipy
# (pipelines/deps.sh test).
. "$(dirname "$0")/../lib.sh"

case $NN_BIN in
*/build/*/bin) build=${NN_BIN%/bin} ;;
*) build=$TOP/build/obj ;;
esac

if NN_LAP_DUMP="$T/lap.nns" "$build/tests/test_lap" >"$T/unit" 2>&1; then
    ok "test_lap with NN_LAP_DUMP"
else
    not_ok "test_lap with NN_LAP_DUMP" "$(grep -m3 '^not ok' "$T/unit" | tr '\n' ' ')"
fi
if [ ! -s "$T/lap.nns" ]; then
    not_ok "the assignment dump" "test_lap wrote nothing to NN_LAP_DUMP"
    exit 1
fi
"$PY" "$TOP/tests/ref/lap_scipy.py" "$T/lap.nns" 2>&1 | grep -E '^(ok|not ok) - ' ||
    not_ok "lap_scipy.py" "$("$PY" "$TOP/tests/ref/lap_scipy.py" "$T/lap.nns" 2>&1 | tail -1)"

# backprop-torch: the library's backward pass against an independent
# reference, PyTorch autograd in float64 (tests/ref/backprop_torch.py), on
# the cases test_backprop writes with NN_GRAD_DUMP: every activation hidden
# and at the output, every loss with its head, masks, polynomial units and
# their coefficients; the loss and every gradient to 1e-10 relative.
# Without torch this fails (backprop_torch.py says so): make test installs
# it (pipelines/deps.sh test).
. "$(dirname "$0")/../lib.sh"

# the unit tests of the build whose tools are under test: bin ->
# build/obj, build/san/bin -> build/san
case $NN_BIN in
*/build/*/bin) build=${NN_BIN%/bin} ;;
*) build=$TOP/build/obj ;;
esac

if NN_GRAD_DUMP="$T/grad.nns" "$build/tests/test_backprop" >"$T/unit" 2>&1; then
    ok "test_backprop, $(tail -1 "$T/unit" | sed 's/^ok - //')"
else
    not_ok "test_backprop with NN_GRAD_DUMP" "$(grep -m3 '^not ok' "$T/unit" | tr '\n' ' ')$(tail -2 "$T/unit" | tr '\n' ' ')"
fi
if [ ! -s "$T/grad.nns" ]; then
    not_ok "the gradient dump" "test_backprop wrote nothing to NN_GRAD_DUMP"
    exit 1
fi

"$PY" "$TOP/tests/ref/backprop_torch.py" "$T/grad.nns" >"$T/ref" 2>&1
rc=$?
grep -E '^(ok|not ok) - ' "$T/ref"
if [ $rc -ne 0 ] && ! grep -q '^not ok' "$T/ref"; then
    not_ok "backprop_torch.py" "exit $rc — $(tail -3 "$T/ref" | tr '\n' ' ')"
fi
exit $rc

# layers: the library's objects keep their layers (tests/check-layers.sh),
# and the check finds a reference that runs the wrong way.
. "$(dirname "$0")/../lib.sh"

# the objects of the build whose tools are under test: bin -> build/obj,
# build/san/bin -> build/san
case $NN_BIN in
*/build/*/bin) build=${NN_BIN%/bin} ;;
*) build=$TOP/build/obj ;;
esac

if sh "$TOP/tests/check-layers.sh" "$build" >"$T/out" 2>&1; then
    ok "check-layers: $(tail -1 "$T/out")"
else
    not_ok "check-layers" "$(head -5 "$T/out" | tr '\n' ' ')"
fi

# a copy of the objects with one of base calling the stream layer and exit
mkdir -p "$T/b/lib" "$T/b/tools"
cp -r "$build/lib/." "$T/b/lib/" && cp -r "$build/tools/common" "$T/b/tools/"
cat >"$T/bad.c" <<'C'
#include "stream/nn_stream.h"
#include <stdlib.h>
void nn_bad(void);
void nn_bad(void) { nn_writer_open(0, 0, 0); exit(1); }
C
cc -I"$TOP/lib" -c -o "$T/b/lib/base/nn_bad.o" "$T/bad.c"
sh "$TOP/tests/check-layers.sh" "$T/b" >"$T/out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q 'nn_bad.c (base) uses nn_writer_open from stream' "$T/out" &&
    grep -q 'nn_bad.c (base) calls exit' "$T/out"; then
    ok "check-layers refuses base calling up into stream, and exit"
else
    not_ok "check-layers refuses a wrong-way reference" "exit $rc: $(tr '\n' ' ' <"$T/out")"
fi

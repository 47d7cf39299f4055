#!/bin/sh
# quantize.sh — encode and decode throughput of nn-quantize's weight codings
# (fixed 8 bits, fixed 8 Huffman-coded, Algorithm 1 with c = 5 and 6, Q8_0,
# Q4_0, lossless) for a 784-392-50-10 and a 784-2048-2048-10 network,
# against zstd -3 on the same weights as f32 bytes: in memory through the
# library (bench/quant_time.c, libzstd level 3 beside them; best of
# BENCH_RUNS runs), and end to end with the tools (nn-quantize, the zstd
# command; hyperfine).  The 784-392-50-10 network is QUANT_NET if given
# (e.g. a trained one from pipelines/quant-ch3.sh), else nn-init's.
# BUILD: the build whose libnn.a quant_time links (default build/obj).
# ALT_BIN (with ALT_LABEL, a column title, and ALT_NOTE, what it is): the
# end-to-end commands again with the tools in ALT_BIN, in a last column.
# Writes bench/results/quantize.md.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
header "Weight quantization: encode and decode throughput"
md "- OpenBLAS: OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-unset}," \
   "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}" \
   "(the codings use no BLAS; one thread each)."
md ""

${CC:-cc} -O2 -Ilib -o "$T/quant_time" bench/quant_time.c ${BUILD:-build/obj}/libnn.a \
    -lopenblas -lzstd -lxxhash -lpng -lz -lm
zv=$(zstd --version | sed 's/.*v\([0-9.]*\).*/\1/')

if [ -n "${QUANT_NET:-}" ]; then
    cp "$QUANT_NET" "$T/small.nns"
    small="784-392-50-10 (\`$QUANT_NET\`, trained)"
else
    nn-init -s 1 -a tanh -O tanh 784-392-50-10 > "$T/small.nns"
    small="784-392-50-10 (\`nn-init -s 1 -a tanh -O tanh\`)"
fi
nn-init -s 1 -a relu 784-2048-2048-10 > "$T/big.nns"
big="784-2048-2048-10 (\`nn-init -s 1 -a relu\`, He-normal)"

md "## In memory (the library)"
md ""
md "\`bench/quant_time.c\`: every layer encoded with \`nn_qlayer_encode\` (dynamic:" \
   "Algorithm 1's choice of N included) and decoded with \`nn_qlayer_decoded\`" \
   "(to double, as the readers decode); zstd: libzstd $zv \`ZSTD_compress\` level 3 (what" \
   "\`zstd -3\` runs) and \`ZSTD_decompress\` of the f32 weights as one buffer." \
   "Best of $RUNS runs, freed memory kept by the process (mallopt), so" \
   "the decoded weights' buffers (8 bytes a weight) are reused as zstd's is." \
   "MB/s: 10^6 bytes of f32 weights (4 a weight) a second," \
   "whatever the coding; bits: the coded bytes (payloads, without the record" \
   "headers) × 8 / weights."
md ""
for net in small big; do
    eval "title=\$$net"
    say "in memory: $net"
    "$T/quant_time" "$T/$net.nns" "$RUNS" "$T/$net.f32" > "$T/$net.times"
    md "### $title"
    md ""
    md "| coding | bits/weight | encode (ms) | encode MB/s | decode (ms) | decode MB/s |"
    md "|---|--:|--:|--:|--:|--:|"
    awk '{ mb = 4 * $5 / 1e6
           printf "| %s | %.3f | %.2f | %.0f | %.2f | %.0f |\n", $1, 8 * $4 / $5,
               1000 * $2, mb / $2, 1000 * $3, mb / $3 }' "$T/$net.times" >> "$R"
    md ""
done

md "## End to end (the tools)"
md ""
md "\`nn-quantize\` reading the network's file and writing the coded one (the" \
   "report off), \`nn-quantize --decode\` of that back to f32 layers, against" \
   "\`zstd -3\` and \`zstd -d\` (zstd $zv command) of the f32 weights as a raw file" \
   "(the same bytes as above); and, for the cost of reading and writing the" \
   "stream alone, \`cat\`, \`nn-info\` (reads and checks every record) and" \
   "\`nn-cat\` (reads, checks and writes them) of the network's file; output to" \
   "/dev/null. MB/s: f32 weight bytes a second (hyperfine's mean)." \
   "Each command: \`hyperfine --warmup 1 --min-runs $RUNS --max-runs 20\`."
[ -z "${ALT_BIN:-}" ] || md "Last column: the same command with the tools of" \
   "\`$ALT_BIN\` ($ALT_NOTE)."
md ""
if [ -n "${ALT_BIN:-}" ]; then
    md "| network | command | ms | MB/s of f32 weights | ms, $ALT_LABEL |"
    md "|---|---|--:|--:|--:|"
else
    md "| network | command | ms | MB/s of f32 weights |"
    md "|---|---|--:|--:|"
fi
H="--warmup 1 --min-runs $RUNS --max-runs 20"
# run KEY CMD: time CMD, and with ALT_BIN's tools first on PATH (KEY-alt)
run() {
    bench "$1" "$2" $H
    [ -z "${ALT_BIN:-}" ] || bench "$1-alt" "PATH=$ALT_BIN:\$PATH; $2" $H
}
# row NETTITLE KEY SHOWN BYTES: the table's line for KEY
row() {
    mbs=$(awk -v b=$4 -v s="$(field $2 3)" 'BEGIN { printf "%.0f", b / 1e6 / s }')
    if [ -n "${ALT_BIN:-}" ] && [ -n "$(field $2-alt 3)" ]; then
        md "| $1 | $3 | $(ms $2) | $mbs | $(ms $2-alt) |"
    else
        md "| $1 | $3 | $(ms $2) | $mbs |${ALT_BIN:+ |}"
    fi
}
for net in small big; do
    bytes=$(size "$T/$net.f32")
    zstd -3 -q -c "$T/$net.f32" > "$T/$net.f32.zst"
    for c in "--bits 8" "--dynamic" "--q8_0" "--q4_0" "--lossless"; do
        nn-quantize $c "$T/$net.nns" > "$T/$net.q.nns"
        k=$(echo "$net$c" | tr -dc 'a-z0-9')
        run "$k" "nn-quantize $c \$T/$net.nns > /dev/null"
        run "$k-d" "nn-quantize --decode \$T/$net.q.nns > /dev/null"
    done
    bench "$net-cat" "cat \$T/$net.nns > /dev/null" $H
    run "$net-info" "nn-info \$T/$net.nns > /dev/null"
    run "$net-nncat" "nn-cat \$T/$net.nns > /dev/null"
    bench "$net-zc" "zstd -3 -q -c \$T/$net.f32 > /dev/null" $H
    bench "$net-zd" "zstd -d -q -c \$T/$net.f32.zst > /dev/null" $H
    eval "title=\$$net"
    t=${title%% *}
    for c in "--bits 8" "--dynamic" "--q8_0" "--q4_0" "--lossless"; do
        k=$(echo "$net$c" | tr -dc 'a-z0-9')
        row $t $k "$(cell "nn-quantize $c NET > /dev/null")" $bytes
        row $t $k-d "$(cell "nn-quantize --decode NET.q > /dev/null") ($(cell "$c"))" $bytes
    done
    row $t $net-cat "$(cell "cat NET > /dev/null")" $bytes
    row $t $net-info "$(cell "nn-info NET > /dev/null")" $bytes
    row $t $net-nncat "$(cell "nn-cat NET > /dev/null")" $bytes
    row $t $net-zc "$(cell "zstd -3 -q -c RAW > /dev/null")" $bytes
    row $t $net-zd "$(cell "zstd -d -q -c RAW.zst > /dev/null")" $bytes
    md "| $t | zstd -3 of the f32 bytes: $(size "$T/$net.f32.zst") of $bytes bytes," \
       "$(awk -v a=$(size "$T/$net.f32.zst") -v b=$bytes 'BEGIN { printf "%.2f bits/weight", 32 * a / b }') | | |${ALT_BIN:+ |}"
done
md ""
md "The end-to-end times include the process's start (with OpenBLAS's" \
   "initialisation, which nn-quantize links for --data), reading and checking" \
   "the stream (checksums), converting the weights to double (the network's" \
   "layers), the coding, and writing; the f32 file of the 784-2048-2048-10" \
   "network is $(size "$T/big.nns") bytes."
md ""
footer

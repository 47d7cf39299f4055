#!/bin/sh
# seed-corpus.sh DIR — writes small valid and invalid streams as fuzzing seeds.
set -e
dir=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$dir"
for k in dataset zstd version flag ancillary overflow wrap checksum dtype orphan; do
    /usr/bin/python3 "$top/tests/nns_craft.py" $k > "$dir/seed-$k" || true
done
/usr/bin/python3 "$top/tests/nns_craft.py" random x 3 4 1 > "$dir/seed-random"

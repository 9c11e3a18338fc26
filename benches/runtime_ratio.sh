#!/usr/bin/env bash
# Actors against the engine, in back-to-back pairs of processes:
#   bioxen bench --vms N --ticks T --threads K --json
#   bioxen bench --vms N --ticks T --runtime actors --arbiters K --json
# Prints each pair's VM-ticks/s and ratio, then the medians and the range of the ratio.
#
# Why pairs: a shared machine's speed drifts by tens of percent from minute to minute,
# and memory-bound runs drift most; two runs taken back to back see the same machine, so
# the ratio within a pair is the steady figure.
#
# Usage: benches/runtime_ratio.sh VMS TICKS PAIRS [THREADS]   (release build first:
# `cargo build --release`; BIOXEN=path overrides target/release/bioxen)
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 VMS TICKS PAIRS [THREADS]" >&2
    exit 2
fi
vms=$1 ticks=$2 pairs=$3 threads=${4:-2}
bin=${BIOXEN:-"$(dirname "$0")/../target/release/bioxen"}
rate() { "$bin" bench --vms "$vms" --ticks "$ticks" --json "$@" | grep -o '"vm_ticks_per_second":[0-9.e+-]*' | cut -d: -f2; }
rows=""
for i in $(seq "$pairs"); do
    s=$(rate --threads "$threads")
    a=$(rate --runtime actors --arbiters "$threads")
    row=$(awk -v s="$s" -v a="$a" 'BEGIN { printf "%.0f %.0f %.3f", s, a, a / s }')
    echo "pair $i: rayon $(cut -d' ' -f1 <<<"$row")  actors $(cut -d' ' -f2 <<<"$row")  ratio $(cut -d' ' -f3 <<<"$row")"
    rows+="$row"$'\n'
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median: rayon $(cut -d' ' -f1 <<<"${rows%$'\n'}" | median)  actors $(cut -d' ' -f2 <<<"${rows%$'\n'}" | median)" \
    " ratio $(cut -d' ' -f3 <<<"${rows%$'\n'}" | median)  (range $(cut -d' ' -f3 <<<"${rows%$'\n'}" | sort -g | head -1)–$(cut -d' ' -f3 <<<"${rows%$'\n'}" | sort -g | tail -1))"

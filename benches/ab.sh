#!/usr/bin/env bash
# Two builds of bioxen against each other, in back-to-back pairs of processes:
#   BEFORE bench --vms N --ticks T --json ARGS...
#   AFTER  bench --vms N --ticks T --json ARGS...
# Prints each pair's VM-ticks/s and the ratio after ÷ before, then the medians and the
# range of the ratio. The order within a pair alternates, so neither build always runs
# on a machine warmed by the other.
#
# Why pairs: this machine's speed drifts by tens of percent from minute to minute; two
# runs taken back to back see the same machine, so the ratio within a pair is the steady
# figure (see benches/runtime_ratio.sh).
#
# Usage: benches/ab.sh BEFORE AFTER VMS TICKS PAIRS [bench arguments...]
#   e.g. benches/ab.sh /tmp/bioxen-old target/release/bioxen 10000 300 5 --threads 2
set -euo pipefail
if [ $# -lt 5 ]; then
    echo "usage: $0 BEFORE AFTER VMS TICKS PAIRS [bench arguments...]" >&2
    exit 2
fi
before=$1 after=$2 vms=$3 ticks=$4 pairs=$5
shift 5
rate() { "$1" bench --vms "$vms" --ticks "$ticks" --json "${@:2}" | grep -o '"vm_ticks_per_second":[0-9.e+-]*' | cut -d: -f2; }
rows=""
for i in $(seq "$pairs"); do
    if [ $((i % 2)) -eq 1 ]; then
        b=$(rate "$before" "$@")
        a=$(rate "$after" "$@")
    else
        a=$(rate "$after" "$@")
        b=$(rate "$before" "$@")
    fi
    row=$(awk -v b="$b" -v a="$a" 'BEGIN { printf "%.0f %.0f %.3f", b, a, a / b }')
    echo "pair $i: before $(cut -d' ' -f1 <<<"$row")  after $(cut -d' ' -f2 <<<"$row")  ratio $(cut -d' ' -f3 <<<"$row")"
    rows+="$row"$'\n'
done
col() { cut -d' ' -f"$1" <<<"${rows%$'\n'}"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median: before $(col 1 | median)  after $(col 2 | median)  ratio $(col 3 | median)  (range $(col 3 | sort -g | head -1)–$(col 3 | sort -g | tail -1))"

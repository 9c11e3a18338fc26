#!/usr/bin/env bash
# What writing a trace costs a run, in back-to-back pairs of processes:
#   BIOXEN run S --json ARGS...                  (no trace)
#   BIOXEN run S --json --trace T.bxtr ARGS...
# where S is a generated scenario of VMS syn3A guests for TICKS one-second ticks (the
# benchmark chassis, fair policy). Prints each pair's VM-ticks/s and the ratio traced ÷
# untraced, the medians, and the trace's size in bytes per VM-tick. The order within a
# pair alternates, as benches/ab.sh does.
#
# Usage: benches/trace_cost.sh BIOXEN VMS TICKS PAIRS [run arguments...]
#   e.g. benches/trace_cost.sh target/release/bioxen 10000 300 5 --threads 2
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 BIOXEN VMS TICKS PAIRS [run arguments...]" >&2
    exit 2
fi
bioxen=$1 vms=$2 ticks=$3 pairs=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scenario=$work/s.toml
{
    printf 'format_version = 1\nname = "trace-cost"\n\n[simulation]\nseed = 0\nticks = %d\n' "$ticks"
    printf 'tick_seconds = 1.0\npolicy = "fair"\n\n[chassis]\nkind = "ecoli"\n'
    printf 'ribosomes = %d\nrnap = %d\natp_per_s = %d\natp_store_max = %d\ndna_space_kb = %d\nmax_vms = %d\n' \
        $((vms * 2000)) $((vms * 200)) $((vms * 90000)) $((vms * 100000)) $((vms * 1000)) "$vms"
    for i in $(seq 0 $((vms - 1))); do printf '\n[[vm]]\nid = "v%07d"\norganism = "syn3a"\n' "$i"; done
} >"$scenario"
rate() { "$bioxen" run "$scenario" --json "$@" | grep -o '"vm_ticks_per_second":[0-9.e+-]*' | cut -d: -f2; }
rows=""
for i in $(seq "$pairs"); do
    if [ $((i % 2)) -eq 1 ]; then
        b=$(rate "$@")
        a=$(rate --trace "$work/t.bxtr" "$@")
    else
        a=$(rate --trace "$work/t.bxtr" "$@")
        b=$(rate "$@")
    fi
    row=$(awk -v b="$b" -v a="$a" 'BEGIN { printf "%.0f %.0f %.3f", b, a, a / b }')
    echo "pair $i: untraced $(cut -d' ' -f1 <<<"$row")  traced $(cut -d' ' -f2 <<<"$row")  ratio $(cut -d' ' -f3 <<<"$row")"
    rows+="$row"$'\n'
    rm -f "$work/t.bxtr"
done
"$bioxen" run "$scenario" --json --trace "$work/t.bxtr" "$@" >/dev/null
bytes=$(stat -c %s "$work/t.bxtr")
col() { cut -d' ' -f"$1" <<<"${rows%$'\n'}"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "median: untraced $(col 1 | median)  traced $(col 2 | median)  ratio $(col 3 | median)  (range $(col 3 | sort -g | head -1)–$(col 3 | sort -g | tail -1))"
awk -v b="$bytes" -v n="$vms" -v t="$ticks" 'BEGIN { printf "trace: %d bytes, %.2f bytes a VM-tick\n", b, b / (n * t) }'

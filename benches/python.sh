#!/usr/bin/env bash
# The Python module against Rust, in back-to-back pairs of processes (benches/ab.sh's
# reasoning): a manager of VMS syn3A VMs driven for TICKS ticks from Rust
# (benches/manager_loop.rs) and from Python (benches/manager_loop.py), for each mode
# (loop: run_ticks(1) in a loop; callback: a per-tick callback; read: get_protein_count
# each tick). Prints each pair's ticks/s and the ratio Python ÷ Rust, then each mode's
# median ratio; and the cost of one Python → Rust call.
#
# Usage: benches/python.sh [VMS] [TICKS] [PAIRS]   (defaults 1000 200 5)
# Needs the module installed in the Python that PYTHON names (default: python3), built
# in release (pip install ./python).
set -euo pipefail
cd "$(dirname "$0")/.."
vms=${1:-1000} ticks=${2:-200} pairs=${3:-5}
python=${PYTHON:-python3}
cargo build --release --quiet --bench manager_loop
rust=$(ls -t target/release/deps/manager_loop-* | grep -v '\.d$' | head -1)
rate() { grep -o '"ticks_per_second":[0-9.e+-]*' | cut -d: -f2; }
for mode in loop callback read; do
    ratios=""
    for i in $(seq "$pairs"); do
        if [ $((i % 2)) -eq 1 ]; then
            r=$("$rust" "$vms" "$ticks" "$mode" | rate)
            p=$("$python" benches/manager_loop.py "$vms" "$ticks" "$mode" | rate)
        else
            p=$("$python" benches/manager_loop.py "$vms" "$ticks" "$mode" | rate)
            r=$("$rust" "$vms" "$ticks" "$mode" | rate)
        fi
        ratio=$(python3 -c "print(f'{$p / $r:.3f}')")
        ratios="$ratios $ratio"
        echo "$mode pair $i: rust $r ticks/s, python $p ticks/s, python/rust $ratio"
    done
    echo "$mode median python/rust: $(python3 -c "import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))" $ratios)"
done
"$python" benches/manager_loop.py 0 0 call

#!/usr/bin/env bash
# Two builds of bioxen against each other, byte for byte: every shipped scenario
# (scenarios/*.toml, examples/circuits/*.toml) run by both, on the engine and on the
# actors, with a trace and a checkpoint every 7 ticks; the digests, traces and checkpoints
# must be identical. For changes that must not move a single byte (a refactoring, a new
# in-memory layout).
#
# Usage: benches/same_bytes.sh BEFORE AFTER
#   e.g. benches/same_bytes.sh /tmp/bioxen-old target/release/bioxen
# Exits 1 and names each scenario and runtime whose bytes differ (or that failed).
set -uo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 BEFORE AFTER" >&2
    exit 2
fi
before=$1 after=$2
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail=0 files=0
for scenario in scenarios/*.toml examples/circuits/*.toml; do
    name=$(basename "$scenario" .toml)
    # `rayon` is the engine's oldest name, which builds of every age accept.
    for runtime in rayon actors; do
        for side in before after; do
            dir="$work/$side/$runtime/$name"
            mkdir -p "$dir"
            if ! "${!side}" run "$scenario" --runtime "$runtime" --trace "$dir/trace.bxtr" \
                --checkpoint-every 7 --checkpoint-dir "$dir/checkpoints" --json >"$dir/out.json" 2>"$dir/stderr"; then
                echo "FAILED: $side $scenario ($runtime): $(tail -1 "$dir/stderr")"
                fail=1
            fi
            grep -o '"digest":"[0-9a-f]*"' "$dir/out.json" >"$dir/digest"
            rm "$dir/out.json" "$dir/stderr"
        done
        if ! diff -r "$work/before/$runtime/$name" "$work/after/$runtime/$name" >/dev/null; then
            echo "DIFFER: $scenario ($runtime)"
            fail=1
        fi
        files=$((files + $(find "$work/after/$runtime/$name" -type f | wc -l)))
    done
done
echo "compared $files files (digests, traces, checkpoints): $([ $fail -eq 0 ] && echo identical || echo NOT identical)"
exit $fail

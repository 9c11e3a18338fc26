#!/usr/bin/env bash
# Checkpoints at scale: the bench's workload of VMS syn3A VMs saved as a scenario file
# (`bioxen bench --save-scenario`), validated, run for TICKS ticks on 2 threads with a
# checkpoint at tick CHECKPOINT, run again without one, and resumed from the checkpoint.
# Prints each step's wall time and peak RSS (GNU time), the file and checkpoint sizes, and
# checks that the resumed run ends on the uninterrupted run's digest.
#
# Usage: benches/checkpoint_scale.sh VMS TICKS CHECKPOINT   (release build first:
# `cargo build --release`; BIOXEN=path overrides target/release/bioxen; needs /usr/bin/time)
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: $0 VMS TICKS CHECKPOINT" >&2
    exit 2
fi
vms=$1 ticks=$2 every=$3
bin=$(realpath "${BIOXEN:-"$(dirname "$0")/../target/release/bioxen"}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { # label, then the command; prints "label: seconds s, peak MB"
    local label=$1
    shift
    /usr/bin/time -f "%e %M" -o time.txt "$@" > out.txt
    awk -v l="$label" '{ printf "%s: %.1f s, peak %.0f MB\n", l, $1, $2 / 1024 }' time.txt
}
digest() { grep -o '"digest":"[0-9a-f]*"' out.txt | cut -d'"' -f4; }
step "save the workload" "$bin" bench --vms "$vms" --ticks "$ticks" --save-scenario w.toml
echo "scenario file: $(stat -c %s w.toml) bytes"
step "validate" "$bin" validate w.toml
step "run, no checkpoint" "$bin" run w.toml --threads 2 --json
plain=$(digest)
step "run, checkpoint every $every" "$bin" run w.toml --threads 2 --json --checkpoint-every "$every" --checkpoint-dir cp
[ "$(digest)" = "$plain" ] || { echo "the checkpointed run's digest differs" >&2; exit 1; }
checkpoint=$(ls cp/* | head -1)
echo "checkpoint: $(stat -c %s "$checkpoint") bytes ($(( $(stat -c %s "$checkpoint") / vms )) B/VM)"
step "resume" "$bin" resume "$checkpoint" --threads 2 --json
[ "$(digest)" = "$plain" ] || { echo "the resumed run's digest differs" >&2; exit 1; }
echo "digest ${plain:0:8}… on all three runs"

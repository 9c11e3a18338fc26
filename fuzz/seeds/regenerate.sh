#!/usr/bin/env bash
# Regenerates the trace and checkpoint seeds in the current format versions (run it after
# raising TRACE_FORMAT_VERSION or CHECKPOINT_FORMAT_VERSION; tests/fuzz_regressions.rs
# checks that every seed reads). Usage: bash fuzz/seeds/regenerate.sh [path/to/bioxen]
set -euo pipefail
cd "$(dirname "$0")/../.."
bioxen="${1:-target/release/bioxen}"
[ -x "$bioxen" ] || cargo build --release --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

trace() { # name scenario ticks [run options]
    local name="$1" scenario="$2" ticks="$3"
    shift 3
    "$bioxen" run "$scenario" --ticks "$ticks" --trace "fuzz/seeds/trace/$name.bxtr" "$@" >/dev/null
}

checkpoint() { # name scenario tick [run options]: the checkpoint after `tick` ticks
    local name="$1" scenario="$2" tick="$3"
    shift 3
    rm -rf "$work/ck"
    "$bioxen" run "$scenario" --ticks "$((tick + 1))" --checkpoint-every "$tick" --checkpoint-dir "$work/ck" "$@" >/dev/null
    mv "$work"/ck/*.bxck "fuzz/seeds/checkpoint/$name.bxck"
}

trace circuits-400 scenarios/circuits.toml 400
trace contention-credit-6 scenarios/contention.toml 6 --policy credit
trace lac-feedback-400 examples/timeline/lac-feedback.toml 400
trace late-arrivals-40 scenarios/late-arrivals.toml 40
trace quickstart-15 scenarios/quickstart.toml 15

checkpoint circuits-400 scenarios/circuits.toml 400
checkpoint contention-credit-4 scenarios/contention.toml 4 --policy credit
checkpoint lac-feedback-400 examples/timeline/lac-feedback.toml 400
checkpoint late-arrivals-35 scenarios/late-arrivals.toml 35
checkpoint orthogonal-lottery-3 scenarios/chassis-orthogonal.toml 3 --policy lottery
checkpoint quickstart-stride-5 scenarios/quickstart.toml 5 --policy stride

# The inside of a trace's compressed block (the trace target also reads its input as one).
cargo test --quiet --test fuzz_regressions -- --ignored write_the_raw_block_seed >/dev/null

# The wire target's seed: a valid stream (preamble, hello, one value) of this build.
cargo test --quiet -p bioxen-remote --test handshake -- --ignored write_the_fuzz_seed >/dev/null
# And what a real proxy and a whole run send a worker and get back (the protocol's seeds).
cargo test --quiet --test remote_workers -- --ignored write_the_fuzz_seeds >/dev/null

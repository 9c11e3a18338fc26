#!/usr/bin/env bash
# Throughput over SSH hosts, on this machine: two hosts, each Debian's sshd in its own
# network namespace joined by a veth pair (root, iproute2, openssh-server), sharing this
# machine's cores, so compare like with like. Runs 1,000 syn3A VMs (release build):
# all here on 2 arbiters; here + one host; the two hosts alone, in ROUNDS back-to-back
# rounds. Prints each one's steady ticks/s (a TICKS run less a 100-tick run; start-up —
# SSH, handshake, shipping the cells — apart), the bytes the hosts' links carried per
# remote VM-tick (SSH included, from the veth's counters) and each remote layout's ratio
# to the local run of its round; then a 16-run sweep of a 20-VM scenario here and over
# the two hosts (runs/s).
#   usage: [ARBITERS=N] [ROUNDS=R] benches/hosts.sh [TICKS]
#          (TICKS default 2000, R 3; N: each worker's threads, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ticks="${1:-2000}"
cargo build --release --quiet --bin bioxen
bin="$PWD/target/release/bioxen"
work="$(mktemp -d)"
hosts=()
cleanup() {
    for n in "${hosts[@]}"; do
        [ -f "$work/h$n/sshd.pid" ] && kill "$(cat "$work/h$n/sshd.pid")" 2>/dev/null || true
        ip link del "bxb${n}h" 2>/dev/null || true
        ip netns del "bxb$n" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
{ echo "format_version = 1"; } > "$work/hosts.toml"
for n in 1 2; do
    hosts+=("$n"); d="$work/h$n"; mkdir -p "$d"; ns="bxb$n"
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
    cp "$work/id.pub" "$d/authorized_keys"
    ip netns add "$ns"
    ip link add "${ns}h" type veth peer name "${ns}t"
    ip link set "${ns}t" netns "$ns"
    ip addr add "10.199.$n.1/24" dev "${ns}h"; ip link set "${ns}h" up
    ip netns exec "$ns" ip addr add "10.199.$n.2/24" dev "${ns}t"
    ip netns exec "$ns" ip link set "${ns}t" up; ip netns exec "$ns" ip link set lo up
    cat > "$d/sshd_config" <<CFG
ListenAddress 10.199.$n.2
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PasswordAuthentication no
PermitRootLogin yes
UsePAM no
Subsystem sftp internal-sftp
LogLevel ERROR
CFG
    ip netns exec "$ns" /usr/sbin/sshd -f "$d/sshd_config"
    echo "10.199.$n.2 $(cat "$d/host_key.pub")" > "$d/known_hosts"
    cat >> "$work/hosts.toml" <<HOST
[[host]]
name = "h$n"
address = "10.199.$n.2"
user = "root"
key = "$work/id"
known_hosts = "$d/known_hosts"
worker_binary = "$bin"
arbiters = ${ARBITERS:-1}
HOST
done
head -n 9 "$work/hosts.toml" > "$work/one.toml"   # format_version and h1 only
scenario() {  # ticks → file
    {
        echo 'format_version = 1'; echo 'name = "hosts-bench"'
        echo '[simulation]'; echo 'seed = 1'; echo "ticks = $1"; echo 'policy = "proportional"'
        echo '[chassis]'; echo 'kind = "ecoli"'; echo 'ribosomes = 600000'; echo 'rnap = 300000'; echo 'atp_per_s = 2000000000'; echo 'atp_store_max = 4000000000'; echo 'dna_space_kb = 1000000'; echo 'max_vms = 1000'
        for i in $(seq 1 1000); do printf '[[vm]]\nid = "v%04d"\norganism = "syn3a"\n' "$i"; done
    } > "$work/s$1.toml"
}
short=100
scenario "$short"; scenario "$ticks"
bytes() { cat "/sys/class/net/bxb$1h/statistics/rx_bytes" "/sys/class/net/bxb$1h/statistics/tx_bytes" | paste -sd+ | bc; }
# One line per run: config, ticks, elapsed seconds, link bytes, digest.
run() {
    local config="$1" n="$2"; shift 2
    local b; b=$(( $(bytes 1) + $(bytes 2) ))
    "$bin" run "$work/s$n.toml" --json --runtime actors --arbiters 2 "$@" > "$work/out.json"
    local d=$(( $(bytes 1) + $(bytes 2) - b ))
    python3 -c "import json,sys; o=json.load(open(sys.argv[1])); print(sys.argv[2], sys.argv[3], o['elapsed_seconds'], sys.argv[4], o['digest'][:16])" \
        "$work/out.json" "$config" "$n" "$d" >> "$work/runs.txt"
}
# Back-to-back rounds of the three configurations, each run short and long: the
# difference is the steady rate (a remote run first connects, shakes hands and ships its
# cells: reported apart, as the start-up cost).
for round in $(seq 1 "${ROUNDS:-3}"); do
    for n in "$short" "$ticks"; do
        run local "$n"
        run here+h1 "$n" --hosts "$work/one.toml"
        run h1+h2 "$n" --hosts "$work/hosts.toml" --remote-only
    done
done
python3 - "$work/runs.txt" "$short" "$ticks" <<'PY'
import statistics, sys
from collections import defaultdict
lines = [l.split() for l in open(sys.argv[1])]
short, long_ = int(sys.argv[2]), int(sys.argv[3])
runs = defaultdict(list)
for config, n, elapsed, link, digest in lines:
    runs[config, int(n)].append((float(elapsed), int(link), digest))
remote_vms = {"local": 0, "here+h1": 500, "h1+h2": 1000}
rates = {}
for config in ["local", "here+h1", "h1+h2"]:
    pairs = list(zip(runs[config, short], runs[config, long_]))
    steady = [(long_ - short) / (l[0] - s[0]) for s, l in pairs]
    startup = [s[0] - short / r for (s, _), r in zip(pairs, steady)]
    per = [(l[1] - s[1]) / (remote_vms[config] * (long_ - short)) if remote_vms[config] else 0 for s, l in pairs]
    whole = [long_ / l[0] for _, l in pairs]
    rates[config] = steady
    digests = {l[2] for _, l in pairs}
    print(f"{config:<8} steady {statistics.median(steady):7.1f} ticks/s (rounds {', '.join(f'{r:.0f}' for r in steady)})"
          f"   start-up {statistics.median(startup):5.2f} s   whole run {statistics.median(whole):7.1f} ticks/s"
          f"   link bytes/VM-tick {statistics.median(per):5.1f}   digest {'/'.join(sorted(digests))}")
for config in ["here+h1", "h1+h2"]:
    ratios = [r / l for r, l in zip(rates[config], rates["local"])]
    print(f"{config:<8} / local, steady, per round: {', '.join(f'{x:.2f}' for x in ratios)}   median {statistics.median(ratios):.2f}")
PY

sweep_rate() {
    local label="$1"; shift
    rm -rf "$work/sweep"
    local t0 t1; t0=$(date +%s.%N)
    "$bin" sweep "$work/small.toml" --seeds 0..16 --policies fair --out "$work/sweep" "$@" > /dev/null 2>&1
    t1=$(date +%s.%N)
    printf '%-28s %8.2f runs/s\n' "$label" "$(echo "16 / ($t1 - $t0)" | bc -l)"
}
{
    echo 'format_version = 1'; echo 'name = "sweep-bench"'
    echo '[simulation]'; echo 'seed = 1'; echo "ticks = 500"; echo 'policy = "fair"'
    echo '[chassis]'; echo 'kind = "ecoli"'
    for i in $(seq 1 20); do printf '[[vm]]\nid = "v%02d"\norganism = "syn3a"\n' "$i"; done
} > "$work/small.toml"
sweep_rate "sweep, here (2 jobs)" --jobs 2
sweep_rate "sweep, h1 + h2" --hosts "$work/hosts.toml"

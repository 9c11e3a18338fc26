#!/usr/bin/env bash
# Throughput over SSH hosts, on this machine: two hosts, each Debian's sshd in its own
# network namespace joined by a veth pair (root, iproute2, openssh-server), sharing this
# machine's cores, so compare like with like. Runs 1,000 syn3A VMs (release build):
# all here on 2 arbiters; here + one host; the two hosts alone. Prints ticks/s of each
# and the bytes each host's link carried per VM-tick (SSH included, from the veth's
# counters); then a 16-run sweep of a 20-VM scenario here and over the two hosts (runs/s).
#   usage: [ARBITERS=N] benches/hosts.sh [TICKS]      (default 300; N: each worker's threads, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
ticks="${1:-300}"
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
{
    echo 'format_version = 1'; echo 'name = "hosts-bench"'
    echo '[simulation]'; echo 'seed = 1'; echo "ticks = $ticks"; echo 'policy = "proportional"'
    echo '[chassis]'; echo 'kind = "ecoli"'; echo 'ribosomes = 600000'; echo 'rnap = 300000'; echo 'atp_per_s = 2000000000'; echo 'atp_store_max = 4000000000'; echo 'dna_space_kb = 1000000'; echo 'max_vms = 1000'
    for i in $(seq 1 1000); do printf '[[vm]]\nid = "v%04d"\norganism = "syn3a"\n' "$i"; done
} > "$work/s.toml"
bytes() { cat "/sys/class/net/bxb$1h/statistics/rx_bytes" "/sys/class/net/bxb$1h/statistics/tx_bytes" | paste -sd+ | bc; }
run() {
    local label="$1"; shift
    local b1 b2; b1=$(bytes 1); b2=$(bytes 2)
    "$bin" run "$work/s.toml" --json --runtime actors --arbiters 2 "$@" > "$work/out.json"
    local d1=$(( $(bytes 1) - b1 )) d2=$(( $(bytes 2) - b2 ))
    python3 - "$label" "$work/out.json" "$d1" "$d2" "$ticks" "$@" <<'PY'
import json, sys
label, out, d1, d2, ticks = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
args = sys.argv[6:]
remote_vms = {"": 0, "one": 500, "two": 1000}["two" if "--remote-only" in args else ("one" if args else "")]
per = (d1 + d2) / (remote_vms * ticks) if remote_vms else 0
ticks_s = ticks / out["elapsed_seconds"]
print(f"{label:<28} {ticks_s:8.1f} ticks/s   digest {out['digest'][:16]}   link bytes/VM-tick {per:6.1f}")
PY
}
run "all here (2 arbiters)"
run "here + h1" --hosts "$work/one.toml"
run "h1 + h2 (remote only)" --hosts "$work/hosts.toml" --remote-only

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

"""rebop's Python package on the syn3A network of benches/peers.rs, to check that the
in-repository rebop runs as fast as rebop's compiled core does there.

    cargo run --release --example network_json -- 100 > /tmp/network.json
    python3 -m venv /tmp/rebop && /tmp/rebop/bin/pip install rebop
    /tmp/rebop/bin/python benches/peers.py /tmp/network.json [CELLS] [REPEATS]

Each `run` builds the system again (~0.2 s for 1,356 reactions) before it simulates, so
the simulation is timed as the difference between a run to 600 s and a run to 0 s, the
best of REPEATS (3) each, with sparse reactions (what benches/peers.rs uses; dense ones
are ~15 times slower here). Prints the set-up, and the simulation of the first cell and
of the first CELLS cells (default: all the file holds).
"""

import json
import sys
import time

import rebop


def network(net):
    g = rebop.Gillespie()
    for i, b in enumerate(net["transcription_per_s"]):
        g.add_reaction(b, [], [f"m{i}"])
        g.add_reaction(net["mrna_decay_per_s"], [f"m{i}"], [])
        g.add_reaction(net["translation_per_mrna_per_s"], [f"m{i}"], [f"m{i}", f"p{i}"])
    return g


def initial(cell):
    x0 = {f"m{i}": n for i, n in enumerate(cell["mrna"])}
    x0.update({f"p{i}": n for i, n in enumerate(cell["proteins"])})
    return x0


def best(repeats, run):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    net = json.load(open(sys.argv[1]))
    cells = net["cells"][: int(sys.argv[2])] if len(sys.argv) > 2 else net["cells"]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    g = network(net)
    seconds = net["seconds"]
    simulated = []
    for c, cell in enumerate(cells):
        x0 = initial(cell)
        setup = best(repeats, lambda: g.run(x0, tmax=0.0, nb_steps=1, rng=c, sparse=True))
        whole = best(repeats, lambda: g.run(x0, tmax=seconds, nb_steps=1, rng=c, sparse=True))
        simulated.append(whole - setup)
        if c == 0:
            print(f"rebop {getattr(rebop, '__version__', '?')}: set-up {setup * 1e3:.1f} ms a run")
            print(f"1 cell, {seconds} s: {simulated[0] * 1e3:.1f} ms")
    print(f"{len(cells)} cells, {seconds} s: {sum(simulated) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()

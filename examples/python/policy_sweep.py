# %% [markdown]
# # Which scheduling policy serves a crowded host best?
#
# A notebook in the percent format (open it in Jupyter with jupytext, or run it as a
# script): sweep seeds over two policies on a shipped scenario, load the runs into a data
# frame, summarise, and draw a chart when matplotlib is installed. Every row carries its
# seed and digest, so any run can be replayed with `bioxen run --seed S --policy P`.
#
# `python examples/python/policy_sweep.py [--seeds N] [--out chart.png]`

# %%
import argparse
import pathlib

import bioxen_jcvi_vm_lib as bx

REPO = pathlib.Path(__file__).resolve().parents[2]
parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--seeds", type=int, default=8)
parser.add_argument("--out", type=pathlib.Path, default=None, help="where to save the chart (PNG)")
args, _ = parser.parse_known_args()
scenario = REPO / "scenarios" / "chassis-ecoli.toml"

# %% Sweep: every seed under each policy, in parallel, the GIL released.
rows = bx.sweep(scenario, seeds=list(range(1, args.seeds + 1)), policies=["fair", "drf"])
print(f"{len(rows)} runs of {scenario.name}, engine {bx.ENGINE_VERSION}")

# %% Into a data frame (pandas when installed; the rows are plain dicts either way).
try:
    import pandas as pd
except ImportError:
    pd = None
columns = ["policy", "seed", "digest", "proteins_total", "jain_fairness", "worst_demand_met"]
if pd is not None:
    frame = pd.DataFrame(rows)[columns]
    summary = frame.groupby("policy")[["proteins_total", "jain_fairness", "worst_demand_met"]].agg(["mean", "std"])
    print(summary.round(4).to_string())
    assert set(frame["policy"]) == {"fair", "drf"} and frame["digest"].nunique() == len(frame)
else:
    for policy in ["fair", "drf"]:
        mine = [r for r in rows if r["policy"] == policy]
        mean = sum(r["jain_fairness"] for r in mine) / len(mine)
        print(f"{policy}: mean Jain fairness {mean:.4f} over {len(mine)} seeds")

# %% A run replays to its digest: the sweep's first row, run again on its own.
first = rows[0]
again = bx.run(scenario, seed=first["seed"], policy=first["policy"])
assert again["digest"] == first["digest"]
print(f"replayed {first['policy']} seed {first['seed']}: {again['digest'][:16]}…")

# %% A chart of fairness per seed, when matplotlib is installed.
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
if plt is not None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for policy in ["fair", "drf"]:
        mine = [r for r in rows if r["policy"] == policy]
        ax.plot([r["seed"] for r in mine], [r["jain_fairness"] for r in mine], marker="o", label=policy)
    ax.set_xlabel("seed")
    ax.set_ylabel("Jain's fairness over demand met")
    ax.legend()
    out = args.out or pathlib.Path("policy_sweep.png")
    fig.savefig(out, dpi=120, bbox_inches="tight")
    print(f"chart: {out}")
else:
    print("matplotlib is not installed: no chart")

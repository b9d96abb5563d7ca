# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Fairness audit at the visit capacity
#
# Mentors visit the students at the top of the list. Does that list serve every group
# of children alike? For each group attribute (gender, ethnic minority, disability,
# registered poor, left-behind, rural school) we compare each group's error rates with
# those of the attribute's largest group, the Aequitas way: a ratio outside 0.8–1.25
# is flagged.
#
# - **precision**: of the students visited, the share who went on to leave;
# - **recall** (1 − **FNR**): of the students who left, the share the list reached;
# - **FPR**: of the students who stayed, the share visited anyway;
# - **FOR**: of the students not visited, the share who left (missed children).

# %%
import numpy as np
import pandas as pd

from dropout_risk import workbench as dr

dr.plot_style()
tables = dr.load(dr.demo_county(students=2000, years=4, seed=0))
outcome = dr.train(tables, promote=True)
ev = outcome.evaluation
print(f"version {outcome.model_version}; visit capacity {ev.spec.capacity.describe()} "
      f"= {ev.k} students on the test snapshot of {int(ev.model['rows']):,}")  # fmt: skip

# %%
audit = dr.fairness_at(outcome)
columns = ["attribute", "group", "size", "left", "flagged", "precision", "recall", "fpr", "for",
           "recall_ratio", "fpr_ratio", "precision_ratio", "disparity"]  # fmt: skip
audit[columns].round(3)

# %% [markdown]
# Reading the table: the reference row of each attribute has ratios of 1. A FPR ratio of
# 1.6 for a group means its children who stay in school are visited 1.6 times as often
# as the reference group's: more of the visits go to that group, which is no harm when
# visits are support, but is a burden if a visit is felt as a label. A recall ratio of
# 0.6 means the list reaches 60% as many of that group's leavers as of the reference
# group's. With few leavers per group (see `left`), a single child moves recall a lot:
# read the small groups' recall ratios as uncertain.

# %%
fpr = audit["fpr_ratio"].to_numpy(dtype=float)
assert np.isfinite(fpr).all(), "every group has stayers, so every FPR ratio is defined"
reference = audit[audit["reference"]]
assert (reference[["precision_ratio", "fpr_ratio"]].fillna(1.0) == 1.0).all().all()

# %% [markdown]
# ## Moving the capacity (the threshold)
#
# The visit capacity sets the risk threshold: visiting the top k students means
# visiting everyone whose risk is at least the k-th highest. A larger capacity lowers
# the threshold. How do the disparity flags and the registered-poor group's ratios move?

# %%
risk = np.sort(ev.test["_risk"].to_numpy())[::-1]
rows = []
for share in (0.02, 0.05, 0.10, 0.20, 0.30):
    table = dr.fairness_at(outcome, capacity=share)
    poor = table[(table["attribute"] == "registered_poor") & ~table["reference"]].iloc[0]
    k = int(np.ceil(share * len(risk)))
    rows.append(
        {
            "capacity": f"{share:.0%}",
            "visits": k,
            "risk threshold": round(float(risk[k - 1]), 4),
            "groups flagged": int(table["disparity"].sum()),
            "registered poor: recall ratio": poor["recall_ratio"],
            "registered poor: FPR ratio": poor["fpr_ratio"],
        }
    )
sweep = pd.DataFrame(rows).set_index("capacity")
sweep.round(3)

# %%
ax = sweep[["registered poor: recall ratio", "registered poor: FPR ratio"]].plot(
    marker="o", figsize=(7, 4), title="Registered-poor students vs the others, by capacity"
)
ax.axhspan(0.8, 1.25, color="#dfeedd", zorder=0)
ax.set_ylabel("ratio to the reference group")

# %% [markdown]
# Poverty is a real driver of dropout, so a risk list visits poor households' children
# more often than others (FPR ratio above 1), most of all at small capacities where
# only the highest risks are visited; as the capacity grows the list spreads out and
# the ratios move towards 1. Whether that is fair is a policy question, not a modelling
# one: the audit makes it visible and the report repeats it for every trained version.

# %%
assert np.isfinite(sweep["registered poor: FPR ratio"]).all()
assert sweep["risk threshold"].is_monotonic_decreasing, "a larger capacity lowers the threshold"

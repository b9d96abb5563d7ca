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
# # 04 · Why is this student at risk?
#
# Global importance (which indicators move risks most across the county) and each
# student's own factors, exactly as the case workers' page shows them: the indicators
# that raise that student's risk most, in plain Chinese and English. Both come from
# LightGBM's own per-student contributions (`pred_contrib`, in log-odds).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dropout_risk import workbench as dr

dr.plot_style()
tables = dr.load(dr.demo_county(students=2000, years=4, seed=0))
outcome = dr.train(tables, promote=True)
print(outcome.promotion)

# %% [markdown]
# ## Global importance
#
# The mean absolute contribution of each indicator on the test snapshot: how far, on
# average, it pushes a student's risk up or down.

# %%
importance = outcome.evaluation.importance.head(15)
ax = importance.sort_values().plot.barh(figsize=(7, 5), color="#1f5fa8")
ax.set_xlabel("mean |contribution| (log-odds)")
ax.set_title("What drives the risk")
assert (importance >= 0).all() and importance.iloc[0] > 0

# %% [markdown]
# ## The list at the next term start, with reasons
#
# `dr.score` scores everyone in school at a date with a registered version (by default
# `model="champion"`, the one in service), ranks them, sets the tiers and writes each
# student's top factors, as `dropout-risk score` does for the case workers (without
# publishing to the score store). Here: the version just trained, on the test snapshot.

# %%
as_of = outcome.evaluation.test["as_of"].max()
scores = dr.score(tables, as_of, model=outcome.model_version)
print(f"{len(scores):,} students scored as of {as_of:%Y-%m-%d} with version "
      f"{scores['model_version'].iloc[0]}")  # fmt: skip
scores[["rank_in_county", "student_id", "school_id", "grade", "risk", "tier", "factors_zh",
        "factors_en"]].head(10)  # fmt: skip

# %%
high = scores[scores["tier"] == "high"]
assert len(high) > 0
assert all(text.strip() for text in high["factors_zh"]), "every high-risk student has reasons"
assert all(text.strip() for text in high["factors_en"])

# %% [markdown]
# ## One student, factor by factor
#
# The first student on the list: each factor's indicator, its value, its contribution
# and the words the page shows.

# %%
first = scores.iloc[0]
pd.DataFrame(first["factors"])

# %% [markdown]
# The contributions of all indicators plus the bias add up to the model's raw score
# (log-odds) before calibration; the calibrator then maps that score to the risk.
# Below, the full breakdown of the first student and of a low-risk student.

# %%
indicators = dr.features(tables, as_of).set_index("student_id")
low_id = scores.iloc[len(scores) // 2]["student_id"]
rows = indicators.loc[[first["student_id"], low_id]]
contrib = dr.explain(rows, model=outcome.model_version)
model = dr.scorer(outcome.model_version)
raw = model.estimator.raw_score(model.matrix(rows))  # LightGBM's or the logistic regression's
assert np.allclose(contrib.sum(axis=1), raw), "contributions add up to the raw score"
assert np.allclose(model.predict(rows), scores.set_index("student_id").loc[rows.index, "risk"])

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True)
for ax, student in zip(axes, rows.index, strict=True):
    top = contrib.loc[student].drop("bias")
    top = top.reindex(top.abs().sort_values().index[-10:])
    ax.barh(top.index, top.to_numpy(), color=np.where(top > 0, "#c0392b", "#1e7e34"))
    risk = scores.set_index("student_id").loc[student, "risk"]
    ax.set_title(f"{student}: risk {risk:.1%}")
ax.set_xlabel("contribution to the raw score (log-odds)")
fig.tight_layout()

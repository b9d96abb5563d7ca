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
# # 01 · Explore a county's records
#
# Who leaves school, in which grade, for what reason, where and when; and how the
# indicators of the students who went on to leave differ from those who stayed.
# The county is synthetic (`dropout-risk generate`), written once under
# `$DROPOUT_RISK_HOME` (default `.dropout-risk/` here); point `dr.load` at a real data
# folder to explore real records the same way.

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from dropout_risk import workbench as dr

dr.plot_style()  # a CJK font, so township names are readable
county = dr.demo_county(students=2000, years=4, seed=0)
report = dr.validate(county)
tables = report.tables
print(f"{county}: {len(report.problems)} problem(s), {report.set_aside} row(s) set aside")
pd.Series({name: len(frame) for name, frame in tables.items()}, name="rows").to_frame()

# %% [markdown]
# ## Who left
#
# `dr.leavers` joins each recorded departure to the enrollment of its school year
# (grade, school, township) and to the student's demographics.

# %%
left = dr.leavers(tables)
enrolled = tables.enrollments.groupby("grade").size()
by_grade = left.groupby("grade").size().reindex(enrolled.index, fill_value=0)
rate = (by_grade / enrolled).rename("leavers per enrolled student-year")

fig, axes = plt.subplots(2, 2, figsize=(11, 7))
rate.plot.bar(ax=axes[0, 0], color="#1f5fa8", title="Leavers per enrolled student-year, by grade")
left["reason"].value_counts().sort_values().plot.barh(ax=axes[0, 1], title="Reason recorded")
left["township"].value_counts().sort_values().plot.barh(ax=axes[1, 0], title="Township")
left.groupby("month").size().reindex(range(1, 13), fill_value=0).plot.bar(
    ax=axes[1, 1], title="Month of leaving"
)
fig.tight_layout()

# %% [markdown]
# Junior-school grades (7–9) lose far more students than primary grades; most
# departures come in the first months of the school year (September–December, when
# a child does not come back after the summer or stops soon after) and around the
# spring term. Learning difficulty is the reason recorded most often. Some leavers
# come back:

# %%
summary = pd.DataFrame(
    {
        "leavers": left.groupby("reason").size(),
        "returned": left.groupby("reason")["returned"].sum(),
    }
).sort_values("leavers", ascending=False)
summary["share returned"] = (summary["returned"] / summary["leavers"]).round(2)
display(summary)

# %%
assert len(left) > 0 and left["grade"].notna().all(), "every leaver has a grade that year"
assert rate.loc[7:9].mean() > rate.loc[1:6].mean(), "junior grades lose more students"

# %% [markdown]
# ## Indicators of leavers and stayers
#
# A training set stacks the indicators of everyone in school at each term start with
# the label "left school within the next 180 days". Only what was known before each
# snapshot goes into its indicators.

# %%
training = dr.training_set(tables, snapshots="term_start", horizon_days=180)
frame = training.frame
print(
    f"{len(frame):,} student-snapshots at {len(training.snapshots)} term starts; "
    f"{int(frame['label'].sum()):,} left within 180 days ({frame['label'].mean():.1%})"
)
for when, why in training.dropped:
    print(f"left out {when:%Y-%m-%d}: {why}")

# %%
shown = ["absence_rate_90d", "unexcused_rate_30d", "term_mean_score", "failing_subjects",
         "over_age", "longest_absence_run"]  # fmt: skip
fig, axes = plt.subplots(2, 3, figsize=(12, 6))
for ax, name in zip(axes.flat, shown, strict=True):
    for label, colour, text in ((0, "#999999", "stayed"), (1, "#c0392b", "left")):
        values = frame.loc[frame["label"] == label, name].astype("float64").dropna()
        ax.hist(values, bins=20, density=True, alpha=0.6, color=colour, label=text)
    ax.set_title(name)
axes[0, 0].legend()
fig.suptitle("Indicator distributions: students who left within 180 days vs those who stayed")
fig.tight_layout()

# %%
numeric = [c for c in shown if c in frame.columns]
means = frame.groupby("label")[numeric].mean().T.rename(columns={0: "stayed", 1: "left"})
means["left / stayed"] = (means["left"] / means["stayed"]).round(2)
display(means)

# %% [markdown]
# Leavers were absent more (especially without excuse), scored lower and were more
# often over-age for their grade: the signals the model and the simple rules use.

# %%
assert means.loc["absence_rate_90d", "left"] > means.loc["absence_rate_90d", "stayed"]
assert means.loc["term_mean_score", "left"] < means.loc["term_mean_score", "stayed"]

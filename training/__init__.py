"""Training sets, LightGBM, calibration, evaluation, fairness audit and the MLflow registry.

Where things are:

- `spec`: model specifications (models/*.yaml), validated with pydantic.
- `dataset`, `split`: from a student-level table to indicators, and the rolling-origin
  temporal split (the label-window gap); `generic`: the default spec fitted to any table.
- `candidates`: the spec's candidates and how each fits; `fit`: selection on validation,
  the test evaluation; `promotion`: the honest winner becomes champion; `tracking`: MLflow.
- `model`: LightGBM early-stopped on one slice, calibrated on another;
  `linear`: the logistic regression as plain numbers; `estimator`: both behind one
  interface; `dask_train`: LightGBM on a Dask cluster.
- `baselines`: the ministry rule and the ABC flags.
- `metrics` (with the tie rule), `tiers` (the tier rule), `explain` (the one explainer
  and describer), `fairness`, `evaluation`: what the report shows.
- `plots`, `report` (+ templates/report.html.j2): the charts and the HTML report.
- `registry`, `pyfunc_model`, `pyfunc_entry`: MLflow (model `dropout-risk`, alias `champion`).
- `scorer.RiskScorer`: the one way anything scores with a trained model.
- `pipeline`: `train_from_data`, `train_from_table`, `train_from_frame`, `evaluate_version`.
- `synthetic`: a table with a known signal for tests and benchmarks.
"""

import os

# LightGBM's (and scikit-learn's) OpenMP threads sleep while they wait instead of spinning.
# On a shared 2-core machine a spinning thread burns the core its partner needs: one fit of
# 300 rounds on 200k rows took 45.6 s CPU / 102.8 s wall spinning against 4.6 s / 9.7 s
# passive (load average 11; BENCHMARKS.md "Training time with all candidates"). Read once,
# when the OpenMP runtime loads, so it is set before anything imports lightgbm or sklearn;
# a value already in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

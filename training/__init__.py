"""Training sets, LightGBM, calibration, evaluation, fairness audit and the MLflow registry.

Where things are:

- `spec`: model specifications (models/*.yaml), validated with pydantic.
- `dataset`, `split`: from a student-level table to indicators, and the temporal split.
- `model`: LightGBM early-stopped and calibrated on the validation snapshot;
  `dask_train`: the same on a Dask cluster.
- `baselines`: the ministry rule, the ABC flags and the logistic regression.
- `metrics` (with the tie rule), `fairness`, `evaluation`: what the report shows.
- `plots`, `report` (+ templates/report.html.j2): the charts and the HTML report.
- `registry`, `pyfunc_model`, `pyfunc_entry`: MLflow (model `dropout-risk`, alias `champion`).
- `scorer.RiskScorer`: the one way anything scores with a trained model.
- `pipeline`: `train_from_data`, `train_from_table`, `evaluate_version`, `compare`.
- `synthetic`: a table with a known signal for tests and benchmarks.
"""

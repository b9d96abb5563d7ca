"""Training sets, LightGBM, calibration, evaluation, fairness audit and the MLflow registry."""

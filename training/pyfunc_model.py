"""The MLflow pyfunc wrapper: `predict` returns calibrated risks, exactly RiskScorer.predict.

So `mlflow models serve -m models:/dropout-risk@champion` answers with risks, not labels.
The wrapper holds no state of its own; the model is the plain files in `model_dir`.
"""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

from training.scorer import MODEL_DIR_ARTIFACT, RiskScorer


class DropoutRiskModel(mlflow.pyfunc.PythonModel):
    """Calibrated risk of leaving school within the horizon, one per input row."""

    def load_context(self, context: Any) -> None:
        self.scorer = RiskScorer.from_dir(context.artifacts[MODEL_DIR_ARTIFACT])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> np.ndarray:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.scorer.predict(model_input)

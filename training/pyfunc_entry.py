"""MLflow "models from code" entry: logged as the model's code, so no pickle is stored.

MLflow runs this file when it loads the model; the model itself is the plain files
in the `model_dir` artifact. Not imported by the project.
"""

from mlflow.models import set_model

from training.pyfunc_model import DropoutRiskModel

set_model(DropoutRiskModel())

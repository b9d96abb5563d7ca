"""The MLflow side: experiment, registered model `dropout-risk`, alias `champion`.

MLflow 3 conventions: versions carry aliases and tags, never stages. With the default
SQLite store, runs write their artifacts under the home folder's `mlartifacts/`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from training.errors import RegistryError

MODEL_NAME = "dropout-risk"
CHAMPION = "champion"
EXPERIMENT = "dropout-risk"


_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextlib.contextmanager
def tracking(tracking_uri: str) -> Iterator[None]:
    """Point MLflow's fluent API (runs, log_model) at a store for a block, then put it back.

    `mlflow.set_tracking_uri` also writes MLFLOW_TRACKING_URI into the process environment,
    so left in place it would send a notebook's next run, under another home folder, to
    this store.
    """
    import mlflow

    saved = {name: os.environ.get(name) for name in _URI_VARIABLES}
    previous = mlflow.get_tracking_uri() if saved["MLFLOW_TRACKING_URI"] else None
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)
        mlflow.set_registry_uri(None)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def client(tracking_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def ensure_experiment(tracking_uri: str, artifact_dir: Path | None, name: str = EXPERIMENT) -> str:
    """The experiment's id, creating it (with artifacts under `artifact_dir`) when missing."""
    mlflow_client = client(tracking_uri)
    found = mlflow_client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if artifact_dir is not None and tracking_uri.startswith(("sqlite:", "file:")):
        Path(artifact_dir).mkdir(parents=True, exist_ok=True)
        location = Path(artifact_dir).resolve().as_uri()
    return mlflow_client.create_experiment(name, artifact_location=location)


def champion_version(
    tracking_uri: str, name: str = MODEL_NAME, alias: str = CHAMPION
) -> str | None:
    """The version carrying the alias, or None when there is none (or no model yet).

    Any other registry error (an unreadable store, a broken connection) is raised as a
    RegistryError: it must never read as "no champion yet", which would promote anything.
    """
    try:
        return str(client(tracking_uri).get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        if _absent(exc):
            return None
        raise RegistryError(
            f"cannot read the {alias!r} alias of model {name!r} from {tracking_uri}: {exc.message}"
        ) from None


def _absent(exc: MlflowException) -> bool:
    """True when MLflow says the model or the alias does not exist (nothing else)."""
    if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
        return True
    return (
        exc.error_code == "INVALID_PARAMETER_VALUE"
        and "alias" in exc.message
        and ("not found" in exc.message)
    )


def latest_version(tracking_uri: str, name: str = MODEL_NAME) -> str | None:
    try:
        versions = client(tracking_uri).search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None
    return max((str(v.version) for v in versions), key=int, default=None)


def run_of(version: str, tracking_uri: str, name: str = MODEL_NAME) -> str:
    """The run id that produced a version; RegistryError if the version does not exist."""
    try:
        mv = client(tracking_uri).get_model_version(name, str(version))
    except MlflowException:
        known = latest_version(tracking_uri, name)
        hint = f"the latest is {known}" if known else "none is registered yet; run `train` first"
        raise RegistryError(f"model {name!r} has no version {version!r} ({hint})") from None
    if not mv.run_id:
        raise RegistryError(f"version {version} of {name!r} has no training run")
    return mv.run_id


def promote(
    version: str,
    tracking_uri: str,
    name: str = MODEL_NAME,
    alias: str = CHAMPION,
    reason: str = "",
) -> None:
    """Point the alias at a version and note why on the version's tags."""
    mlflow_client = client(tracking_uri)
    mlflow_client.set_registered_model_alias(name, alias, str(version))
    mlflow_client.set_model_version_tag(name, str(version), "promoted", "true")
    if reason:
        mlflow_client.set_model_version_tag(name, str(version), "promotion_reason", reason[:5000])


def model_uri(model: str, name: str = MODEL_NAME) -> str:
    """A URI from what a person types: "champion" (or another alias), a version number, a
    models:/ or runs:/ URI, or a model folder."""
    if model.isdigit():
        return f"models:/{name}/{model}"
    if model.startswith(("models:/", "runs:/")) or Path(model).exists():
        return model
    return f"models:/{name}@{model}"


_MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))$")


def resolve_version(model_uri: str, tracking_uri: str | None) -> str | None:
    """The version number a models:/ URI points at (None for other URIs)."""
    match = _MODELS_URI.match(model_uri)
    if not match:
        return None
    if match["version"]:
        return match["version"]
    if tracking_uri is None:
        from mlflow import get_tracking_uri

        tracking_uri = get_tracking_uri()
    try:
        found = client(tracking_uri).get_model_version_by_alias(match["name"], match["alias"])
        return str(found.version)
    except MlflowException:
        raise RegistryError(
            f"model {match['name']!r} has no version with alias {match['alias']!r} "
            "(train with --promote first)"
        ) from None


def download_model(
    model_uri: str, tracking_uri: str | None, dst: Path | None = None
) -> tuple[Path, str | None]:
    """Copy a logged model's files locally; returns the folder and the version it is."""
    import mlflow.artifacts

    version = resolve_version(model_uri, tracking_uri)
    artifact_uri = model_uri
    try:
        if version is not None:
            # The version's own artifact location, so no global registry URI is needed.
            name = _MODELS_URI.match(model_uri)["name"]  # type: ignore[index]
            artifact_uri = client(tracking_uri or _default_uri()).get_model_version_download_uri(
                name, version
            )
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=artifact_uri,
            tracking_uri=tracking_uri,
            dst_path=str(dst) if dst else None,
        )
    except MlflowException as exc:
        raise RegistryError(f"cannot load model {model_uri}: {exc.message}") from None
    return Path(local), version


def _default_uri() -> str:
    from mlflow import get_tracking_uri

    return get_tracking_uri()

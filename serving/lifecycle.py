"""The model in service: loaded once, cached on disk, swapped when the champion alias moves.

Requests take `lifecycle.current` once and use that object to the end, so a swap
(one reference assignment) never fails a request in flight: the old model stays
alive until its last request lets go of it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from features.errors import UserError

if TYPE_CHECKING:
    from training.scorer import RiskScorer

log = logging.getLogger("serving.lifecycle")
CURRENT_FILE = "CURRENT"


class ModelUnavailable(UserError):
    """Neither the registry nor the local cache can give a model to serve."""


@dataclass(frozen=True)
class ServedModel:
    """A loaded scorer and what the hot path needs to feed it a matrix without pandas."""

    scorer: RiskScorer
    version: str
    source: str
    """registry, cache or path."""
    loaded_at: dt.datetime
    positions: dict[str, int] = field(default_factory=dict)
    levels: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def wrap(cls, scorer: RiskScorer, version: str, source: str) -> ServedModel:
        return cls(
            scorer=scorer,
            version=str(version),
            source=source,
            loaded_at=dt.datetime.now(dt.UTC),
            positions={name: j for j, name in enumerate(scorer.features)},
            levels={k: {v: i for i, v in enumerate(vs)} for k, vs in scorer.categorical.items()},
        )


def _registry_defaults() -> None:
    """A dead tracking server should fail fast, not retry for minutes, in the serving process."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")


class ModelLifecycle:
    """Loads the champion, caches it locally, and swaps in a new one when the alias moves."""

    def __init__(
        self,
        tracking_uri: str,
        cache_dir: Path,
        model_name: str = "dropout-risk",
        alias: str = "champion",
        poll_seconds: float = 30.0,
        on_swap: Callable[[ServedModel], None] | None = None,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.cache_dir = Path(cache_dir)
        self.model_name = model_name
        self.alias = alias
        self.poll_seconds = poll_seconds
        self.on_swap = on_swap
        self._current: ServedModel | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> ServedModel:
        """The model serving now; raise if start() has not loaded one."""
        if self._current is None:
            raise ModelUnavailable("no model is loaded")
        return self._current

    @property
    def loaded(self) -> bool:
        """Whether a model is in service."""
        return self._current is not None

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_name}@{self.alias}"

    # -- loading --------------------------------------------------------------------------------

    def start(self, poll: bool = True) -> ServedModel:
        """Load the champion (or the cached model when the registry fails) and start polling."""
        _registry_defaults()
        try:
            served = self._load_from_registry()
        except Exception as exc:  # registry down, no champion, broken artifact: try the cache
            cached = self.load_cached()
            if cached is None:
                raise ModelUnavailable(
                    f"cannot load {self.model_uri} from {self.tracking_uri} ({exc}) and no model "
                    f"is cached in {self.cache_dir}; train and promote a model first"
                ) from None
            log.warning(
                "registry unavailable, serving the cached model",
                extra={"model_version": cached.version, "reason": type(exc).__name__},
            )
            served = cached
        self._swap(served)
        if poll and self.poll_seconds > 0:
            self._thread = threading.Thread(target=self._poll, name="champion-poll", daemon=True)
            self._thread.start()
        return served

    def _load_from_registry(self, version: str | None = None) -> ServedModel:
        from training.registry import download_model, resolve_version
        from training.scorer import RiskScorer

        version = version or resolve_version(self.model_uri, self.tracking_uri)
        if version is None:
            raise ModelUnavailable(f"{self.model_uri} names no version")
        with tempfile.TemporaryDirectory(prefix="dropout-risk-model-") as tmp:
            # Download into our own temporary folder so a swap leaves nothing behind.
            uri = f"models:/{self.model_name}/{version}"
            local, _ = download_model(uri, self.tracking_uri, dst=Path(tmp))
            scorer = RiskScorer.from_dir(local, model_version=version)
            self._cache(scorer, version)
        return ServedModel.wrap(scorer, version, "registry")

    def _cache(self, scorer: RiskScorer, version: str) -> None:
        """Keep the served model on disk so a restart without the registry can still serve."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        target = self.cache_dir / f"v{version}"
        if not target.exists():
            staging = Path(tempfile.mkdtemp(dir=self.cache_dir, prefix=".staging-"))
            scorer.save(staging)
            try:
                staging.rename(target)
            except OSError:  # another worker cached the same version first
                shutil.rmtree(staging, ignore_errors=True)
        pointer = self.cache_dir / f".{CURRENT_FILE}.{os.getpid()}"
        pointer.write_text(f"v{version}\n")
        os.replace(pointer, self.cache_dir / CURRENT_FILE)

    def load_cached(self) -> ServedModel | None:
        """The model the cache says was served last, or None."""
        from training.scorer import RiskScorer

        pointer = self.cache_dir / CURRENT_FILE
        if not pointer.is_file():
            return None
        folder = self.cache_dir / pointer.read_text().strip()
        try:
            scorer = RiskScorer.from_dir(folder)
        except Exception:  # a damaged cache is the same as none
            return None
        return ServedModel.wrap(scorer, str(scorer.model_version or folder.name[1:]), "cache")

    def use(self, scorer: RiskScorer, version: str, source: str = "path") -> ServedModel:
        """Serve a scorer loaded elsewhere (a model folder given on the command line, tests)."""
        served = ServedModel.wrap(scorer, version, source)
        self._swap(served)
        return served

    # -- swapping ----------------------------------------------------------------------------------

    def _swap(self, served: ServedModel) -> None:
        self._current = served  # one reference assignment: atomic for readers
        log.info(
            "model in service", extra={"model_version": served.version, "source": served.source}
        )
        if self.on_swap is not None:
            self.on_swap(served)

    def check(self) -> bool:
        """Load the alias's version if it moved; True when a new model was swapped in."""
        from training.registry import champion_version

        _registry_defaults()
        with self._lock:  # the poller and the reload endpoint must not load twice at once
            version = champion_version(self.tracking_uri, self.model_name, self.alias)
            if version is None or (self._current and str(version) == self._current.version):
                return False
            self._swap(self._load_from_registry(str(version)))
            return True

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.check()
            except Exception as exc:  # keep serving the current model; try again next time
                log.warning("champion poll failed", extra={"reason": type(exc).__name__})

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

"""A training set whose rows stay on the Dask workers, as the training code sees it.

`ClusterMatrix` stands where the local path holds the float matrix `x`: its rows are the
pieces' rows in order (snapshot after snapshot, piece after piece), each piece encoded on
its worker. The client holds only the narrow frame (ids, snapshot, label, place) that
splits, selection and the environment model read, in the same row order. `x[mask]` is a
`ClusterRows`: what is done to those rows (scoring, LightGBM's fit, a sample for the
logistic regression, the holdout's whole rows) runs on the workers, and only its
result, one number a row or a bounded sample, comes back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from training.dataset import encode

# The logistic regression is fitted on at most this many training rows, drawn with a seed:
# a few dozen coefficients need no more, and the client holds rows x indicators floats.
LINEAR_SAMPLE = 200_000


@dataclass
class ClusterMatrix:
    """The encoded rows of the pieces (futures on the workers), in the narrow frame's order."""

    client: Any
    pieces: list[Any]  # futures of the labelled frames
    encoded: list[Any]  # futures of their float matrices, `features` order
    lengths: np.ndarray
    columns: list[str]

    def __getitem__(self, mask: np.ndarray) -> ClusterRows:
        return ClusterRows(self, np.asarray(mask, dtype=bool))

    def __len__(self) -> int:
        return int(self.lengths.sum())

    def split(self, mask: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(piece, its rows' mask) for each piece holding some of `mask`'s rows."""
        parts = np.split(mask, np.cumsum(self.lengths)[:-1])
        return [(i, m) for i, m in enumerate(parts) if m.any()]

    def fingerprint(self) -> str:
        """`training.dataset.fingerprint` of the stacked pieces, hashed on the workers."""
        digest = hashlib.sha256()
        digest.update(",".join(map(str, self.columns)).encode())
        for hashed in self.client.gather(self.client.map(_row_hashes, self.pieces)):
            digest.update(hashed.tobytes())
        return digest.hexdigest()[:16]


@dataclass
class ClusterRows:
    """Some rows of a ClusterMatrix (a boolean mask over all its rows)."""

    matrix: ClusterMatrix
    mask: np.ndarray

    def __len__(self) -> int:
        return int(self.mask.sum())

    def parts(self) -> list[tuple[Any, int]]:
        """Futures of the selected rows' matrices, one per piece holding any, and their sizes."""
        m = self.matrix
        return [
            (m.client.submit(_take, m.encoded[i], rows, pure=False), int(rows.sum()))
            for i, rows in m.split(self.mask)
        ]

    def apply(self, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """`fn` of the selected rows' matrix, computed piece by piece on the workers."""
        m = self.matrix
        shared = m.client.scatter(fn, broadcast=False)
        futures = [
            m.client.submit(_apply, m.encoded[i], rows, shared, pure=False)
            for i, rows in m.split(self.mask)
        ]
        out = m.client.gather(futures)
        return np.concatenate(out) if out else np.zeros(0)

    def sample(self, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """A seeded sample of at most `size` of these rows: (their matrix, their positions)."""
        chosen = np.flatnonzero(self.mask)
        if len(chosen) > size:
            chosen = np.sort(np.random.default_rng(seed).choice(chosen, size, replace=False))
        picked = np.zeros_like(self.mask)
        picked[chosen] = True
        m = self.matrix
        blocks = m.client.gather([f for f, _ in ClusterRows(m, picked).parts()])
        return np.vstack(blocks), chosen

    def frame(self, columns: list[str]) -> pd.DataFrame:
        """The selected rows' `columns`, gathered, indexed by their row positions."""
        m = self.matrix
        futures = [
            m.client.submit(_rows, m.pieces[i], rows, columns, pure=False)
            for i, rows in m.split(self.mask)
        ]
        out = pd.concat(m.client.gather(futures), ignore_index=True)
        out.index = np.flatnonzero(self.mask)
        return out


# What the training code calls `x`: the local float matrix, or one held by the workers.
Matrix = np.ndarray | ClusterMatrix


def on_rows(x: Any, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """`fn(x)` for a local matrix, or computed on the workers for ClusterRows."""
    return x.apply(fn) if isinstance(x, ClusterRows) else fn(x)


def linear_rows(
    x: Any, rows: np.ndarray, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The logistic regression's training matrix and labels: all `rows` locally, a seeded
    sample of at most LINEAR_SAMPLE of them from the workers."""
    if not isinstance(x, ClusterMatrix):
        return x[rows], y[rows]
    matrix, chosen = x[rows].sample(LINEAR_SAMPLE, seed)
    return matrix, y[chosen]


def holdout_rows(frame: pd.DataFrame, x: Any, mask: np.ndarray, drop: tuple) -> pd.DataFrame:
    """Every column of the `mask` rows but `drop`: from `frame`, or gathered from the workers."""
    columns = x.columns if isinstance(x, ClusterMatrix) else list(frame.columns)
    keep = [c for c in columns if c not in drop]
    if isinstance(x, ClusterMatrix):
        return x[mask].frame(keep)
    return frame.loc[mask, keep].copy()


def _take(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return matrix[rows]


def _apply(matrix: np.ndarray, rows: np.ndarray, fn: Callable) -> np.ndarray:
    return np.asarray(fn(matrix[rows]))


def _rows(piece: pd.DataFrame, rows: np.ndarray, columns: list[str]) -> pd.DataFrame:
    return piece.loc[rows, columns]


def _row_hashes(piece: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(piece, index=False).to_numpy()


def encode_pieces(
    client: Any, pieces: list[Any], features: list[str], categorical: dict[str, list[str]]
) -> list[Any]:
    """Futures of each piece's float matrix, encoded (and kept) on its worker."""
    return client.map(encode, pieces, features=features, categorical=categorical, pure=False)

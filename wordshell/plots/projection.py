"""2-D projections of word vectors: PCA (numpy SVD) and t-SNE (scikit-learn, optional).

Both are deterministic: PCA fixes the sign of each axis (the coordinate with the
largest magnitude is positive), t-SNE is seeded. Rows in, rows out:

    X (n, D) float64  ->  coords (n, 2) float64, axis labels, a note for people

>>> import numpy as np
>>> p = pca(np.array([[-2., 0, 0], [2, 0, 0], [0, 1, 0], [0, -1, 0]]))
>>> p.coords.shape, p.axes
((4, 2), ('PC1 (80%)', 'PC2 (20%)'))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wordshell.errors import UsageError, WordshellError

METHODS = ("pca", "tsne")


@dataclass
class Projection:
    coords: np.ndarray          # (n, 2)
    axes: tuple[str, str]       # axis labels
    note: str                   # one line: what was done, how much it explains


def fix_signs(coords: np.ndarray) -> np.ndarray:
    """Flip each column so that its largest-|value| entry is positive (SVD signs are arbitrary)."""
    out = coords.copy()
    for j in range(out.shape[1]):
        col = out[:, j]
        if col.size and col[np.argmax(np.abs(col))] < 0:
            out[:, j] = -col
    return out


def pca(X: np.ndarray) -> Projection:
    """Principal components by SVD of the centred rows; exactly 2 columns (zeros if rank < 2)."""
    X = np.asarray(X, dtype=np.float64)
    assert X.ndim == 2 and X.shape[0] >= 1, X.shape
    Xc = X - X.mean(axis=0)                                # (n, D)
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)      # S (k,), Vt (k, D), k = min(n, D)
    coords = np.zeros((X.shape[0], 2))
    k = min(2, Vt.shape[0])
    coords[:, :k] = Xc @ Vt[:k].T                           # (n, k)
    # a component with (numerically) no variance is noise of the SVD: make it exactly 0
    total = float(np.sum(S ** 2))
    ratios = [float(S[i] ** 2 / total) if i < len(S) and total > 0 else 0.0 for i in range(2)]
    for j in range(2):
        if ratios[j] < 1e-12:
            coords[:, j] = 0.0
    coords = fix_signs(coords)
    axes = (f"PC1 ({100 * ratios[0]:.0f}%)", f"PC2 ({100 * ratios[1]:.0f}%)")
    note = (f"PCA: the two axes explain {100 * ratios[0]:.0f}% + {100 * ratios[1]:.0f}% "
            f"of the variance of these {X.shape[0]} vectors")
    return Projection(coords, axes, note)


def default_perplexity(n: int) -> float:
    """scikit-learn needs perplexity < n; 30 is its default for big sets."""
    return float(max(1.0, min(30.0, (n - 1) / 3)))


def tsne(X: np.ndarray, seed: int = 0, perplexity: float | None = None) -> Projection:
    """t-SNE (scikit-learn), seeded; initialised from PCA so that repeated runs agree."""
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise WordshellError("t-SNE needs scikit-learn: pip install 'wordshell[tsne]' "
                             "(or use --method pca)") from None
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n < 4:
        raise UsageError(f"t-SNE needs at least 4 words (got {n})", "use --method pca")
    p = default_perplexity(n) if perplexity is None else float(perplexity)
    if not 0 < p < n:
        raise UsageError(f"--perplexity must be between 0 and the number of words ({n}), got {p:g}")
    # exact gradients for small maps: as fast there, and free of Barnes-Hut's OpenMP threads,
    # which stall for seconds on a busy machine (measured: 0.07 s vs 0.3-11 s for 8 words)
    model = TSNE(n_components=2, perplexity=p, init="pca", learning_rate="auto", random_state=seed,
                 method="exact" if n < 150 else "barnes_hut", n_jobs=1)
    coords = fix_signs(model.fit_transform(X))
    return Projection(coords, ("t-SNE 1", "t-SNE 2"),
                      f"t-SNE (perplexity {p:g}, seed {seed}): distances between clusters mean little")


def project(X: np.ndarray, method: str = "pca", seed: int = 0, perplexity: float | None = None) -> Projection:
    if method == "pca":
        return pca(X)
    if method == "tsne":
        return tsne(X, seed, perplexity)
    raise UsageError(f"unknown projection method {method!r}", "use pca or tsne")


def unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero): the geometry cosine similarity sees."""
    X = np.asarray(X, dtype=np.float64)
    n = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, n, out=np.zeros_like(X), where=n > 0)

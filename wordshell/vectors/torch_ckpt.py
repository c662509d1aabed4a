"""Checkpoints of the torch embedding engine: the tables and the run state in ONE safetensors file.

    <model>/ckpt/last.safetensors   w_in, w_out (+ ngrams) tensors; the JSON state {"run": RunState,
                                    "meta": model.json so far, "vocab": {size, sha256}} in the file's
                                    metadata (fit/weights.save_tensors: one atomic write)
    <model>/ckpt/state.json         a readable copy of the JSON (store.unfinished and `models info` read it)

Randomness needs no saving: every chunk draws from a generator seeded by (seed, rank, epoch, chunk)
(torch_batches.seed_for), so the state at a chunk boundary is the tables plus a few numbers.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wordshell.atomic import atomic_write_json
from wordshell.errors import CorruptFile


@dataclass
class RunState:
    epoch: int = 0              # epochs completed
    chunk: int = 0              # chunks done in the current epoch
    steps: int = 0              # chunks per epoch of the world that saved this
    step: int = 0               # chunks done over the whole run
    world: int = 1
    elapsed: float = 0.0        # training seconds over all sessions
    epoch_elapsed: float = 0.0  # seconds spent in the current epoch
    loss: float = 0.0           # the current epoch's loss so far, summed over ranks (float64)
    examples: int = 0           # the current epoch's training examples so far, all ranks
    history: list = field(default_factory=list)
    stopped: str = ""           # epochs | cancelled


def vocab_digest(words: list[str]) -> str:
    """sha256 of the vocabulary in row order: a resumed run must train the same rows."""
    return hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()


def save(ckpt_dir: Path, tables, state: RunState, meta: dict, words: list[str]) -> None:
    from wordshell.fit.weights import save_tensors

    ckpt_dir.mkdir(parents=True, exist_ok=True)
    doc = {"run": asdict(state), "meta": meta, "vocab": {"size": len(words), "sha256": vocab_digest(words)}}
    save_tensors(ckpt_dir / "last.safetensors", tables.tensors(), doc)
    atomic_write_json(ckpt_dir / "state.json", doc)


def load(ckpt_dir: Path, device) -> tuple[dict, dict]:
    """(tensors on `device`, the JSON document) of ckpt_dir/last.safetensors."""
    from wordshell.fit.weights import load_tensors

    tensors, doc = load_tensors(ckpt_dir / "last.safetensors", device="cpu")
    if "w_in" not in tensors or "run" not in doc:
        raise CorruptFile(f"{ckpt_dir / 'last.safetensors'} is not a checkpoint of the torch embedding engine")
    return {k: v.to(device) for k, v in tensors.items()}, doc


def read_doc(ckpt_dir: Path) -> dict:
    """The JSON document of ckpt_dir/last.safetensors alone (its header; no tensors read)."""
    from wordshell.fit.weights import read_meta

    doc = read_meta(ckpt_dir / "last.safetensors")
    if "run" not in doc or "meta" not in doc:
        raise CorruptFile(f"{ckpt_dir / 'last.safetensors'} is not a checkpoint of the torch embedding engine")
    return doc


def restore(tables, tensors: dict, doc: dict, words: list[str]) -> RunState:
    """Copy a checkpoint's tensors into fresh `tables` (shapes checked) and return its RunState."""
    vocab = doc.get("vocab") or {}
    if vocab.get("sha256") != vocab_digest(words):
        raise CorruptFile("the checkpoint was trained on another vocabulary",
                          "the corpus or --min-count/--max-vocab changed; start over with --force")
    for k, t in tables.tensors().items():
        if k not in tensors or tuple(tensors[k].shape) != tuple(t.shape):
            raise CorruptFile(f"checkpoint table {k} does not fit this run",
                              "the model settings differ from the checkpoint's; start over with --force")
        t.copy_(tensors[k])
    try:
        return RunState(**doc["run"])
    except TypeError as e:
        raise CorruptFile(f"cannot resume: {e}") from None

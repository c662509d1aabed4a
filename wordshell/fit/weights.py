"""Model weights without pickle: tensors in a safetensors file, JSON metadata in its header.

    >>> save_weights(model, "w.safetensors", meta={"kind": "lstm-lm"})   # doctest: +SKIP
    >>> state_dict, meta = load_weights("w.safetensors")                  # doctest: +SKIP

Tied weights (one tensor under two names) are stored once; the alias map rides in the
metadata and `load_tensors` restores both names. Reading only the metadata (`read_meta`)
reads the header, not the tensors. Writes are atomic (store.atomic_write).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

from wordshell.errors import CorruptFile, NotFound
from wordshell.atomic import atomic_write, json_default


def save_tensors(path: str | os.PathLike, tensors: dict, meta: dict | None = None) -> None:
    """Atomically write `tensors` (name -> torch.Tensor) with JSON-able `meta` to a safetensors file.

    Tensors that share storage under several names are written once (aliases in the metadata).
    """
    from safetensors.torch import save

    unique: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple, str] = {}
    for name, t in tensors.items():
        t = t.detach()
        key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.dtype) \
            if t.numel() else None
        if key is not None and key in seen:
            aliases[name] = seen[key]
            continue
        if key is not None:
            seen[key] = name
        unique[name] = t.to("cpu").contiguous().clone() if not t.is_contiguous() or t.device.type != "cpu" else t
    header = {"json": json.dumps(meta or {}, ensure_ascii=False, default=json_default)}
    if aliases:
        header["aliases"] = json.dumps(aliases)
    atomic_write(path, save(unique, metadata=header))


def read_meta(path: str | os.PathLike) -> dict:
    """Only the JSON metadata of a safetensors file (reads the header, not the tensors)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CorruptFile(f"{path} is not a safetensors file (truncated)")
            (n,) = struct.unpack("<Q", head)
            if n > 100_000_000:
                raise CorruptFile(f"{path} is not a safetensors file")
            header = json.loads(f.read(n).decode("utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no such checkpoint: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorruptFile(f"{path} is not a safetensors file ({e})") from None
    raw = (header.get("__metadata__") or {}).get("json", "{}")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise CorruptFile(f"{path}: bad metadata ({e})") from None


def load_tensors(path: str | os.PathLike, device: str = "cpu") -> tuple[dict, dict]:
    """(tensors, meta) from a file written by `save_tensors`; aliases restored."""
    from safetensors.torch import load_file

    return _load(path, lambda p: load_file(p, device=device))


def load_arrays(path: str | os.PathLike) -> tuple[dict, dict]:
    """(numpy arrays, meta) from a file written by `save_tensors`, without importing torch."""
    from safetensors.numpy import load_file

    return _load(path, load_file)


def _load(path: str | os.PathLike, load_file) -> tuple[dict, dict]:
    from safetensors import SafetensorError

    path = Path(path)
    if not path.is_file():
        raise NotFound(f"no such checkpoint: {path}")
    meta = read_meta(path)
    try:
        out = load_file(str(path))
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n).decode("utf-8"))
    except (SafetensorError, OSError, ValueError, TypeError) as e:
        raise CorruptFile(f"{path} is corrupt ({e})") from None
    for name, target in json.loads((header.get("__metadata__") or {}).get("aliases", "{}")).items():
        out[name] = out[target]
    return out, meta


# -- model weights ----------------------------------------------------------------

def save_weights(model, path: str | os.PathLike, meta: dict | None = None) -> None:
    save_tensors(path, dict(unwrap(model).state_dict()), meta)


def load_weights(path: str | os.PathLike) -> tuple[dict, dict]:
    return load_tensors(path)


def unwrap(model):
    """The plain module inside DistributedDataParallel / torch.compile wrappers."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if inner is None:
            return model
        model = inner

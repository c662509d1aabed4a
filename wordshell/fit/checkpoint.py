"""Resumable training checkpoints without pickle: tensors in safetensors, everything else in JSON.

    <model>/ckpt/last.safetensors   model.*, optim.*, rng.*, carry.* tensors; the JSON training
                                    state rides in the file's own metadata (key "state"), so a
                                    checkpoint is ONE atomic file: a kill at any moment leaves the
                                    previous one whole, and weights never disagree with their state
    <model>/ckpt/state.json         a readable copy of that state (step, epoch, best, history, ...)
    <model>/ckpt/best.safetensors   model weights at the best validation metric so far
    <model>/weights.safetensors     the final model (written by the command, before model.json)

The tensor files themselves are read and written by weights.py.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from wordshell.errors import CorruptFile, NotFound
from wordshell.atomic import atomic_write_json
from wordshell.fit.weights import load_tensors, read_meta, save_tensors, unwrap


# -- optimizer state ------------------------------------------------------------------

def optimizer_tensors(opt) -> tuple[dict, dict]:
    """optimizer.state_dict() split into tensors ("optim.<param>.<key>") and JSON (the rest)."""
    import torch

    sd = opt.state_dict()
    tensors, plain = {}, {}
    for idx, st in sd["state"].items():
        plain_st = {}
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                tensors[f"optim.{idx}.{k}"] = v
            else:
                plain_st[k] = v
        plain[str(idx)] = plain_st
    return tensors, {"state": plain, "param_groups": sd["param_groups"]}


def optimizer_load(opt, tensors: dict, plain: dict) -> None:
    state: dict[int, dict] = {int(i): dict(st) for i, st in plain["state"].items()}
    for name, t in tensors.items():
        if not name.startswith("optim."):
            continue
        _, idx, key = name.split(".", 2)
        state.setdefault(int(idx), {})[key] = t
    groups = []
    for g in plain["param_groups"]:
        g = dict(g)
        if isinstance(g.get("betas"), list):
            g["betas"] = tuple(g["betas"])
        groups.append(g)
    opt.load_state_dict({"state": state, "param_groups": groups})


# -- random number generators ------------------------------------------------------------

def rng_tensors(prefix: str = "rng") -> tuple[dict, dict]:
    """torch (CPU, CUDA) and numpy generator states as tensors; Python's `random` as JSON."""
    import numpy as np
    import torch

    tensors = {f"{prefix}.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"{prefix}.cuda.{i}"] = s
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    tensors[f"{prefix}.numpy"] = torch.from_numpy(np.asarray(keys, dtype=np.uint32).astype(np.int64))
    version, internal, gauss = random.getstate()
    plain = {"numpy": [kind, int(pos), int(has_gauss), float(cached)],
             "python": [version, list(internal), gauss]}
    return tensors, plain


def rng_restore(tensors: dict, plain: dict, prefix: str = "rng") -> None:
    import numpy as np
    import torch

    if f"{prefix}.torch" in tensors:
        torch.set_rng_state(tensors[f"{prefix}.torch"].to(torch.uint8).cpu())
    if torch.cuda.is_available():
        states = [tensors[k].cpu() for k in sorted(t for t in tensors if t.startswith(f"{prefix}.cuda."))]
        if states and len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(states)
    if f"{prefix}.numpy" in tensors and "numpy" in plain:
        kind, pos, has_gauss, cached = plain["numpy"]
        keys = tensors[f"{prefix}.numpy"].numpy().astype(np.uint32)
        np.random.set_state((kind, keys, pos, has_gauss, cached))
    if "python" in plain:
        version, internal, gauss = plain["python"]
        random.setstate((version, tuple(internal), gauss))


# -- nested state (e.g. an LSTM's carried (h, c)) --------------------------------------------

def flatten(obj, prefix: str) -> tuple[dict, Any]:
    """Nested tuples/lists/dicts of tensors -> ({prefix.i: tensor}, JSON skeleton)."""
    import torch

    tensors: dict = {}

    def walk(o):
        if o is None or isinstance(o, (bool, int, float, str)):
            return {"v": o}
        if isinstance(o, torch.Tensor):
            name = f"{prefix}.{len(tensors)}"
            tensors[name] = o.detach()
            return {"t": name}
        if isinstance(o, (tuple, list)):
            return {"tuple" if isinstance(o, tuple) else "list": [walk(x) for x in o]}
        if isinstance(o, dict):
            return {"dict": {str(k): walk(v) for k, v in o.items()}}
        raise TypeError(f"cannot checkpoint a {type(o).__name__} in the carried state")

    return tensors, walk(obj)


def unflatten(skeleton, tensors: dict, device=None):
    def walk(s):
        if "v" in s:
            return s["v"]
        if "t" in s:
            t = tensors[s["t"]]
            return t.to(device) if device is not None else t
        if "tuple" in s:
            return tuple(walk(x) for x in s["tuple"])
        if "list" in s:
            return [walk(x) for x in s["list"]]
        return {k: walk(v) for k, v in s["dict"].items()}

    return walk(skeleton) if skeleton is not None else None


# -- a whole training run (fit()'s last.safetensors) -----------------------------------

def save_run(path: Path, model, opt, state: dict, carry, dist) -> None:
    """Weights, optimizer, every rank's RNG and carried state, and `state` (JSON) in ONE atomic file.

    Collective under DDP: every rank calls it (to gather its RNG and carry); rank 0 writes.
    `state.json` beside it is a readable copy of the JSON part.
    """
    import time

    import torch

    from wordshell.fit import distributed

    tensors = {f"model.{k}": v for k, v in unwrap(model).state_dict().items()}
    opt_t, opt_plain = optimizer_tensors(opt)
    tensors.update(opt_t)
    rng_t, rng_plain = rng_tensors("rng")
    carry_t, carry_skel = flatten(carry, "carry")
    dev = next(model.parameters()).device
    for name, t in {"rng.torch": rng_t["rng.torch"], **carry_t}.items():
        parts = distributed.gather(t.to(dev) if dist.world > 1 else t, dist)
        for r, p in enumerate(parts):
            tensors[f"rank{r}.{name}"] = p.cpu()
    tensors.update({k: v for k, v in rng_t.items() if k != "rng.torch"})
    if not dist.main:
        return
    state = {**state, "optimizer": opt_plain, "rng": rng_plain, "carry": carry_skel, "world": dist.world,
             "saved": time.strftime("%Y-%m-%dT%H:%M:%S"), "torch": torch.__version__}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_tensors(path, tensors, state)
    atomic_write_json(path.parent / "state.json", state)


def restore_run(path: Path, model, opt, dist, device) -> tuple[dict, object]:
    """Load what `save_run` wrote into model and opt; restore this rank's RNG; return (state, carry)."""
    tensors, state = load_tensors(path)
    try:
        weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
        model.load_state_dict(weights)
        optimizer_load(opt, tensors, state["optimizer"])
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        raise CorruptFile(f"cannot resume from {path}: {str(e).splitlines()[0]}",
                          "the model or optimizer settings differ from the checkpoint's") from None
    carry = None
    if state.get("world", 1) == dist.world:  # another world size: fresh carried state, RNG as is
        mine = {k[len(f"rank{dist.rank}."):]: v for k, v in tensors.items() if k.startswith(f"rank{dist.rank}.")}
        rng_restore({"rng.torch": mine["rng.torch"], **{k: v for k, v in tensors.items() if k.startswith("rng.")}},
                    state.get("rng", {}) if dist.world == 1 else {})
        carry = unflatten(state.get("carry"), mine, device)
    return state, carry


def read_run_state(ckpt_dir: str | os.PathLike) -> dict:
    path = Path(ckpt_dir) / "last.safetensors"
    if not path.is_file():
        raise NotFound(f"no checkpoint in {ckpt_dir}")
    return read_meta(path)

"""Which engine trains word vectors: gensim (CPU threads) or torch (CUDA, several processes).

    auto    torch when a CUDA GPU is usable, or when the options ask for what only torch does
            (--device cuda, --nproc N, --resume); gensim otherwise, and always for --hs
    gensim  Word2Vec / FastText of gensim (vectors/train.py): HS or negative sampling, CPU threads
    torch   vectors/torch_train.py: negative sampling only (no hierarchical softmax), CPU or CUDA,
            --nproc N / torchrun, checkpoints and --resume

Deciding "auto" imports torch only on a machine with an NVIDIA driver (/proc/driver/nvidia, /dev/nvidia0,
...) or when torch is imported already: elsewhere torch's 1-2 s import buys nothing, the answer is gensim.

>>> choose("auto", hs=True, cuda=True)
'gensim'
>>> choose("auto", nproc=2, cuda=False), choose("auto", cuda=False)
('torch', 'gensim')
"""

from __future__ import annotations

import os

from wordshell.errors import UsageError

ENGINES = ("auto", "gensim", "torch")


def cuda_present() -> bool:
    """True if torch can use a CUDA GPU here (torch is imported only where a driver exists)."""
    import sys

    driver = ("/proc/driver/nvidia", "/dev/nvidia0", "/dev/nvidiactl", "/dev/dxg")   # /dev/dxg: WSL
    if "torch" not in sys.modules and not any(os.path.exists(p) for p in driver):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def choose(engine: str, *, hs: bool = False, negative: int = 5, device: str = "auto", nproc: int = 1,
           resume: bool = False, cuda: bool | None = None) -> str:
    """The engine that trains with these options; UsageError for a combination neither can do."""
    torch_only = [flag for flag, on in (("--device " + device, device != "auto" and device != "cpu"),
                                        (f"--nproc {nproc}", nproc > 1), ("--resume", resume)) if on]
    if engine == "auto":
        if hs:
            if torch_only:
                raise UsageError(f"--hs is gensim's, and {torch_only[0]} needs the torch engine",
                                 "the torch engine trains negative sampling (--negative N)")
            return "gensim"
        if torch_only:
            return "torch"
        return "torch" if (cuda if cuda is not None else cuda_present()) else "gensim"
    if engine == "gensim":
        if torch_only:
            raise UsageError(f"{torch_only[0]} needs --engine torch (gensim trains in threads of one process)")
        return "gensim"
    if engine == "torch":
        if hs:
            raise UsageError("--hs (hierarchical softmax) is gensim-only", "use --engine gensim, or --negative N")
        if negative < 1:
            raise UsageError("the torch engine trains negative sampling: --negative must be at least 1")
        return "torch"
    raise UsageError(f"unknown engine {engine!r}", "auto, gensim or torch")

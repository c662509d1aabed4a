"""word2vec.c's inner loops as Triton kernels, for CUDA: one program per example, Hogwild updates.

Why: the batched torch ops of torch_engine.py read every row of a batch before any update lands, so a
row hit n times in a batch gets n stale updates at once; past ~2-4k tokens a batch diverges on
WikiText-2 (docs/ARCHITECTURE.md). A GPU needs far more examples than that in flight to be fast.
These kernels do what word2vec.c's threads do: each program (one example) reads its rows, computes its
update and adds it at once with atomic adds, so an example sees every update that landed before it
ran; only the few thousand programs running at the same moment read each other's rows stale, as
word2vec.c's threads do. Loads bypass L1 (".cg") so a program reads what other SMs' atomics wrote.

    sg_neg(t, inputs, targets, noise, alpha)              skip-gram pairs; word2vec or fastText input rows
    cbow_neg(t, ctx, mask, centers, noise, alpha)         CBOW windows; word2vec or fastText input rows

Both return the loss summed in float64, like torch_engine.sg_step / cbow_step, and give the same
tables as those for a batch whose examples touch disjoint rows (tests/test_torch_fused.py runs the
kernels in Triton's interpreter on the CPU). Used by torch_loop on CUDA when Triton imports; if the
first launch fails to compile, the loop says so and falls back to the batched torch ops.
"""

from __future__ import annotations

def available() -> bool:
    try:
        import triton  # noqa: F401
    except ImportError:
        return False
    return True


def _kernels():
    from wordshell.vectors.torch_fused_kernels import cbow_kernel, sg_kernel

    return sg_kernel, cbow_kernel


def _common(t):
    import torch
    import triton

    dim = t.w_in.shape[1]
    sub = t.subword
    dummy = t.w_in.new_zeros(1) if not sub else None
    idx_dummy = torch.zeros(2, dtype=torch.int64, device=t.w_in.device) if not sub else None
    if sub and getattr(t, "_maxn", None) is None:
        t._maxn = int((t.sub_ptr[1:] - t.sub_ptr[:-1]).max())   # the most n-grams of any vocabulary word
    return dict(ngrams=t.ngrams if sub else dummy, sub_ptr=t.sub_ptr if sub else idx_dummy,
                sub_idx=t.sub_idx if sub else idx_dummy, D=dim, BLOCK=triton.next_power_of_2(dim),
                SUBWORD=bool(sub), MAXN=max(1, t._maxn) if sub else 1)


def sg_neg(t, inputs, targets, noise, alpha: float):
    """Skip-gram examples (P,), (P,), noise (P, K) through sg_kernel; the loss summed (float64, 0-d)."""
    import torch

    sg_kernel, _ = _kernels()
    c = _common(t)
    loss = torch.empty(len(inputs), dtype=torch.float32, device=inputs.device)
    sg_kernel[(len(inputs),)](t.w_in, t.w_out, c["ngrams"], c["sub_ptr"], c["sub_idx"], inputs.contiguous(),
                              targets.contiguous(), noise.contiguous(), loss, float(alpha), c["D"],
                              K=noise.shape[1], BLOCK=c["BLOCK"], SUBWORD=c["SUBWORD"], MAXN=c["MAXN"])
    _touch_sg(t, inputs, targets, noise)
    return loss.sum(dtype=torch.float64)


def cbow_neg(t, ctx, mask, centers, noise, alpha: float):
    """CBOW windows ctx/mask (B, 2W), centers (B,), noise (B, K) through cbow_kernel; the loss summed."""
    import torch

    _, cbow_kernel = _kernels()
    c = _common(t)
    loss = torch.empty(len(centers), dtype=torch.float32, device=centers.device)
    cbow_kernel[(len(centers),)](t.w_in, t.w_out, c["ngrams"], c["sub_ptr"], c["sub_idx"], ctx.contiguous(),
                                 mask.to(torch.int8).contiguous(), centers.contiguous(), noise.contiguous(), loss,
                                 float(alpha), c["D"], K=noise.shape[1], C=ctx.shape[1], BLOCK=c["BLOCK"],
                                 SUBWORD=c["SUBWORD"], MAXN=c["MAXN"])
    _touch_sg(t, ctx[mask], centers, noise)
    return loss.sum(dtype=torch.float64)


def _touch_sg(t, inputs, targets, noise) -> None:
    """Tell a DDP sync which rows changed (as torch_engine does)."""
    if t.touched is None:
        return
    import torch

    t.touch("w_out", torch.cat([targets.reshape(-1), noise.reshape(-1)]))
    t.touch("w_in", inputs)
    if t.subword:
        from wordshell.vectors.torch_engine import _subword_rows

        words = torch.unique(inputs)
        _, rows, _ = _subword_rows(t, words)
        t.touch("ngrams", rows)

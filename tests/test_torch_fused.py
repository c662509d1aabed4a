"""The Triton kernels of the CUDA path (torch_fused.py), run by Triton's interpreter on the CPU against
word2vec.c's loop written out in numpy (each update lands before the next read, as in word2vec.c).

Triton is not a dependency of wordshell (a CUDA install of torch brings it): without it these tests are
skipped; bench/device.sh runs them on the GPU machine, compiled for the GPU (TRITON_INTERPRET unset there).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")   # read when Triton is imported: before the import
pytest.importorskip("triton")

from wordshell.vectors import torch_engine as E  # noqa: E402
from wordshell.vectors import torch_fused as F  # noqa: E402

DEV = "cuda" if torch.cuda.is_available() else "cpu"
WORDS = ["apple", "apply", "ample", "maple", "pale", "leap", "plea", "peal", "lap", "pal", "alp", "ale"]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def word2vec_c(w_in, w_out, rows_of, example_inputs, target, noise, alpha, mean_over=None):
    """One example, word2vec.c's order: h from the input rows, then for the target and each noise word
    f, g, neu1e += g w_out[row], w_out[row] += g h (at once), then every input row += neu1e."""
    rows = [r for w in example_inputs for r in rows_of(w)]
    h = sum(w_in[r] for r in rows) / len(rows)
    neu1e = np.zeros_like(h)
    loss = 0.0
    for k, row in enumerate([target, *noise]):
        if k and row == target:
            continue
        label = 1.0 if k == 0 else 0.0
        f = h @ w_out[row]
        g = (label - sigmoid(f)) * alpha
        neu1e += g * w_out[row]
        w_out[row] += g * h
        loss -= np.log(sigmoid(f) if k == 0 else sigmoid(-f))
    for r in rows:
        w_in[r] += neu1e
    return loss


def setup(subword):
    sub = {"min_n": 2, "max_n": 4, "bucket": 50} if subword else None
    t = E.init_tables(len(WORDS), 6, seed=0, device="cpu", subword=sub, words=WORDS)
    t.w_out.copy_(torch.randn(len(WORDS), 6, generator=torch.Generator().manual_seed(1)) * 0.3)
    t.w_in.mul_(40)
    if subword:
        t.ngrams[:-1].mul_(40)
    ref = np.concatenate([t.w_in.double().numpy(), t.ngrams.double().numpy()]) if subword else t.w_in.double().numpy()
    v = len(WORDS)
    if subword:
        ptr, idx = t.sub_ptr.numpy(), t.sub_idx.numpy()
        rows_of = lambda w: [w] + [v + int(b) for b in idx[ptr[w]:ptr[w + 1]]]  # noqa: E731
    else:
        rows_of = lambda w: [w]  # noqa: E731
    on = E.Tables(*(x.to(DEV) if x is not None else None for x in (t.w_in, t.w_out, t.ngrams, t.sub_ptr, t.sub_idx)))
    return on, ref.copy(), t.w_out.double().numpy().copy(), rows_of


def check(on, ref_in, ref_out, subword):
    got_in = on.w_in.double().cpu().numpy()
    if subword:
        got_in = np.concatenate([got_in, on.ngrams.double().cpu().numpy()])
    np.testing.assert_allclose(got_in, ref_in, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(on.w_out.double().cpu().numpy(), ref_out, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("subword", [False, True], ids=["word2vec", "fasttext"])
def test_skipgram_kernel_is_word2vec_c_one_example_at_a_time(subword):
    on, ref_in, ref_out, rows_of = setup(subword)
    rng = np.random.default_rng(0)
    loss_got = loss_want = 0.0
    for _ in range(12):   # repeated noise rows and noise == target included: word2vec.c's handling of both
        i, tg = (int(x) for x in rng.integers(0, len(WORDS), 2))
        ns = rng.integers(0, len(WORDS), 4)
        loss_got += float(F.sg_neg(on, torch.tensor([i], device=DEV), torch.tensor([tg], device=DEV),
                                   torch.from_numpy(ns[None]).to(DEV), 0.05))
        loss_want += word2vec_c(ref_in, ref_out, rows_of, [i], tg, ns.tolist(), 0.05)
    check(on, ref_in, ref_out, subword)
    assert loss_got == pytest.approx(loss_want, rel=1e-5)


@pytest.mark.parametrize("subword", [False, True], ids=["word2vec", "fasttext"])
def test_cbow_kernel_is_word2vec_c(subword):
    on, ref_in, ref_out, rows_of = setup(subword)
    ctx = torch.tensor([[1, 2, 3, 4]])
    mask = torch.tensor([[True, False, True, True]])
    got = float(F.cbow_neg(on, ctx.to(DEV), mask.to(DEV), torch.tensor([7], device=DEV),
                           torch.tensor([[9, 10, 9]], device=DEV), 0.05))
    want = word2vec_c(ref_in, ref_out, rows_of, [1, 3, 4], 7, [9, 10, 9], 0.05)
    check(on, ref_in, ref_out, subword)
    assert got == pytest.approx(want, rel=1e-5)


def test_examples_on_disjoint_rows_equal_the_batched_torch_step():
    """With no row shared between examples, running them at once or one by one is the same."""
    on, _, _, _ = setup(False)
    batched = E.Tables(on.w_in.cpu().clone(), on.w_out.cpu().clone())
    inputs, targets = torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5])
    noise = torch.tensor([[6, 7], [8, 9], [10, 11]])
    a = F.sg_neg(on, inputs.to(DEV), targets.to(DEV), noise.to(DEV), 0.05)
    b = E.sg_step(batched, inputs, targets, noise, 0.05)
    assert float(a) == pytest.approx(float(b), rel=1e-6)
    torch.testing.assert_close(on.w_in.cpu(), batched.w_in)
    torch.testing.assert_close(on.w_out.cpu(), batched.w_out)


AOT = r"""
import sys
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from wordshell.vectors import torch_fused_kernels as K

subword = sys.argv[1] == "1"
common = {"w_in": "*fp32", "w_out": "*fp32", "ngrams": "*fp32", "sub_ptr": "*i64", "sub_idx": "*i64"}
tail = {"loss_out": "*fp32", "alpha": "fp32", "D": "i32", "K": "constexpr", "BLOCK": "constexpr",
        "SUBWORD": "constexpr", "MAXN": "constexpr"}
flags = {"K": 5, "BLOCK": 128, "SUBWORD": subword, "MAXN": 40}
sigs = {"sg_kernel": {**common, "inputs": "*i64", "targets": "*i64", "noise": "*i64", **tail},
        "cbow_kernel": {**common, "ctx": "*i64", "mask": "*i8", "centers": "*i64", "noise": "*i64", **tail,
                        "C": "constexpr"}}
for name, sig in sigs.items():
    fn = getattr(K, name)
    consts = {k: v for k, v in {**flags, "C": 10}.items() if k in fn.arg_names}
    src = ASTSource(fn=fn, signature={a: sig[a] for a in fn.arg_names}, constexprs=consts)
    c = triton.compile(src, target=GPUTarget("cuda", 90, 32))
    ptx = c.asm["ptx"]
    print(name, len(c.asm["cubin"]), "ld.global.cg" in ptx, ("atom.global" in ptx) or ("red.global" in ptx))
"""


@pytest.mark.parametrize("subword", [False, True], ids=["word2vec", "fasttext"])
def test_kernels_compile_for_hopper_without_a_gpu(subword):
    """Triton compiles the kernels to sm_90 (H100/H200) machine code here, GPU or not: a kernel that the
    interpreter runs but the compiler rejects fails now, not on the GPU machine. (A fresh process: this
    one runs Triton in interpreter mode.)"""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    p = subprocess.run([sys.executable, "-c", AOT, "1" if subword else "0"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    lines = [line.split() for line in p.stdout.splitlines()]
    assert [x[0] for x in lines] == ["sg_kernel", "cbow_kernel"]
    for _, cubin, cg, atomic in lines:
        assert int(cubin) > 1000 and cg == "True" and atomic == "True"   # loads bypass L1; adds are atomic

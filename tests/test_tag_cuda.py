"""The tagger on CUDA: training steps, the CRF and `tag` give what the CPU gives (runs where a GPU is)."""

from __future__ import annotations

import pytest
import torch

from tests.test_tag_cli import POS, SMALL, write

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_crf_on_cuda_equals_cpu():
    from wordshell.tag.crf import CRF, constraints

    tags = ["O", "B-X", "I-X", "E-X", "S-X"]
    crf = CRF(len(tags), *constraints(tags, "bioes"))
    torch.manual_seed(0)
    em = torch.randn(8, 6, len(tags))
    mask = torch.ones(8, 6, dtype=torch.bool)
    mask[4:, 3:] = False
    with torch.no_grad():
        cpu = crf.log_partition(em, mask), crf.decode(em, mask), crf.marginals(em, mask)
        crf.cuda()
        gpu = crf.log_partition(em.cuda(), mask.cuda()), crf.decode(em.cuda(), mask.cuda()), \
            crf.marginals(em.cuda(), mask.cuda())
    assert torch.allclose(cpu[0], gpu[0].cpu(), atol=1e-4)
    assert torch.equal(cpu[1], gpu[1].cpu())
    assert torch.allclose(cpu[2], gpu[2].cpu(), atol=1e-4)


def test_train_and_tag_on_cuda(ws, tmp_path):
    data = write(tmp_path / "pos.tsv", POS)
    r = ws("train", "tagger", "pos", "--data", data, "--epochs", "40", "--device", "cuda", *SMALL)
    assert r.code == 0, r
    assert ws("models", "info", "pos", "--format", "json").json[0]["training"]["device"].startswith("cuda")
    cpu = ws("tag", "--model", "pos", "--file", data, "--format", "conll").out
    gpu = ws("tag", "--model", "pos", "--file", data, "--format", "conll", "--device", "cuda").out
    assert cpu == gpu
    ev = ws("eval", "tagger", "--model", "pos", "--data", data, "--format", "json", "--device", "cuda").json[0]
    assert ev["accuracy"] == 1.0

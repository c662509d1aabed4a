"""model.SplitEmbedding: training with --vectors steps only the training data's word rows. The same model as
one table (an Adam step gives the same weights), merged back exactly; --vectors-dropout reads the pretrained
row of a word instead of its fine-tuned one, in training only."""

from __future__ import annotations

import copy

import torch

from wordshell.tag.model import BiRNNTagger, SplitEmbedding, TaggerConfig

TAGS = ["NOUN", "VERB", "DET"]


def model(rows=30, seed=0):
    torch.manual_seed(seed)
    cfg = TaggerConfig(word_rows=rows, char_rows=10, tags=TAGS, emb_dim=6, chars="cnn", char_dim=4, char_out=5,
                       hidden=5, dropout=0.0, crf=False)
    return BiRNNTagger(cfg)


def batch(seed=1, rows=30):
    g = torch.Generator().manual_seed(seed)
    words = torch.randint(1, rows, (4, 7), generator=g)
    words[1, 5:] = 0                                   # padding
    forms = torch.arange(28).reshape(4, 7) % 9
    chars = torch.randint(1, 10, (9, 4), generator=g)
    tags = torch.randint(0, 3, (4, 7), generator=g)
    return words, forms, chars, tags


def test_split_model_steps_like_the_one_table_model():
    a = model()
    b = copy.deepcopy(a)
    b.split_embedding(12)                              # rows 12.. never occur in training here
    assert [n for n, _ in b.named_parameters() if n.startswith("embed")] == ["embed.head"]
    opt_a = torch.optim.Adam(a.parameters(), lr=0.05)
    opt_b = torch.optim.Adam([p for p in b.parameters() if p.requires_grad], lr=0.05)
    for step in range(3):
        words, forms, chars, tags = batch(step)
        words = words % 12                             # only the head rows (0 = padding) train
        for m, opt in ((a, opt_a), (b, opt_b)):
            opt.zero_grad()
            m(words, forms, chars, tags).backward()
            opt.step()
    tail_before = b.embed.tail.clone()
    b.merge_embedding()
    assert isinstance(b.embed, torch.nn.Embedding)
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.allclose(sa[k], sb[k], atol=1e-6), k
    assert torch.equal(b.embed.weight[12:], tail_before)


def test_split_lookup_equals_the_table_and_merges_back_exactly():
    m = model().eval()
    words, forms, chars, _ = batch()
    want = m.emissions(words, forms, chars)
    table = m.embed.weight.detach().clone()
    m.split_embedding(10)
    assert torch.allclose(m.emissions(words, forms, chars), want)   # ids on both sides of the split
    m.merge_embedding()
    assert torch.equal(m.embed.weight, table)


def test_vectors_dropout_reads_the_pretrained_row_in_training_only():
    w = torch.randn(8, 3)
    has_vec = torch.tensor([False, False, True, True, False, True])
    e = SplitEmbedding(w, 6, has_vec, drop=1.0)
    with torch.no_grad():
        e.head += 1.0                                   # "fine-tuned"
    ids = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7]])
    got = e(ids)[0]
    for i in range(8):
        if i < 6 and has_vec[i]:
            assert torch.equal(got[i], w[i])            # the start value, not the fine-tuned row
        elif i < 6:
            assert torch.equal(got[i], w[i] + 1.0)
        else:
            assert torch.equal(got[i], w[i])            # the fixed rows
    e.eval()
    assert torch.equal(e(ids)[0, :6], w[:6] + 1.0)
    half = SplitEmbedding(w, 6, has_vec, drop=0.5)
    with torch.no_grad():
        half.head += 1.0
    torch.manual_seed(0)
    picked = (half(torch.full((1, 4000), 2)) == w[2]).all(dim=2).float().mean().item()
    assert 0.45 < picked < 0.55

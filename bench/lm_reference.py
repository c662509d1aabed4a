"""The peer for the LM benchmarks: a plain PyTorch loop in the style of pytorch/examples
word_language_model (main.py + model.py + data.py), written out here so it runs in the same
process setup as ours: 2-layer LSTM 200/200, dropout 0.2, bptt 35, batch 20, eval batch 10,
SGD lr 20 by hand (p.data.add_), clip 0.25, lr /= 4 when the validation loss does not improve.

    python bench/lm_reference.py --data /work/shared/data/ptb --minutes 10
"""

from __future__ import annotations

import argparse
import math
import os
import time

import torch
import torch.nn as nn


class Dictionary:
    def __init__(self):
        self.word2idx, self.idx2word = {}, []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]


class Corpus:
    def __init__(self, train_path, valid_path):
        self.dictionary = Dictionary()
        self.train = self.tokenize(train_path)
        self.valid = self.tokenize(valid_path)

    def tokenize(self, path):
        ids = []
        with open(path, encoding="utf8") as f:
            for line in f:
                for word in line.split() + ["<eos>"]:
                    ids.append(self.dictionary.add_word(word))
        return torch.tensor(ids, dtype=torch.int64)


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp=200, nhid=200, nlayers=2, dropout=0.2, tie_weights=False):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.decoder.out_features)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def evaluate(model, data_source, bptt, ntokens, criterion, eval_batch_size=10):
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def run(data_dir, minutes=None, epochs=40, max_steps=None, lr=20.0, clip=0.25, bptt=35, batch_size=20,
        seed=1111, log=print):
    """Train like the example; stop at `minutes` (checked per batch) or `max_steps`.

    Returns {"tokens_per_sec" (training only), "history": [(seconds, epoch, valid_ppl)], "valid_ppl"}.
    """
    torch.manual_seed(seed)
    corpus = Corpus(os.path.join(data_dir, "ptb.train.txt"), os.path.join(data_dir, "ptb.valid.txt"))
    train_data = batchify(corpus.train, batch_size)
    val_data = batchify(corpus.valid, 10)
    ntokens = len(corpus.dictionary.idx2word)
    model = RNNModel(ntokens)
    criterion = nn.NLLLoss()
    t0 = time.time()
    deadline = t0 + 60 * minutes if minutes else None
    train_secs, train_tokens, steps = 0.0, 0, 0
    best_val, history = None, []
    stop = False
    for epoch in range(1, epochs + 1):
        model.train()
        hidden = model.init_hidden(batch_size)
        t_epoch = time.time()
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = get_batch(train_data, i, bptt)
            hidden = repackage_hidden(hidden)
            model.zero_grad()
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            loss.item()
            train_tokens += targets.numel()
            steps += 1
            if (deadline and time.time() >= deadline) or (max_steps and steps >= max_steps):
                stop = True
                break
        train_secs += time.time() - t_epoch
        val_loss = evaluate(model, val_data, bptt, ntokens, criterion)
        history.append((round(time.time() - t0, 1), epoch if not stop else epoch - 1 + batch / (len(train_data) // bptt),
                        math.exp(val_loss)))
        log(f"reference: epoch {history[-1][1]:.2f} {history[-1][0]:.0f}s valid ppl {math.exp(val_loss):.2f} "
            f"lr {lr:g} {train_tokens / train_secs:.0f} tok/s")
        if stop:
            break
        if best_val is None or val_loss < best_val:
            best_val = val_loss
        else:
            lr /= 4.0
    return {"tokens_per_sec": train_tokens / train_secs, "history": history, "valid_ppl": history[-1][2],
            "steps": steps, "seconds": time.time() - t0}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data/ptb")
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--max-steps", type=int, default=None)
    a = ap.parse_args()
    print(run(a.data, a.minutes, max_steps=a.max_steps))

"""`bilstm-tagger` / `bigru-tagger`: a BiLSTM(-CRF) sequence tagger with character features.

    words (B, T) ids (0 = padding), forms (B, T) rows of chars (U, C): each distinct word form once
      -> word Embedding                    (B, T, E)   (optionally from word2vec/FastText vectors)
       + char features per form -> token   (U, F) -> (B, T, F)   CNN + max-pool (Ma & Hovy 2016) or a
                                                       BiLSTM's final states (Lample et al. 2016); none with --no-chars
      -> dropout -> stacked BiLSTM/BiGRU   (B, T, 2H)  packed: padding never enters the recurrence
      -> dropout -> Linear                 (B, T, K)   emissions: one score per tag
      -> CRF (crf.py): nll / Viterbi / marginals, or a softmax per token

Char features are computed once per distinct form of the batch (U is a few times smaller than B x T),
then gathered for every token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from wordshell.tag.crf import CRF, constraints

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
CHARS = ("cnn", "lstm", "none")


@dataclass
class TaggerConfig:
    word_rows: int                # padding + unknown + vocabulary (vocab.TagEncoder.word_rows)
    char_rows: int
    tags: list = field(default_factory=list)   # the tag list the model outputs (BIOES for span tags)
    scheme: str | None = None     # the span scheme of `tags` (the CRF's constraints), None for POS-like tags
    emb_dim: int = 100
    chars: str = "cnn"            # cnn | lstm | none
    char_dim: int = 30
    char_out: int = 50            # CNN filters, or 2 x the char BiLSTM's hidden size
    cell: str = "lstm"            # lstm | gru
    hidden: int = 100             # per direction
    layers: int = 1
    dropout: float = 0.5
    crf: bool = True

    def __post_init__(self):
        assert self.cell in CELLS, self.cell
        assert self.chars in CHARS, self.chars
        assert self.tags, "a tagger needs tags"


class CharCNN(nn.Module):
    def __init__(self, rows: int, dim: int, out: int, width: int = 3):
        super().__init__()
        self.embed = nn.Embedding(rows, dim, padding_idx=0)
        self.conv = nn.Conv1d(dim, out, width, padding=width // 2)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        """chars (N, C) -> (N, out): max over the word's positions of the convolution."""
        x = self.conv(self.embed(chars).transpose(1, 2))                       # (N, out, C)
        x = x.masked_fill((chars == 0).unsqueeze(1), float("-inf"))
        return x.max(dim=2).values


class CharLSTM(nn.Module):
    def __init__(self, rows: int, dim: int, out: int):
        super().__init__()
        self.embed = nn.Embedding(rows, dim, padding_idx=0)
        self.rnn = nn.LSTM(dim, out // 2, batch_first=True, bidirectional=True)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        """chars (N, C) -> (N, out): the final state of each direction."""
        lengths = (chars != 0).sum(1).clamp(min=1)
        packed = pack_padded_sequence(self.embed(chars), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(packed)                                           # h (2, N, out/2)
        return torch.cat([h[0], h[1]], dim=1)


class SplitEmbedding(nn.Module):
    """The word Embedding while a tagger trains with --vectors. Rows [0, n) (padding, unknown, the training
    data's words) are the parameter; rows n.. (the vectors' words the data lacks) are a fixed buffer. Those
    rows never get a gradient, so the model is the same one; the optimizer just stops stepping (and keeping
    Adam moments for) rows of zeros: 41.6k of 49.7k rows on LinES with its vectors, half of each step.
    `merged()` gives the one table back for saving.

    `drop`: in training, that fraction of the tokens whose word has a pretrained vector (`has_vec`) read that
    vector as it was before training (`start`) instead of the fine-tuned row. At test time a word the
    training data lacks is read exactly so, through its untouched pretrained row; this teaches the tagger
    the vectors' own space, not only the drifted rows of the words it trained on."""

    def __init__(self, weight: torch.Tensor, n: int, has_vec: torch.Tensor | None = None, drop: float = 0.0,
                 trainable: bool = True):
        super().__init__()
        self.n, self.drop = n, drop
        self.head = nn.Parameter(weight[:n].detach().clone(), requires_grad=trainable)
        self.register_buffer("tail", weight[n:].detach().clone())
        if drop:
            self.register_buffer("start", weight[:n].detach().clone())
            self.register_buffer("has_vec", has_vec.to(torch.bool).clone() if has_vec is not None
                                 else torch.zeros(n, dtype=torch.bool))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        inside = ids < self.n
        rows = torch.where(inside, ids, 0)                      # row 0 (padding) stands in; never trained
        x = nn.functional.embedding(rows, self.head, padding_idx=0)
        if self.training and self.drop:
            hit = inside & self.has_vec[rows] & (torch.rand(ids.shape, device=ids.device) < self.drop)
            x = torch.where(hit.unsqueeze(-1), self.start[rows], x)
        if len(self.tail):
            x = torch.where(inside.unsqueeze(-1), x, self.tail[torch.where(inside, 0, ids - self.n)])
        return x

    def merged(self) -> nn.Embedding:
        emb = nn.Embedding(self.n + len(self.tail), self.head.shape[1], padding_idx=0)
        with torch.no_grad():
            emb.weight.copy_(torch.cat([self.head, self.tail]))
        emb.weight.requires_grad_(self.head.requires_grad)
        return emb.to(self.head.device)


class BiRNNTagger(nn.Module):
    Config = TaggerConfig

    def __init__(self, config: TaggerConfig):
        super().__init__()
        self.config = c = config
        self.embed = nn.Embedding(c.word_rows, c.emb_dim, padding_idx=0)
        self.char = None
        feat = c.emb_dim
        if c.chars == "cnn":
            self.char, feat = CharCNN(c.char_rows, c.char_dim, c.char_out), feat + c.char_out
        elif c.chars == "lstm":
            self.char, feat = CharLSTM(c.char_rows, c.char_dim, c.char_out), feat + 2 * (c.char_out // 2)
        self.rnn = CELLS[c.cell](feat, c.hidden, num_layers=c.layers, batch_first=True, bidirectional=True,
                                 dropout=c.dropout if c.layers > 1 else 0.0)
        self.drop = nn.Dropout(c.dropout)
        self.out = nn.Linear(2 * c.hidden, len(c.tags))
        self.crf = CRF(len(c.tags), *constraints(list(c.tags), c.scheme)) if c.crf else None

    def split_embedding(self, n: int, has_vec: torch.Tensor | None = None, drop: float = 0.0) -> None:
        """Train only the first `n` word rows (see SplitEmbedding); `merge_embedding()` undoes it."""
        w = self.embed.weight
        self.embed = SplitEmbedding(w, n, has_vec, drop, trainable=w.requires_grad)

    def merge_embedding(self) -> None:
        if isinstance(self.embed, SplitEmbedding):
            self.embed = self.embed.merged()

    def char_features(self, chars: torch.Tensor, chunk: int = 8192) -> torch.Tensor | None:
        """(U, F) the char features of U word forms (None without char features)."""
        if self.char is None:
            return None
        return torch.cat([self.char(chars[s:s + chunk]) for s in range(0, max(1, len(chars)), chunk)])

    def emissions(self, words: torch.Tensor, forms: torch.Tensor, chars: torch.Tensor | None,
                  feats: torch.Tensor | None = None) -> torch.Tensor:
        """words (B, T), forms (B, T), chars (U, C) -> (B, T, K) tag scores. `feats`: the char features of
        the forms, computed before (then chars is not needed)."""
        T = words.shape[1]
        lengths = (words != 0).sum(1).clamp(min=1)
        x = self.embed(words)                                                  # (B, T, E)
        if self.char is not None:
            feats = self.char(chars) if feats is None else feats              # (U, F)
            x = torch.cat([x, feats[forms]], dim=2)                            # (B, T, E + F)
        x = self.drop(x)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        seq, _ = pad_packed_sequence(out, batch_first=True, total_length=T)    # (B, T, 2H)
        return self.out(self.drop(seq))

    def loss(self, words, forms, chars, tags) -> torch.Tensor:
        """Summed over the batch's tokens: the CRF's nll per sentence, or cross-entropy per token."""
        em = self.emissions(words, forms, chars)
        mask = words != 0
        if self.crf is not None:
            return self.crf.nll(em, tags, mask).sum()
        return nn.functional.cross_entropy(em[mask].float(), tags[mask], reduction="sum")

    def forward(self, words, forms, chars, tags):
        return self.loss(words, forms, chars, tags)

    def decode(self, words, forms, chars, feats=None, em=None) -> torch.Tensor:
        """(B, T) the best tag ids (Viterbi with the CRF, else the argmax per token). `em`: emissions
        computed elsewhere (tests/test_tag_infer.py feeds infer.py's to compare the decoders)."""
        em = self.emissions(words, forms, chars, feats) if em is None else em
        if self.crf is not None:
            return self.crf.decode(em, words != 0)
        return em.argmax(dim=2)

    def probs(self, words, forms, chars, feats=None, em=None) -> tuple[torch.Tensor, torch.Tensor]:
        """((B, T) best tag ids, (B, T, K) per-token marginal probabilities)."""
        em = self.emissions(words, forms, chars, feats) if em is None else em
        mask = words != 0
        if self.crf is not None:
            return self.crf.decode(em, mask), self.crf.marginals(em, mask)
        p = em.float().softmax(dim=2)
        return p.argmax(dim=2), p

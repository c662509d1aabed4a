"""The recurrent cells written out, step by step, on a trained model's own weights (lm/rnn.RNNLM).

torch's nn.LSTM / nn.GRU run a whole sequence in one fused kernel: the gates are never visible and
the hidden state h_t of a middle step is not a node of the autograd graph. Here the slide's equations
run one token at a time with the model's parameters (weight_ih_l{k}, weight_hh_l{k}, bias_*), so every
gate and every h_t is a tensor we can print or differentiate. tests/test_explain_lm.py checks that the
outputs equal torch's own cells.

    LSTM (torch's gate order i, f, g, o in weight_ih / weight_hh):
        i = σ(W_ii x + b_ii + W_hi h + b_hi)     input gate
        f = σ(W_if x + b_if + W_hf h + b_hf)     forget gate
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)  candidate cell
        o = σ(W_io x + b_io + W_ho h + b_ho)     output gate
        c' = f * c + i * g        h' = o * tanh(c')
    GRU (order r, z, n):
        r = σ(W_ir x + b_ir + W_hr h + b_hr)     reset gate
        z = σ(W_iz x + b_iz + W_hz h + b_hz)     update gate
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h
    RNN (tanh):  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wordshell.errors import UsageError

GATES = {"lstm": ("input", "forget", "output"), "gru": ("update", "reset"), "rnn": ()}


def lstm_step(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step. x (B, E), h and c (B, H) -> (h', c', {input, forget, output, candidate: (B, H)})."""
    import torch

    pre = x @ w_ih.T + h @ w_hh.T                                  # (B, 4H)
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    i, f, g, o = pre.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c2 = f * c + i * g
    h2 = o * torch.tanh(c2)
    return h2, c2, {"input": i, "forget": f, "output": o, "candidate": g}


def gru_step(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step. x (B, E), h (B, H) -> (h', {update, reset, candidate: (B, H)})."""
    import torch

    gi, gh = x @ w_ih.T, h @ w_hh.T                                # (B, 3H) each
    if b_ih is not None:
        gi, gh = gi + b_ih, gh + b_hh
    ir, iz, inn = gi.chunk(3, dim=-1)
    hr, hz, hn = gh.chunk(3, dim=-1)
    r = torch.sigmoid(ir + hr)
    z = torch.sigmoid(iz + hz)
    n = torch.tanh(inn + r * hn)
    return (1 - z) * n + z * h, {"update": z, "reset": r, "candidate": n}


def rnn_step(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One tanh-RNN step. x (B, E), h (B, H) -> (h', {})."""
    import torch

    pre = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        pre = pre + b_ih + b_hh
    return torch.tanh(pre), {}


@dataclass
class Trace:
    """One unrolled pass over a sequence. Lists are indexed [t][layer]; tensors are (1, H)."""

    cell: str
    embeddings: list = field(default_factory=list)   # [t] (1, E): the input vectors (leaves if requires_grad)
    h: list = field(default_factory=list)            # [t][layer] hidden state after reading token t
    c: list = field(default_factory=list)            # [t][layer] LSTM cell state (empty for GRU/RNN)
    gates: list = field(default_factory=list)        # [t][layer] {gate name: (1, H)}


def recurrent_cell(model) -> str:
    """The cell of an RNNLM ('lstm' | 'gru' | 'rnn'); UsageError for other models."""
    cfg = getattr(model, "config", None)
    cell = getattr(cfg, "cell", None)
    if cell not in GATES or not hasattr(model, "rnn"):
        raise UsageError("this view needs a recurrent language model (train lm --arch lstm|gru|rnn)",
                         "a window (ffnn) model has no hidden state that runs through time")
    return cell


def unroll(model, ids, grad_inputs: bool = False) -> Trace:
    """Run an RNNLM over `ids` (a list of token ids, read in order) with the hand-written cells.

    grad_inputs=True makes each input embedding a leaf that requires grad (for d loss / d e_t);
    the caller decides whether autograd records (torch.enable_grad / no_grad).
    """
    import torch

    cell = recurrent_cell(model)
    rnn = model.rnn
    L, H = rnn.num_layers, rnn.hidden_size
    params = [(getattr(rnn, f"weight_ih_l{k}"), getattr(rnn, f"weight_hh_l{k}"),
               getattr(rnn, f"bias_ih_l{k}", None), getattr(rnn, f"bias_hh_l{k}", None)) for k in range(L)]
    dtype = model.encoder.weight.dtype
    h = [torch.zeros(1, H, dtype=dtype) for _ in range(L)]
    c = [torch.zeros(1, H, dtype=dtype) for _ in range(L)]
    tr = Trace(cell)
    for token in ids:
        e = model.encoder.weight[int(token)].unsqueeze(0)          # (1, E); eval mode: no dropout
        if grad_inputs:
            e = e.detach().clone().requires_grad_(True)
        tr.embeddings.append(e)
        x, hs, cs, gs = e, [], [], []
        for k, (w_ih, w_hh, b_ih, b_hh) in enumerate(params):
            if cell == "lstm":
                h[k], c[k], g = lstm_step(x, h[k], c[k], w_ih, w_hh, b_ih, b_hh)
                cs.append(c[k])
            elif cell == "gru":
                h[k], g = gru_step(x, h[k], w_ih, w_hh, b_ih, b_hh)
            else:
                h[k], g = rnn_step(x, h[k], w_ih, w_hh, b_ih, b_hh)
            hs.append(h[k])
            gs.append(g)
            x = h[k]                                               # the next layer reads this one's output
        tr.h.append(hs)
        tr.c.append(cs)
        tr.gates.append(gs)
    return tr


def log_probs(model, top):
    """log p(. | history) from the top layer's hidden state (1, H) -> (1, V); full or adaptive softmax."""
    import torch

    if getattr(model.config, "adaptive", None):
        return model.decoder.log_prob(top)
    return torch.log_softmax(model.decoder(top), dim=-1)

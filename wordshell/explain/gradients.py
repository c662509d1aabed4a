"""Vanishing gradients, measured: how much does the last token's loss depend on each earlier position?

For a text x_1..x_T read after <eos> (x_0), loss_T = -log p(x_T | x_<T). For every input position t:

    hidden      || d loss_T / d h_t ||   h_t = the top layer's hidden state after reading x_t
                (recurrent models; the slide's vanishing gradient through time)
    embedding   || d loss_T / d e_t ||   e_t = the input embedding of x_t (every model; a window
                model's are exactly 0 outside its last `context` tokens)

Computed by autograd through the hand-written cells (explain/cells.py), whose h_t are real graph nodes
(torch's fused nn.LSTM hides them). tests/test_explain_lm.py checks the figures against
torch.autograd.grad through the model's own forward.
"""

from __future__ import annotations

from dataclasses import dataclass

from wordshell.errors import BadInput, UsageError
from wordshell.explain.cells import log_probs, recurrent_cell, unroll

WRT = ("hidden", "embedding")


@dataclass
class Gradients:
    tokens: list[str]             # the input tokens x_0 .. x_{T-1} (x_0 = <eos>)
    target: str                   # x_T, whose loss is differentiated
    norms: list[float]            # one per input token
    loss: float                   # loss_T (nats)
    wrt: str


def is_recurrent(model) -> bool:
    return getattr(getattr(model, "config", None), "cell", None) is not None and hasattr(model, "rnn")


def gradient_norms(model, ids: list[int], wrt: str = "hidden") -> tuple[list[float], float]:
    """(|| d loss_T / d (h_t or e_t) || for t = 0..T-1, loss_T) for the id sequence `ids` = [x_0, ..., x_T]."""
    import torch

    if wrt not in WRT:
        raise UsageError(f"unknown --wrt {wrt!r}", "hidden or embedding")
    if len(ids) < 2:
        raise BadInput("the text needs at least one token after the start")
    inputs, target = ids[:-1], int(ids[-1])
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            if is_recurrent(model):
                tr = unroll(model, inputs, grad_inputs=wrt == "embedding")
                logp = log_probs(model, tr.h[-1][-1])                      # (1, V) from the last top state
                loss = -logp[0, target]
                nodes = tr.embeddings if wrt == "embedding" else [hs[-1] for hs in tr.h]
            else:
                if wrt == "hidden":
                    recurrent_cell(model)                                  # raises: a window model has no h_t
                loss, nodes = _window_loss(model, inputs, target)
            grads = torch.autograd.grad(loss, nodes, allow_unused=True)
    finally:
        model.train(was_training)
    norms = [float(g.norm()) if g is not None else 0.0 for g in grads]
    return norms, float(loss.detach())


def _window_loss(model, inputs: list[int], target: int):
    """FFNNLM's loss of the last prediction, with one embedding leaf per input position."""
    import torch

    k = model.config.context
    leaves = [model.encoder.weight[i].detach().clone().requires_grad_(True) for i in inputs]   # (E,) each
    pad = [model.encoder.weight[0].detach()] * max(0, k - len(inputs))      # <eos> before the text
    window = (pad + leaves)[-k:]                                            # the k tokens it sees
    x = torch.cat(window).unsqueeze(0)                                      # (1, k*E)
    logits = model.decoder(model.hidden(x))
    if model.direct is not None:
        logits = logits + model.direct(x)
    return -torch.log_softmax(logits, -1)[0, target], leaves


def explain_gradients(lm, text: str, wrt: str) -> Gradients:
    """The norms for one loaded language model (lm/use.LanguageModel) and one line of text."""
    ids, _unknown = lm.encode_lines([text])
    ids = [0] + ids[:-1]                                                    # <eos> first, no <eos> after
    if len(ids) < 3:
        raise BadInput("give a text of at least two tokens", "e.g. \"the cat sat on the mat\"")
    norms, loss = gradient_norms(lm.model, ids, wrt)
    itos = lm.vocab.itos
    return Gradients([itos[i] for i in ids[:-1]], itos[ids[-1]], norms, loss, wrt)

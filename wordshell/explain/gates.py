"""The LSTM's and GRU's gates, token by token, on a trained model (the slide's equations made visible).

Per token: the mean of each gate over the hidden units (every gate lies in (0, 1)), the LSTM's cell-state
norm ||c_t||, and a heat strip: one character per unit of one gate, ' ' = 0 up to '█' = 1.

>>> strip([0.0, 0.5, 1.0, 0.99])
' ▄██'
"""

from __future__ import annotations

from dataclasses import dataclass

from wordshell.errors import BadInput, UsageError
from wordshell.explain.cells import GATES, recurrent_cell, unroll

LEVELS = " ▁▂▃▄▅▆▇█"


def strip(values) -> str:
    """Values in [0, 1] -> one block character each (9 levels)."""
    n = len(LEVELS) - 1
    return "".join(LEVELS[min(n, max(0, int(round(float(v) * n))))] for v in values)


@dataclass
class GateRow:
    position: int
    token: str
    means: dict[str, float]        # gate -> mean over units
    cell_norm: float | None        # LSTM: ||c_t||
    hidden_norm: float             # ||h_t||
    strip: str                     # the chosen gate, first `units` units


@dataclass
class GateTrace:
    cell: str
    layer: int                     # 1-based
    layers: int
    hidden: int
    gate: str                      # the gate in the strip
    units: int
    rows: list[GateRow]


def explain_gates(lm, text: str, layer: int | None = None, gate: str | None = None, units: int = 40) -> GateTrace:
    """Run the model's own weights through the hand-written cell over <eos> + text and collect its gates."""
    import torch

    model = lm.model
    cell = recurrent_cell(model)
    if cell == "rnn":
        raise UsageError(f"model '{lm.name}' is a plain (tanh) RNN: it has no gates",
                         "gates belong to LSTM and GRU models (train lm --arch lstm|gru)")
    L, H = model.rnn.num_layers, model.rnn.hidden_size
    layer = L if layer is None else layer
    if not 1 <= layer <= L:
        raise UsageError(f"--layer {layer}: model '{lm.name}' has {L} layer(s)")
    names = GATES[cell]
    gate = gate or ("forget" if cell == "lstm" else "update")
    if gate not in names:
        raise UsageError(f"an {cell.upper()} has no {gate} gate", "choose " + ", ".join(names))
    ids, _unknown = lm.encode_lines([text])
    ids = [0] + ids[:-1]                                       # read <eos> first, as generation does
    if len(ids) < 2:
        raise BadInput("no text to run", "e.g. \"the cat sat on the mat\"")
    with torch.no_grad():
        tr = unroll(model, ids)
    k = layer - 1
    rows = []
    for t, i in enumerate(ids):
        g = tr.gates[t][k]
        rows.append(GateRow(t, lm.vocab.itos[i], {n: float(g[n].mean()) for n in names},
                            float(tr.c[t][k].norm()) if cell == "lstm" else None, float(tr.h[t][k].norm()),
                            strip(g[gate][0, :units].tolist())))
    return GateTrace(cell, layer, L, H, gate, min(units, H), rows)

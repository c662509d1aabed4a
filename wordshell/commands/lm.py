"""`train lm`: options -> LMOptions -> lm/train.py train_lm -> a Result (generate/perplexity: generate.py)."""

from __future__ import annotations

import click

from wordshell.kinds import archs
from wordshell.options import (Cutoffs, Duration, background_option, command, corpus_options, pass_session,
                               run_in_background, tokenizer_from)
from wordshell.result import Result


@command("lm")
@click.argument("name")
@corpus_options
@click.option("--arch", type=click.Choice(archs("lm")), default="lstm", show_default=True,
              help="LSTM, GRU, RNN (tanh) or Bengio's feed-forward window model.")
@click.option("--level", type=click.Choice(["word", "char"]), default="word", show_default=True,
              help="Predict words or characters (char: cased unless --lowercase).")
@click.option("--min-count", type=click.IntRange(1), default=None,
              help="Words rarer than this become <unk> (default 2 for words, 1 for chars).")
@click.option("--max-vocab", type=click.IntRange(3), default=None, help="Keep at most this many tokens.")
@click.option("--layers", type=click.IntRange(1, 16), default=None, help="Stacked layers [2; ffnn 1].")
@click.option("--hidden", type=click.IntRange(1), default=None, help="Hidden units [200].")
@click.option("--emb", type=click.IntRange(1), default=None, help="Embedding size [200; ffnn 100].")
@click.option("--dropout", type=click.FloatRange(0, 0.95), default=None, help="Dropout [0.2].")
@click.option("--tied", is_flag=True, help="Tie input embedding and output layer (emb = hidden).")
@click.option("--context", type=click.IntRange(1, 64), default=None, help="ffnn: tokens of history [4].")
@click.option("--adaptive", type=Cutoffs(), default=None,
              help="Adaptive softmax with these frequency-rank cutoffs, e.g. 2000,5000 (~2x faster on 10k words).")
@click.option("--bptt", type=click.IntRange(1), default=35, show_default=True, help="Truncated BPTT length.")
@click.option("--batch", type=click.IntRange(1), default=20, show_default=True, help="Columns per batch.")
@click.option("--optimizer", type=click.Choice(["sgd", "adam", "adamw"]), default="adamw", show_default=True)
@click.option("--lr", type=click.FloatRange(0, min_open=True), default=None, help="Learning rate [sgd 20, adam(w) 0.003].")
@click.option("--weight-decay", type=click.FloatRange(0), default=None, help="Weight decay [adamw 0.01, else 0].")
@click.option("--clip", type=click.FloatRange(0), default=None, help="Gradient-norm clipping, 0 = off [sgd 0.25, else 1].")
@click.option("--schedule", type=click.Choice(["plateau", "cosine", "linear", "none"]), default=None,
              help="LR schedule [sgd: plateau (lr /= 4 when valid ppl stalls); adam(w) or --time: cosine to the end].")
@click.option("--anneal", type=click.FloatRange(1), default=4.0, show_default=True, help="Plateau: divide the LR by this.")
@click.option("--warmup", type=click.IntRange(0), default=0, show_default=True, help="Warm-up steps.")
@click.option("--epochs", type=click.IntRange(1), default=None, help="Epochs [10; unlimited with --time].")
@click.option("--time", "time_budget", type=Duration(), default=0.0, help="Time budget: 600, 10m, 1h.")
@click.option("--max-steps", type=click.IntRange(0), default=0, help="Stop after this many steps (0 = no limit).")
@click.option("--patience", type=click.IntRange(0), default=0, help="Stop after N evals without improvement.")
@click.option("--valid", metavar="FILE|CORPUS", default=None, help="Validation text (default: split off).")
@click.option("--valid-split", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.1, show_default=True, help="Fraction held out at the end.")
@click.option("--eval-every", type=click.IntRange(0), default=0, help="Evaluate every N steps (0 = per epoch).")
@click.option("--ckpt-every", type=click.IntRange(0), default=200, show_default=True, help="Checkpoint every N steps.")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--bf16", "cpu_bf16", is_flag=True,
              help="CPU: train with bfloat16 autocast (evaluation stays float32); ~1.7x faster LSTMs on CPUs "
                   "with avx512_bf16/AMX, slower elsewhere. CUDA always trains in bf16.")
@click.option("--threads", type=click.IntRange(0), default=0, help="CPU threads (0 = auto: 1 for small models, else timed 1 vs all, re-checked as load changes).")
@click.option("--nproc", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Train in N processes with DistributedDataParallel (gloo on CPU, nccl on GPU).")
@click.option("--resume", is_flag=True, help="Continue from ckpt/last (a killed or finished run).")
@click.option("--force", is_flag=True, help="Replace an existing model of this name.")
@background_option
@pass_session
@click.pass_context
def train_lm(ctx, session, name, corpus, background, resume, force, **kw):
    """Train a word- or character-level language model (LSTM/GRU/RNN/FFNN).

    \b
      train lm tiny --corpus lee --epochs 2 --hidden 64 --emb 64
      train lm ptb --corpus ptb --valid ptb-valid --split whitespace --min-count 1 --time 10m
      train lm shakes --corpus tiny-shakespeare --level char --hidden 512 --layers 1 --time 10m
      train lm ptb --corpus ptb --valid ptb-valid --split whitespace --resume
    """
    if background:
        return run_in_background(session, name, "lm")
    from wordshell.lm.train import LMOptions, train_lm

    explicit = {k for k in kw if ctx.get_parameter_source(k) != click.core.ParameterSource.DEFAULT}
    if "lowercase" not in explicit and kw["level"] == "char":
        kw["lowercase"] = False
    tok = tokenizer_from(kw)
    if kw["level"] == "char":
        from wordshell.corpus.tokens import Tokenizer

        tok = Tokenizer(lowercase=tok.lowercase, punct=False, split="chars")
    explicit = frozenset(explicit)
    meta = train_lm(session, name, corpus, tok, LMOptions(**kw, explicit=explicit), resume=resume, force=force)
    return None if meta is None else _trained(name, meta)


def _trained(name: str, meta: dict) -> Result:
    m, t, data = meta["metrics"], meta["training"], meta["data"]
    cfg = meta["config"]
    arch = meta["kind"].replace("-lm", "").upper()
    shape = (f"{arch} {cfg.get('layers')}x{cfg.get('hidden')}, emb {cfg.get('emb')}"
             + (f", context {cfg['context']}" if "context" in cfg else "") + (", tied" if cfg.get("tied") else "")
             + (f", adaptive softmax {cfg['adaptive']}" if cfg.get("adaptive") else ""))
    unit = "char" if meta["level"] == "char" else "token"
    rows = [
        ("model", name), ("kind", f"{meta['kind']} ({meta['level']}-level): {shape}"),
        ("corpus", f"{data['name']}: {data['train_tokens']:,} train / {data['valid_tokens']:,} "
                   f"valid {unit}s ({data['valid']})"),
        ("vocabulary", meta["vocab_size"]), ("parameters", meta["params"]),
        ("best valid ppl", round(m["valid_ppl"], 2) if m.get("valid_ppl") else None),
        (f"bits per {unit}", round(m["valid_bits"], 4) if m.get("valid_bits") else None),
        ("steps / epochs", f"{t['steps']} / {meta['history'][-1]['epoch'] if meta['history'] else 0:g}"),
        ("time", f"{t['seconds']:.1f} s ({t['stopped']})"),
        (f"{unit}s/s", round(t["per_second"]) if t.get("per_second") else None),
    ]
    example = "the" if meta["level"] == "word" else "T"
    return Result(["", "value"], rows, title=f"Trained language model '{name}'", keys=["field", "value"],
                  notes=[f"try: generate \"{example}\" --model {name}"])

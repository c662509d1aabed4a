"""CoNLL-2003 NER: entity F1 on eng.testa of `wordshell train tagger` beside sklearn-crfsuite, same run.

    python bench/bench_tag_ner.py                      # word2vec pretraining + tagger (25 min) + crfsuite
    python bench/bench_tag_ner.py --minutes 5 --no-pretrain

Data: ../shared/data/conll2003/eng.train (14,041 sentences) -> eng.testa (3,250), IOB1 tags. eng.testa is
never seen in training or selection: the tagger holds out 5 % of eng.train (--valid-split 0.05) to pick
its best epoch. The tagger reads words only.
Vectors (--pretrain, the default): `wordshell train word2vec` (skip-gram, 100 d, 10 epochs, min count 2) on
WikiText-2 train plus the words of eng.train, one sentence a line.
Peer: sklearn-crfsuite (L-BFGS, c1 = c2 = 0.1, 100 iterations, all possible transitions) with the usual
features: the word lower-cased, its prefixes and suffixes (2-3), shape, case and digit flags, the POS and
chunk columns, and the same for the words at -2..+2.
Both are scored by wordshell's span metric (CoNLL exact match) and by seqeval (conlleval's rules); the two
must agree. Everything runs on this machine's 2 cores; the load is printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, machine, shared, wordshell  # noqa: E402

sys.path.insert(0, str(ROOT))  # this checkout's wordshell (its span metric)


def read_conll(path: Path) -> list[list[list[str]]]:
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if cur:
                sents.append(cur)
            cur = []
        elif not line.startswith("-DOCSTART-"):
            cur.append(line.split())
    if cur:
        sents.append(cur)
    return sents


def shape(w: str) -> str:
    s = re.sub("[A-Z]", "X", w)
    s = re.sub("[a-z]", "x", s)
    s = re.sub("[0-9]", "d", s)
    return re.sub(r"(.)\1+", r"\1\1", s)


def features(sent: list[list[str]], i: int) -> dict:
    f = {"bias": 1.0}
    for d in (-2, -1, 0, 1, 2):
        j = i + d
        if j < 0:
            f[f"{d}:BOS"] = True
            continue
        if j >= len(sent):
            f[f"{d}:EOS"] = True
            continue
        w, pos, chunk = sent[j][0], sent[j][1], sent[j][2]
        f.update({f"{d}:lower": w.lower(), f"{d}:title": w.istitle(), f"{d}:upper": w.isupper(),
                  f"{d}:pos": pos, f"{d}:pos2": pos[:2], f"{d}:chunk": chunk, f"{d}:shape": shape(w)})
        if abs(d) <= 1:
            f.update({f"{d}:suf3": w[-3:], f"{d}:suf2": w[-2:], f"{d}:pre3": w[:3], f"{d}:pre2": w[:2],
                      f"{d}:digit": w.isdigit(), f"{d}:hasdigit": any(c.isdigit() for c in w)})
    return f


def crfsuite(train, test) -> tuple[list[list[str]], float]:
    import sklearn_crfsuite

    t0 = time.time()
    X = [[features(s, i) for i in range(len(s))] for s in train]
    y = [[t[-1] for t in s] for s in train]
    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True)
    crf.fit(X, y)
    secs = time.time() - t0
    return crf.predict([[features(s, i) for i in range(len(s))] for s in test]), secs


def scores(gold, pred) -> dict:
    from wordshell.tag.metrics import span_report

    try:  # the second opinion; a bare GPU machine has no seqeval
        from seqeval.metrics import f1_score
    except ImportError:
        f1_score = None
    ours = span_report(gold, pred)["overall"]
    return {"f1": ours["f1"], "precision": ours["precision"], "recall": ours["recall"],
            "seqeval_f1": f1_score(gold, pred) if f1_score else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=25.0, help="the tagger's time budget (evaluations included)")
    ap.add_argument("--no-pretrain", action="store_true")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--extra", default="", help="more `train tagger` options")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=0, help="train this many epochs instead of --minutes")
    ap.add_argument("--device", default="auto", help="the tagger's device (bench/device.sh: cuda)")
    args = ap.parse_args()
    budget = ["--epochs", str(args.epochs)] if args.epochs else ["--time", f"{args.minutes}m", "--schedule", "cosine"]
    train_p, test_p = shared("conll2003/eng.train"), shared("conll2003/eng.testa")
    home = OUT / "tag-ner"
    home.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine_start": machine()}
    print(report["machine_start"], flush=True)
    train, test = read_conll(train_p), read_conll(test_p)
    gold = [[t[-1] for t in s] for s in test]

    if not args.no_peer:
        pred, secs = crfsuite(train, test)
        report["crfsuite"] = {**scores(gold, pred), "seconds": round(secs, 1)}
        print(f"sklearn-crfsuite: F1 {100 * report['crfsuite']['f1']:.2f} in {secs:.0f} s  ({machine()})", flush=True)

    t0 = time.time()
    vec_args: list[str] = []
    if not args.no_pretrain:
        corpus = home / "vec-corpus"
        corpus.mkdir(exist_ok=True)
        (corpus / "conll-train.txt").write_text("".join(" ".join(t[0] for t in s) + "\n" for s in train))
        (corpus / "wiki.train.tokens").write_bytes(shared("wikitext-2/wiki.train.tokens").read_bytes())
        wordshell(home, "train", "word2vec", "nervec", "--corpus", str(corpus), "--split", "whitespace",
                  "--dim", "100", "--epochs", "10", "--min-count", "2", "--workers", "2", "--force", "-q")
        vec_args = ["--vectors", "nervec"]
        report["pretrain_seconds"] = round(time.time() - t0, 1)
        print(f"word2vec pretraining: {report['pretrain_seconds']} s", flush=True)
    t1 = time.time()
    p = wordshell(home, "train", "tagger", "ner", "--data", str(train_p), "--valid-split", "0.05", *budget,
                  "--device", args.device, "--seed", str(args.seed), *vec_args,
                  *args.extra.split(), "--force", check=False)
    if p.returncode:
        raise SystemExit(p.stderr[-3000:])
    for line in p.stderr.splitlines():
        if line.startswith("epoch "):
            print("wordshell: " + line, flush=True)
    train_secs = time.time() - t1
    ev = json.loads(wordshell(home, "eval", "tagger", "--model", "ner", "--data", str(test_p), "--format", "json",
                              "--device", args.device).stdout)
    out = wordshell(home, "tag", "--model", "ner", "--format", "conll", "--file", str(test_p)).stdout
    pred = [[line.split()[-1] for line in block.splitlines()] for block in out.strip().split("\n\n")]
    ours = scores(gold, pred)
    assert abs(ours["f1"] - ev["entities"]["overall"]["f1"]) < 1e-9, (ours, ev["entities"]["overall"])
    report["wordshell"] = {**ours, "train_seconds": round(train_secs, 1),
                           "total_seconds": round(time.time() - t0, 1), "accuracy": ev["accuracy"],
                           "per_type": {k: round(v["f1"], 4) for k, v in ev["entities"]["types"].items()},
                           "options": p.args[3:]}
    report["machine_end"] = machine()
    print(f"wordshell tagger: F1 {100 * ours['f1']:.2f} (seqeval {100 * (ours['seqeval_f1'] or float('nan')):.2f}), "
          f"train {train_secs:.0f} s, with pretraining {report['wordshell']['total_seconds']:.0f} s  ({machine()})")
    meta = json.loads((home / "checkpoints" / "ner" / "model.json").read_text())
    report["wordshell"]["training"] = meta["training"]
    (OUT / f"tag-ner{'-' + args.device if args.device != 'auto' else ''}.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

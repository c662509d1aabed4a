"""UD English-LinES UPOS: test accuracy of `wordshell train tagger` beside UDPipe 1, trained in the same run.

    python bench/bench_tag_pos.py --minutes 12        # UDPipe 1 (21 min) + word2vec pretraining + tagger
    python bench/bench_tag_pos.py --minutes 5 --no-pretrain --no-peer --no-recipe

Data: ../shared/data/ud-english-lines: train (3,457 sentences) -> test (1,121), dev (1,118) for selection
(the tagger's best epoch; UDPipe's heldout data). Gold tokenization for both: each reads the words of the
CoNLL-U files, so the figure is tagging accuracy alone.
Peer: UDPipe 1 (ufal.udpipe), `Trainer.train("morphodita_parsito", train, dev, tokenizer="none",
tagger=DEFAULT, parser="none")`: its default tagger options; UPOS of its tagged test file.
Vectors (--pretrain, the default): `wordshell train word2vec` (skip-gram, 100 d, 10 epochs, min count 2) on
WikiText-2 train, the words of the LinES train file, and (`--pretrain-text more`, the default) the other
unlabelled English text of ../shared/data, words only (Brown's tags, CoNLL-2003's columns and SST's labels
dropped): Brown (1.16M words), PTB train, CoNLL-2003 train, GLUE SST-2 train; 4.9M words in all. It covers
76 % of the test tokens the LinES train file lacks (WikiText-2 alone: 58 %). `--pretrain-text wikitext`:
WikiText-2 and LinES train only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, machine, shared, wordshell  # noqa: E402

sys.path.insert(0, str(ROOT))


# The tagger's recipe (the vectors are --pretrain's): a char BiLSTM, 150 units per direction, half the
# training words with a pretrained vector read through it (--vectors-dropout), no early stop (cosine to 0).
RECIPE = ["--chars", "lstm", "--hidden", "150", "--vectors-dropout", "0.5", "--patience", "0"]


def udpipe_sentences(text: str):
    import ufal.udpipe as u

    fmt = u.InputFormat.newConlluInputFormat()
    fmt.setText(text)
    sents, err = [], u.ProcessingError()
    while True:
        s = u.Sentence()
        if not fmt.nextSentence(s, err):
            break
        sents.append(s)
    if err.occurred():
        raise SystemExit(err.message)
    return sents


def upos(sentence) -> list[str]:
    return [w.upostag for w in list(sentence.words)[1:]]  # words[0] is the technical root


def udpipe(train_p: Path, dev_p: Path, test_p: Path, home: Path) -> tuple[float, float]:
    import ufal.udpipe as u

    train = u.Sentences()
    for s in udpipe_sentences(train_p.read_text(encoding="utf-8")):
        train.push_back(s)
    dev = u.Sentences()
    for s in udpipe_sentences(dev_p.read_text(encoding="utf-8")):
        dev.push_back(s)
    t0 = time.time()
    err = u.ProcessingError()
    data = u.Trainer.train("morphodita_parsito", train, dev, u.Trainer.NONE, u.Trainer.DEFAULT, u.Trainer.NONE, err)
    if err.occurred():
        raise SystemExit("udpipe: " + err.message)
    secs = time.time() - t0
    path = home / "udpipe.model"
    path.write_bytes(data.encode("latin-1") if isinstance(data, str) else data)
    model = u.Model.load(str(path))
    right = n = 0
    for s in udpipe_sentences(test_p.read_text(encoding="utf-8")):
        gold = upos(s)
        for w in list(s.words)[1:]:
            w.upostag = ""
        model.tag(s, u.Model.DEFAULT)
        for a, b in zip(gold, upos(s)):
            right += a == b
            n += 1
    return right / n, secs


def more_text(dest: Path) -> None:
    """The words of the other unlabelled English text in ../shared/data, one file per source."""
    import re
    import zipfile

    with zipfile.ZipFile(shared("nltk-pos-corpora/brown.zip")) as z, open(dest / "brown.txt", "w", encoding="utf-8") as f:
        for n in sorted(z.namelist()):
            if re.search(r"brown/c[a-r]\d\d$", n):
                for line in z.read(n).decode("utf-8").splitlines():
                    if line.strip():
                        f.write(" ".join(t.rsplit("/", 1)[0] for t in line.split()) + "\n")
    (dest / "ptb.txt").write_bytes(shared("ptb/ptb.train.txt").read_bytes())
    sents, cur = [], []
    for line in shared("conll2003/eng.train").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART"):
            if cur:
                sents.append(" ".join(cur))
            cur = []
        else:
            cur.append(line.split()[0])
    (dest / "conll2003.txt").write_text("\n".join(sents) + "\n", encoding="utf-8")
    rows = shared("glue-sst2/train.tsv").read_text(encoding="utf-8").splitlines()[1:]
    (dest / "sst2.txt").write_text("".join(r.rsplit("\t", 1)[0] + "\n" for r in rows), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=20.0, help="the tagger's time budget (evaluations included)")
    ap.add_argument("--no-pretrain", action="store_true")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--pretrain-kind", choices=("word2vec", "fasttext"), default="word2vec",
                    help="fasttext: n-gram vectors, also for the training words the text lacks")
    ap.add_argument("--pretrain-min-count", type=int, default=2)
    ap.add_argument("--pretrain-epochs", type=int, default=10)
    ap.add_argument("--pretrain-text", choices=("wikitext", "more"), default="more",
                    help="the vectors' text: WikiText-2 (+ LinES train), or more of ../shared/data's text too")
    ap.add_argument("--extra", default="", help="more `train tagger` options (after the recipe's: they win)")
    ap.add_argument("--no-recipe", action="store_true", help="train tagger's defaults instead of RECIPE")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    d = "ud-english-lines/"
    train_p, dev_p, test_p = (shared(d + f"en_lines-ud-{s}.conllu") for s in ("train", "dev", "test"))
    home = OUT / "tag-pos"
    home.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine_start": machine()}
    print(report["machine_start"], flush=True)
    if not args.no_peer:
        acc, secs = udpipe(train_p, dev_p, test_p, home)
        report["udpipe"] = {"upos_accuracy": acc, "seconds": round(secs, 1)}
        print(f"UDPipe 1: UPOS {100 * acc:.2f} % in {secs:.0f} s  ({machine()})", flush=True)
    t0 = time.time()
    vec_args: list[str] = []
    if not args.no_pretrain:
        from wordshell.tag.data import read_tagged
        from wordshell.store import Store

        corpus = home / "vec-corpus"
        corpus.mkdir(exist_ok=True)
        words = read_tagged(Store(home), [str(train_p)]).words
        (corpus / "lines-train.txt").write_text("".join(" ".join(s) + "\n" for s in words))
        (corpus / "wiki.train.tokens").write_bytes(shared("wikitext-2/wiki.train.tokens").read_bytes())
        for old in corpus.glob("*.txt"):
            if old.name != "lines-train.txt":
                old.unlink()
        if args.pretrain_text == "more":
            more_text(corpus)
        wordshell(home, "train", args.pretrain_kind, "posvec", "--corpus", str(corpus), "--split", "whitespace",
                  "--dim", "100", "--epochs", str(args.pretrain_epochs), "--min-count", str(args.pretrain_min_count),
                  "--workers", "2",
                  "--force", "-q")
        vec_args = ["--vectors", "posvec"]
        report["pretrain_seconds"] = round(time.time() - t0, 1)
        report["pretrain_text"] = args.pretrain_text
        report["pretrain_kind"] = f"{args.pretrain_kind}, min count {args.pretrain_min_count}, {args.pretrain_epochs} epochs"
        print(f"{args.pretrain_kind} pretraining: {report['pretrain_seconds']} s", flush=True)
    t1 = time.time()
    p = wordshell(home, "train", "tagger", "pos", "--data", str(train_p), "--valid", str(dev_p), "--tags", "upos",
                  "--time", f"{args.minutes}m", "--schedule", "cosine", "--seed", str(args.seed), *vec_args,
                  *([] if args.no_recipe else RECIPE), *args.extra.split(), "--force", check=False)
    if p.returncode:
        raise SystemExit(p.stderr[-3000:])
    for line in p.stderr.splitlines():
        if line.startswith("epoch "):
            print("wordshell: " + line, flush=True)
    train_secs = time.time() - t1
    ev = json.loads(wordshell(home, "eval", "tagger", "--model", "pos", "--data", str(test_p), "--format", "json").stdout)
    report["wordshell"] = {"upos_accuracy": ev["accuracy"], "unseen_accuracy": ev["unseen_accuracy"],
                           "unseen_tokens": ev["unseen_tokens"], "tokens": ev["tokens"],
                           "train_seconds": round(train_secs, 1), "total_seconds": round(time.time() - t0, 1),
                           "options": p.args[3:]}
    report["machine_end"] = machine()
    print(f"wordshell tagger: UPOS {100 * ev['accuracy']:.2f} % (unseen words {100 * ev['unseen_accuracy']:.2f} %), "
          f"train {train_secs:.0f} s, with pretraining {report['wordshell']['total_seconds']:.0f} s  ({machine()})")
    (OUT / "tag-pos.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

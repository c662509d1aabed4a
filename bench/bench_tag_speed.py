"""`wordshell tag` throughput, whole process: 10,000 piped sentences, and peak memory at 10,000 vs 40,000
(flat memory: the same), beside UDPipe 1 tagging the same sentences in a whole process too.

    python bench/bench_tag_speed.py                  # the models of bench_tag_pos.py (bench/out/tag-pos)
    python bench/bench_tag_speed.py --rounds 5 --device cuda

Input: the raw sentences of UD English-LinES (`# text =` lines of train, dev and test, 5,696), repeated to
10,000 (and 40,000) lines. wordshell reads them raw (its PTB-like tokenizer) and pre-tokenised
(`--split whitespace`); UDPipe 1 (ufal.udpipe, the model bench_tag_pos.py trained, no tokenizer of its
own) reads the pre-tokenised lines in its `horizontal` format. Rounds are interleaved; medians reported.
Peak memory is the child's max RSS (RUSAGE_CHILDREN of a fresh wrapper per run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, env_for, machine, median, shared, wordshell  # noqa: E402

sys.path.insert(0, str(ROOT))

UDPIPE = r"""
import sys, ufal.udpipe as u
m = u.Model.load(sys.argv[1])
p = u.Pipeline(m, "horizontal", u.Pipeline.DEFAULT, u.Pipeline.NONE, "conllu")
err = u.ProcessingError()
sys.stdout.write(p.process(sys.stdin.read(), err))
"""

MEASURE = r"""
import resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    code = subprocess.run(sys.argv[3:], stdin=f, stdout=out).returncode
dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def measure(cmd: list[str], src: Path, dst: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of `cmd < src > dst`, start-up included."""
    p = subprocess.run([sys.executable, "-c", MEASURE, str(src), str(dst), *cmd], env=env, capture_output=True,
                       text=True, check=True)
    secs, kb, code = p.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(cmd)} failed ({code})")
    return float(secs), int(kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", default="pos", help="a tagger in bench/out/tag-pos (trained if missing)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--train-minutes", type=float, default=3.0, help="when no tagger is there yet")
    args = ap.parse_args()
    from wordshell.tag.predict import tokenize

    home = OUT / "tag-pos"
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "checkpoints" / args.model / "model.json").exists():
        print(f"no tagger from bench_tag_pos.py: training one for {args.train_minutes:g} minutes", flush=True)
        wordshell(home, "train", "tagger", args.model, "--data",
                  str(shared("ud-english-lines/en_lines-ud-train.conllu")), "--time", f"{args.train_minutes}m",
                  "--force", "-q")
    text = []
    for s in ("train", "dev", "test"):
        for line in shared(f"ud-english-lines/en_lines-ud-{s}.conllu").read_text(encoding="utf-8").splitlines():
            if line.startswith("# text = "):
                text.append(line[9:])
    work = OUT / "tag-speed"
    work.mkdir(parents=True, exist_ok=True)
    files = {}
    for n in (10_000, 40_000):
        lines = (text * (n // len(text) + 1))[:n]
        files[n] = work / f"raw-{n}.txt"
        files[n].write_text("".join(t + "\n" for t in lines))
        files[f"tok{n}"] = work / f"tok-{n}.txt"
        files[f"tok{n}"].write_text("".join(" ".join(w for w, _, _ in tokenize(t)) + "\n" for t in lines))
    env = env_for(home)
    ws = [sys.executable, "-m", "wordshell", "tag", "--model", args.model, "--device", args.device]
    runs = {"wordshell raw": (ws, files[10_000]), "wordshell pre-tokenised": (ws + ["--split", "whitespace"],
                                                                             files["tok10000"])}
    udpipe_model = home / "udpipe.model"
    if udpipe_model.exists():
        runs["udpipe 1 pre-tokenised"] = ([sys.executable, "-c", UDPIPE, str(udpipe_model)], files["tok10000"])
    print(machine(), flush=True)
    times: dict[str, list] = {k: [] for k in runs}
    peak: dict[str, float] = {}
    for r in range(args.rounds):
        for name, (cmd, src) in runs.items():
            secs, mb = measure(cmd, src, work / "out.txt", env)
            times[name].append(secs)
            peak[name] = max(peak.get(name, 0), mb)
            print(f"round {r + 1} {name}: {secs:.2f} s ({10_000 / secs:,.0f} sentences/s), {mb:.0f} MB", flush=True)
    secs40, mb40 = measure(ws, files[40_000], work / "out.txt", env)
    lines_out = (work / "out.txt").read_text().count("\n")
    assert lines_out == 40_000, lines_out
    report = {"machine": machine(), "device": args.device, "sentences": 10_000,
              "tokens": sum(len(l.split()) for l in files["tok10000"].read_text().splitlines()),
              **{name: {"median_seconds": round(median(t), 3), "sentences_per_sec": round(10_000 / median(t)),
                        "peak_mb": round(peak[name])} for name, t in times.items()},
              "wordshell raw 40k": {"seconds": round(secs40, 2), "sentences_per_sec": round(40_000 / secs40),
                                    "peak_mb": round(mb40)}}
    (OUT / f"tag-speed-{args.device.replace(':', '')}.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

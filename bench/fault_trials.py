"""Fault trials: kill -9 during training and saving, and two trainings of one name at once.

    python bench/fault_trials.py [--trials 20] [--seed 1]

Each trial starts a real `wordshell train ...` (word2vec, fasttext, lm, classifier in turn; each kind
meets every case: new or --force over an existing model, killed while training or while saving; 10 of
20 trials are --force) and kills it with SIGKILL: while it trains (at a random moment between 10 %
and 90 % of an undisturbed run, measured first) or while it saves (the moment its first temp file or
checkpoint appears in the folder it builds, polled every few milliseconds), then checks:
    lost          a --force trial whose previous model no longer answers exactly as before
    unloadable    a model.json whose model does not load and answer (similar / generate / classify)
    stray temps   `*.tmp` files left in checkpoints/ once the next run of that name has finished
Then the concurrency trials: while one training of a name runs (foreground), a second one of the same
name (foreground, --force, or --background) must be refused, every time.
Prints the counts; exit code 1 if any is not zero.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

from common import OUT, env_for

KINDS = {
    "word2vec": (["train", "word2vec", "{n}", "--corpus", "lee", "--min-count", "3", "--workers", "1",
                  "--epochs", "20"], ["similar", "government", "--model", "{n}", "--top", "5"]),
    "fasttext": (["train", "fasttext", "{n}", "--corpus", "lee", "--min-count", "3", "--workers", "1",
                  "--epochs", "8", "--bucket", "20000"], ["similar", "governmentt", "--model", "{n}", "--top", "5"]),
    "lm": (["train", "lm", "{n}", "--corpus", "lee", "--hidden", "32", "--emb", "32", "--layers", "1",
            "--epochs", "2", "--ckpt-every", "10", "--threads", "1"],
           ["generate", "the", "--model", "{n}", "--greedy", "--length", "5"]),
    "classifier": (["train", "classifier", "{n}", "--data", "polarity", "--epochs", "40"],
                   ["classify", "--model", "{n}", "a fine film", "--probs"]),
}


def ws(home, args, **kw):
    return subprocess.run([sys.executable, "-m", "wordshell", *args], env=env_for(home), capture_output=True,
                          text=True, **kw)


def fill(args, name):
    return [a.replace("{n}", name) for a in args]


def answer(home, kind, name):
    r = ws(home, fill(KINDS[kind][1], name))
    return r.stdout if r.returncode == 0 else None


def temps(home):
    return [str(p) for p in (home / "checkpoints").rglob("*.tmp")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    home = OUT / "faults"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    durations = {}
    for kind, (train, _) in KINDS.items():  # an undisturbed run of each, for the kill times
        t = time.monotonic()
        r = ws(home, fill(train, f"clean-{kind}"))
        assert r.returncode == 0, r.stderr
        durations[kind] = time.monotonic() - t
    print("undisturbed runs (s):", {k: round(v, 1) for k, v in durations.items()}, flush=True)
    lost = unloadable = stray = 0
    kinds = list(KINDS)
    for i in range(a.trials):
        # every kind meets the four cases (new / --force x killed training / saving) once in 16 trials;
        # trials 17-20 give each kind one more case, two of them --force: 10 of 20 trials are --force
        kind = kinds[i % len(kinds)]
        case = (i // 4 + (i % 4 if i >= 16 else 0)) % 4
        force = case % 2 == 1
        name = f"t{i}-{kind}"
        train = fill(KINDS[kind][0], name)
        before = None
        if force:
            r = ws(home, train)
            assert r.returncode == 0, r.stderr
            before = answer(home, kind, name)
            train = train + ["--force"]
        saving = case >= 2
        build_dir = home / "checkpoints" / (f".{name}.next" if force else name)
        p = subprocess.Popen([sys.executable, "-m", "wordshell", *train], env=env_for(home),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        if saving:  # the first file written into the build folder: a save is under way
            while p.poll() is None and not (build_dir.is_dir() and any(
                    f.suffix in (".tmp", ".npy", ".safetensors") for f in build_dir.rglob("*"))):
                time.sleep(0.003)
        else:
            time.sleep(rng.uniform(0.1, 0.9) * durations[kind])
        delay = time.monotonic() - t0
        finished = p.poll() is not None
        p.send_signal(signal.SIGKILL)
        p.wait()
        d = home / "checkpoints" / name
        now = answer(home, kind, name) if (d / "model.json").exists() else None
        verdict = "ok"
        if force and now != before and not finished:
            lost += 1
            verdict = "LOST"
        if (d / "model.json").exists() and now is None:
            unloadable += 1
            verdict = "UNLOADABLE"
        # the next run of the name: resume what can be resumed, else start over
        again = fill(KINDS[kind][0], name) + (["--resume"] if kind == "lm" else ["--force"])
        r = ws(home, again)
        if r.returncode != 0:
            r = ws(home, fill(KINDS[kind][0], name) + ["--force"])
        if r.returncode != 0 or answer(home, kind, name) is None:
            unloadable += 1
            verdict = f"RERUN FAILED: {r.stderr.strip()[-200:]}"
        left = temps(home)
        stray += len(left)
        print(f"trial {i + 1:2d} {kind:10s} {'--force' if force else 'new    '} "
              f"killed {'saving  ' if saving else 'training'} at {delay:5.2f}s"
              f"{' (had finished)' if finished else ''}: {verdict}{'; stray ' + str(left) if left else ''}",
              flush=True)
    refused = tries = 0
    for j, extra in enumerate([[], ["--force"], ["--background"]] * 2):
        kind = "lm"
        name = f"c{j}"
        first = subprocess.Popen([sys.executable, "-m", "wordshell", *fill(KINDS[kind][0], name),
                                  "--epochs", "50"], env=env_for(home), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (home / ".wordshell" / "locks" / f"{name}.lock").exists():
            time.sleep(0.05)
        time.sleep(0.5)
        r = ws(home, fill(KINDS[kind][0], name) + extra)
        tries += 1
        ok = r.returncode == 2 and "is being trained by" in r.stderr
        refused += ok
        print(f"concurrent {j + 1}: second run {' '.join(extra) or '(plain)'}: "
              f"{'refused' if ok else 'NOT REFUSED'}: {r.stderr.strip()}", flush=True)
        first.send_signal(signal.SIGKILL)
        first.wait()
    print(json.dumps({"trials": a.trials, "force_trials": a.trials // 2, "lost": lost, "unloadable": unloadable,
                      "stray_temp_files": stray, "concurrent_tries": tries, "second_refused": refused}))
    sys.exit(1 if lost or unloadable or stray or refused != tries else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

"""How the shell feels with training jobs running: start-up, keystroke echo, Tab, `similar`.

Drives `wordshell` through a pty with pexpect (a terminal that answers cursor-position requests,
so the toolbar draws as on a real one), first idle, then with two word2vec jobs training in the
background. Peers measured in the same run, under the same load:

    bare prompt-toolkit   PromptSession().prompt() with nothing else: the floor for start-up and echo
    one-shot CLI          `wordshell similar ...` as a new process each time (what the shell saves)

    python bench/bench_repl.py [--data ../shared/data] [--jobs 2] [--keys 40] [--queries 10]

Prints medians (and p90) in milliseconds. Needs pexpect; trains on WikiText-2 from --data.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
CPR = "\x1b[6n"
PROMPT = re.compile(r"wordshell[^\r\n]*>")
PEER_PROMPT = "peer>"
ESC = r"(?:\x1b\[[0-9;?]*[a-zA-Z])*"  # terminal codes prompt-toolkit may write before the output
PEER = ("from prompt_toolkit import PromptSession\n"
        "s = PromptSession()\n"
        "while True:\n"
        "    try: s.prompt('peer> ')\n"
        "    except EOFError: break\n")


class Term:
    """A pty child whose 'terminal' answers cursor position requests."""

    def __init__(self, argv: list[str], env: dict):
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", codec_errors="replace",
                                   dimensions=(40, 150), timeout=60)
        self.child.delaybeforesend = None  # pexpect sleeps 50 ms before each send by default
        if os.environ.get("BENCH_LOG"):
            self.child.logfile_read = open(os.environ["BENCH_LOG"], "a")

    def expect(self, pattern, exact=False):
        while True:
            if exact:
                i = self.child.expect_exact([CPR, pattern])
            else:
                i = self.child.expect([re.escape(CPR), pattern])
            if i == 0:
                self.child.send("\x1b[1;1R")
                continue
            return

    def drain(self, quiet=0.05):
        """Read and drop what the child has printed so far, so the next expect sees only new output."""
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=quiet)
            except pexpect.TIMEOUT:
                return
            if CPR in data:
                self.child.send("\x1b[1;1R")

    def send(self, text):
        self.child.send(text)

    def close(self):
        self.child.sendeof()
        try:
            self.child.expect(pexpect.EOF, timeout=10)
        except pexpect.TIMEOUT:
            pass
        self.child.close(force=True)


def ms(xs):
    xs = sorted(xs)
    return f"{1000 * statistics.median(xs):7.1f} (p90 {1000 * xs[int(0.9 * (len(xs) - 1))]:6.1f})"


def startup(argv, env, prompt, n=5):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        term = Term(argv, env)
        term.expect(prompt, exact=isinstance(prompt, str))
        times.append(time.perf_counter() - t0)
        term.close()
    return times


def echo(term, keys, lead=""):
    """Time from sending one key to seeing it come back, `keys` times, after typing `lead`."""
    if lead:
        term.send(lead)
        time.sleep(0.3)
    times = []
    letters = "qxzvwy"  # letters that escape sequences never contain
    for i in range(keys):
        ch = letters[i % len(letters)]
        time.sleep(0.03 + random.random() * 0.05)  # a fast typist, not a flood
        term.drain()
        t0 = time.perf_counter()
        term.send(ch)
        term.expect(ch, exact=True)
        times.append(time.perf_counter() - t0)
    term.send("\x15")  # Ctrl-U: clear the line
    time.sleep(0.2)
    return times


def tab(term, n=5):
    times = []
    for _ in range(n):
        term.send("similar gover")
        time.sleep(0.3)
        term.drain()
        t0 = time.perf_counter()
        term.send("\t")
        term.expect("government", exact=True)
        times.append(time.perf_counter() - t0)
        term.send("\x1b\x15")  # Escape closes the menu, Ctrl-U clears the line
        time.sleep(0.3)
        term.drain()
    return times


def queries(term, words, model):
    times = []
    for w in words:
        term.drain()
        t0 = time.perf_counter()
        term.send(f"similar {w} --model {model} --top 10 --format tsv\r")
        term.expect(rf"\n{ESC}10\t")
        times.append(time.perf_counter() - t0)
        term.expect(PROMPT)
    return times


def one_shot(env, words, model):
    times = []
    for w in words:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "wordshell", "similar", w, "--model", model, "--top", "10"],
                       env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keys", type=int, default=40)
    ap.add_argument("--queries", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="Keep the temporary workspace.")
    a = ap.parse_args()
    corpus = Path(a.data) / "wikitext-2" / "wiki.train.tokens"
    home = Path(tempfile.mkdtemp(prefix="bench-repl-"))
    env = dict(os.environ, WORDSHELL_HOME=str(home), TERM="xterm",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ws = [sys.executable, "-m", "wordshell"]
    peer = [sys.executable, "-c", PEER]
    print(f"workspace {home}; corpus {corpus}; {os.cpu_count()} CPUs")

    t0 = time.perf_counter()
    subprocess.run(ws + ["-q", "train", "word2vec", "wt2", "--corpus", str(corpus), "--split", "whitespace",
                         "--epochs", "1", "--min-count", "1"], env=env, check=True, capture_output=True)
    words = (home / "checkpoints" / "wt2" / "vocab.txt").read_text().split("\n")
    print(f"query model: word2vec on WikiText-2, {len(words) - 1:,} words x 100 ({time.perf_counter() - t0:.0f} s)")
    rng = random.Random(0)
    sample = [w for w in words[100:3000] if w.isalpha()]
    qwords = rng.sample(sample, a.queries)

    results: dict[str, dict[str, list[float]]] = {}

    def measure(label):
        r = results[label] = {}
        r["start-up: wordshell shell"] = startup(ws, env, PROMPT)
        r["start-up: bare prompt-toolkit (peer)"] = startup(peer, env, PEER_PROMPT)
        term = Term(ws, env)
        term.expect(PROMPT)
        r["keystroke echo: wordshell (after 'similar ')"] = echo(term, a.keys, "similar ")
        r["Tab -> 'government' (33k vocab)"] = tab(term)
        term.drain()
        t0 = time.perf_counter()
        term.send("similar the --model wt2 --top 1 --format tsv\r")  # the first query maps the model
        term.expect(rf"\n{ESC}1\t")
        r["similar, first in the shell (cold)"] = [time.perf_counter() - t0]
        term.expect(PROMPT)
        r["similar in the shell (warm)"] = queries(term, qwords, "wt2")
        term.close()
        pt = Term(peer, env)
        pt.expect(PEER_PROMPT, exact=True)
        r["keystroke echo: bare prompt-toolkit (peer)"] = echo(pt, a.keys)
        pt.close()
        r["similar, one-shot CLI process (peer)"] = one_shot(env, qwords[:5], "wt2")

    measure("idle")
    # the load: N word2vec jobs on WikiText-2, started as a user would
    for i in range(a.jobs):
        subprocess.run(ws + ["train", "word2vec", f"load{i}", "--corpus", str(corpus), "--split", "whitespace",
                             "--epochs", "50", "--background"], env=env, check=True, capture_output=True)
    time.sleep(8)  # past gensim's import and the vocabulary scan: training at full speed
    load = subprocess.run(ws + ["jobs", "--format", "tsv"], env=env, capture_output=True, text=True).stdout
    print("jobs running during the 'loaded' run:\n  " + load.strip().replace("\n", "\n  "))
    try:
        measure(f"{a.jobs} jobs training")
    finally:
        subprocess.run(ws + ["jobs", "cancel", "--all"], env=env, capture_output=True)

    print(f"\n{'milliseconds, median (p90)':<48}" + "".join(f"{k:>26}" for k in results))
    for key in next(iter(results.values())):
        print(f"{key:<48}" + "".join(f"{ms(r[key]):>26}" for r in results.values()))
    if not a.keep:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()

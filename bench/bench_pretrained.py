"""Pretrained vectors at full size (issue 13): import, one-shot and shell queries, ANN, download.

    python bench/make_vectors.py --rows 400000            # once: bench/out/vec-400k/ (see that script)
    flock /tmp/wordshell-heavy.lock python bench/bench_pretrained.py --set 400k --parts import,query,shell
    flock /tmp/wordshell-heavy.lock python bench/bench_pretrained.py --set 2m --parts import,query,shell,ann
    flock /tmp/wordshell-heavy.lock python bench/bench_pretrained.py --parts download --mb 1024

Every figure has its peer measured in the same run, interleaved:
  import    `wordshell models import FILE` vs gensim's KeyedVectors.load_word2vec_format(FILE), each
            in its own process under /usr/bin/time -v (wall seconds, peak RSS); the file is read
            once before (both run from the page cache). --gensim-formats limits which formats the
            (slow) gensim text reader is run on.
  query     `wordshell similar WORD --model M` whole process, median of --runs, vs a gensim script
            `KeyedVectors.load(kv, mmap='r').most_similar(WORD)` on the same vectors (gensim's own
            .kv saved once from the imported model); neighbours compared word for word.
  shell     `similar` through the shell's code path (an interactive Session kept alive), median ms
            after the first load; with --parts ann also through `models index` (recall@10 vs exact).
  fasttext  `models import model.bin` vs gensim's load_facebook_vectors: the bundled .bin files, and
            make_vectors.py --fasttext's synthetic one (gensim on it only with --gensim-fasttext: >10 GB)
  download  `models download`'s fetch() vs curl from the same local server (a Range-capable
            http.server), median of 3; then a transfer killed half-way (SIGKILL) and resumed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, ROOT, env_for, machine, median  # noqa: E402

WORDS = ["king", "queen", "city", "music", "river", "army", "film", "government", "war", "the"]
FORMATS = {"glove": ("glove.txt", dict(binary=False, no_header=True)),
           "word2vec-text": ("vectors.vec", dict(binary=False)),
           "word2vec": ("vectors.bin", dict(binary=True))}


def timed_rss(cmd: list[str], env=None) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of a command under /usr/bin/time -v."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return wall, rss, p.stdout


def warm(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(64 << 20):
            pass


def part_import(d: Path, home: Path, tag: str, fmts: list[str], gensim_fmts: list[str], rows: int, dim: int):
    print(f"\n## import ({tag}: {rows:,} x {dim}; final array {rows * dim * 4 / 2**20:,.0f} MB float32)")
    env = env_for(home)
    for fmt in fmts:
        fname, kw = FORMATS[fmt]
        path = d / fname
        warm(path)
        ours, ours_rss, _ = timed_rss([sys.executable, "-m", "wordshell", "models", "import", str(path),
                                       f"{tag}-{fmt}", "-F", fmt, "--force", "-q"], env)
        line = (f"{fmt:14s} {path.stat().st_size / 1e9:5.2f} GB  wordshell {ours:7.1f} s {ours_rss:7.0f} MB peak"
                f" ({ours_rss / (rows * dim * 4 / 2**20):.2f}x the array)")
        if fmt in gensim_fmts:
            warm(path)
            script = (f"from gensim.models import KeyedVectors as K; "
                      f"K.load_word2vec_format({str(path)!r}, binary={kw.get('binary', False)}, "
                      f"no_header={kw.get('no_header', False)})")
            g, g_rss, _ = timed_rss([sys.executable, "-c", script])
            line += f" | gensim {g:7.1f} s {g_rss:7.0f} MB peak | speed x{g / ours:.1f}"
        print(line, flush=True)


def part_fasttext(d: Path, home: Path, gensim_big: bool):
    """fastText .bin: the bundled files, and the synthetic model.bin of cc.*.300's shape if made."""
    sys.path.insert(0, str(ROOT))
    from wordshell.corpus.sources import gensim_data_dir

    files = [gensim_data_dir() / "lee_fasttext.bin", gensim_data_dir() / "lee_fasttext_new.bin"]
    if (d / "model.bin").exists():
        files.append(d / "model.bin")
    print("\n## fastText .bin import (composed word vectors + n-gram buckets)")
    env = env_for(home)
    for path in files:
        warm(path)
        ours, rss, _ = timed_rss([sys.executable, "-m", "wordshell", "models", "import", str(path), "ftb",
                                  "-F", "fasttext", "--force", "-q"], env)
        line = f"{path.name:22s} {path.stat().st_size / 1e9:6.2f} GB  wordshell {ours:7.1f} s {rss:7.0f} MB peak"
        if path.name != "model.bin" or gensim_big:
            script = f"from gensim.models.fasttext import load_facebook_vectors as L; L({str(path)!r})"
            g, g_rss, _ = timed_rss([sys.executable, "-c", script])
            line += f" | gensim load_facebook_vectors {g:7.1f} s {g_rss:7.0f} MB peak | speed x{g / ours:.1f}"
        print(line, flush=True)


def gensim_kv(home: Path, model: str) -> Path:
    """gensim's own .kv of the imported vectors (saved once), for its mmap='r' load."""
    kvf = OUT / f"{model}.kv"
    if not kvf.exists():
        script = ("import sys, numpy as np; sys.path.insert(0, %r)\n"
                  "from wordshell.store import Store; from wordshell.vectors.keyed import KeyedVectors\n"
                  "from gensim.models import KeyedVectors as G\n"
                  "kv = KeyedVectors.from_store(Store(%r), %r)\n"
                  "g = G(kv.dim, count=len(kv)); g.add_vectors(list(kv.words), np.asarray(kv.vectors, dtype=np.float32))\n"
                  "g.fill_norms(); g.save(%r)\n") % (str(ROOT), str(home), model, str(kvf))
        subprocess.run([sys.executable, "-c", script], check=True)
    return kvf


def part_query(home: Path, model: str, runs: int, f16: str | None):
    print(f"\n## one-shot similar ({model}), median of {runs}, whole process; {machine()}")
    env = env_for(home)
    kvf = gensim_kv(home, model)
    ours_t, f16_t, g_t, floor_t = [], [], [], []
    same = 0
    for i in range(runs):
        # the floor of any numpy-based query, same interpreter, same moment: start Python, import numpy
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy"], env=env, check=True)
        floor_t.append(time.perf_counter() - t)
        w = WORDS[i % len(WORDS)]
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-m", "wordshell", "similar", w, "--model", model, "--top", "10"],
                           env=env, capture_output=True, text=True, check=True)
        ours_t.append(time.perf_counter() - t)
        if f16:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "wordshell", "similar", w, "--model", f16], env=env,
                           capture_output=True, check=True)
            f16_t.append(time.perf_counter() - t)
        script = ("import sys; from gensim.models import KeyedVectors as K; "
                  f"k = K.load({str(kvf)!r}, mmap='r'); "
                  f"print('\\n'.join(w for w, _ in k.most_similar({w!r}, topn=10)))")
        t = time.perf_counter()
        g = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        g_t.append(time.perf_counter() - t)
        ours_words = [line.split("\t")[1] for line in p.stdout.splitlines()]
        same += ours_words == g.stdout.split()
    print(f"wordshell similar       {median(ours_t):.3f} s  (min {min(ours_t):.3f})")
    if f16:
        print(f"wordshell float16       {median(f16_t):.3f} s  (min {min(f16_t):.3f})")
    print(f"gensim .kv mmap='r'     {median(g_t):.3f} s  (min {min(g_t):.3f})")
    print(f"floor: python -c 'import numpy'  {median(floor_t):.3f} s  (min {min(floor_t):.3f}); wordshell's "
          f"query above it: {median(ours_t) - median(floor_t):.3f} s")
    print(f"ratio ours/gensim       {median(ours_t) / median(g_t):.3f}; neighbours identical to gensim's in "
          f"{same}/{runs} queries", flush=True)


def part_shell(home: Path, model: str, ann: bool):
    import io

    sys.path.insert(0, str(ROOT))
    from wordshell.cli import execute
    from wordshell.session import Session

    out, err = io.StringIO(), io.StringIO()
    s = Session(home, fmt="tsv", interactive=True, out=out, err=err)
    print(f"\n## shell similar ({model}), after the first load; {machine()}")
    if ann:
        t = time.perf_counter()
        code = execute(["models", "index", model], s)
        assert code == 0, err.getvalue()
        print(f"models index: {time.perf_counter() - t:.0f} s; {out.getvalue().strip().splitlines()[-1]}")
    kv = s.vectors(model)
    rng_rows = list(range(10, len(kv), max(1, len(kv) // 200)))[:200]
    queries = [kv.words[i] for i in rng_rows]
    for mode in (["--exact"], []) if ann else (["--exact"],):
        execute(["similar", queries[0], "-m", model, *mode], s)  # the first load
        times, got = [], []
        for w in queries:
            out.seek(0)
            out.truncate()
            t = time.perf_counter()
            execute(["similar", w, "-m", model, *mode], s)
            times.append(time.perf_counter() - t)
            got.append([line.split("\t")[1] for line in out.getvalue().splitlines()])
        label = "exact" if mode else "index"
        print(f"similar ({label:5s})  median {1000 * median(times):6.2f} ms  p90 "
              f"{1000 * sorted(times)[int(0.9 * len(times))]:6.2f} ms over {len(times)} words", flush=True)
        if mode:
            exact = got
        else:
            rec = sum(len(set(a) & set(b)) for a, b in zip(got, exact)) / (10 * len(got))
            print(f"recall@10 of the index against the exact scan: {rec:.3f}")


SERVER = r'''
import http.server, os, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        path = self.translate_path(self.path); size = os.path.getsize(path); start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0]); self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size-1}/{size}")
            sys.stderr.write(f"range {start}\n"); sys.stderr.flush()
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(size - start)); self.send_header("ETag", '"1"'); self.end_headers()
        with open(path, "rb") as f:
            f.seek(start)
            try:
                os.sendfile(self.wfile.fileno(), f.fileno(), start, size - start)
            except (BrokenPipeError, ConnectionResetError):
                pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), lambda *a: H(*a, directory=sys.argv[1]))
srv.serve_forever()
'''


def part_download(mb: int):
    d = OUT / "dl"
    d.mkdir(parents=True, exist_ok=True)
    src = d / "fixture.bin"
    if not src.exists() or src.stat().st_size != mb << 20:
        with open(src, "wb") as f:
            for _ in range(mb):
                f.write(os.urandom(1 << 20))
    md5 = hashlib.md5(src.read_bytes()).hexdigest()
    port = 18765
    log = open(d / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(d), str(port)], stderr=log)
    time.sleep(1.0)
    url = f"http://127.0.0.1:{port}/fixture.bin"
    fetch = ("import sys; sys.path.insert(0, %r); from pathlib import Path; from wordshell.vectors.fetch import fetch; "
             "fetch(%r, Path(%r), checksum='md5:%s')") % (str(ROOT), url, str(d / "got.bin"), md5)
    print(f"\n## download of a {mb} MB file from a local server; {machine()}")
    try:
        ours, curl, curl_same = [], [], []
        same = ("import hashlib, os, sys; f = open(sys.argv[1], 'rb'); h = hashlib.md5()\n"
                "for b in iter(lambda: f.read(1 << 22), b''): h.update(b)\n"
                "fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)")
        for _ in range(3):
            (d / "got.bin").unlink(missing_ok=True)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", fetch], check=True)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run(["curl", "-s", "-o", str(d / "curl.bin"), url], check=True)
            curl.append(time.perf_counter() - t)
            # the same guarantees as fetch: the checksum checked and the file on disk (fsync) before use
            (d / "curl.bin").unlink()
            t = time.perf_counter()
            subprocess.run(["curl", "-s", "-o", str(d / "curl.bin"), url], check=True)
            subprocess.run([sys.executable, "-c", same, str(d / "curl.bin")], check=True)
            curl_same.append(time.perf_counter() - t)
        print(f"fetch (md5 checked)  {median(ours):.2f} s = {mb / median(ours):.0f} MB/s")
        print(f"curl -o              {median(curl):.2f} s = {mb / median(curl):.0f} MB/s")
        print(f"curl + md5 + fsync   {median(curl_same):.2f} s = {mb / median(curl_same):.0f} MB/s")
        print(f"ours / curl time     {median(ours) / median(curl):.3f}; "
              f"ours / (curl + md5 + fsync) {median(ours) / median(curl_same):.3f}")
        # killed half-way, then resumed
        (d / "got.bin").unlink(missing_ok=True)
        part = d / "got.bin.part"
        p = subprocess.Popen([sys.executable, "-c", fetch])
        while not part.exists() or part.stat().st_size < (mb << 20) // 2:
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
        p.wait()
        kept = part.stat().st_size
        subprocess.run([sys.executable, "-c", fetch], check=True)
        ok = hashlib.md5((d / "got.bin").read_bytes()).hexdigest() == md5
        print(f"killed at {kept / 2**20:.0f} MB; resumed with a Range request from byte {kept:,}; "
              f"md5 {'matches' if ok else 'DIFFERS'}")
    finally:
        server.terminate()
        for f in ("got.bin", "curl.bin", "got.bin.part", "got.bin.part.json"):
            (d / f).unlink(missing_ok=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="400k", help="bench/out/vec-<set>/ from make_vectors.py")
    ap.add_argument("--parts", default="import,query,shell")
    ap.add_argument("--formats", default="glove,word2vec-text,word2vec")
    ap.add_argument("--gensim-formats", default="glove,word2vec-text,word2vec")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--gensim-fasttext", action="store_true", help="Also run gensim on the synthetic model.bin.")
    args = ap.parse_args()
    parts = args.parts.split(",")
    print(f"# bench_pretrained {args.set} {parts}; {machine()}; uptime: {os.popen('uptime').read().strip()}")
    home = OUT / "ws-pretrained"
    home.mkdir(parents=True, exist_ok=True)
    d = OUT / f"vec-{args.set}"
    if any(p in parts for p in ("import", "query", "shell", "ann")):
        head = next(open(d / f, "rb") for f in ("vectors.vec", "vectors.bin") if (d / f).exists()).readline().split()
        rows, dim = int(head[0]), int(head[1])
    if "import" in parts:
        part_import(d, home, args.set, args.formats.split(","), args.gensim_formats.split(","), rows, dim)
        env = env_for(home)
        subprocess.run([sys.executable, "-m", "wordshell", "models", "import", str(d / "vectors.bin"),
                        f"{args.set}-f16", "-F", "word2vec", "--dtype", "float16", "--force", "-q"], env=env, check=True)
    model = f"{args.set}-word2vec"
    if "fasttext" in parts:
        part_fasttext(d, home, args.gensim_fasttext)
    if "query" in parts:
        part_query(home, model, args.runs, f"{args.set}-f16")
    if "shell" in parts or "ann" in parts:
        part_shell(home, model, "ann" in parts)
    if "download" in parts:
        part_download(args.mb)
    print(f"# done; uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()

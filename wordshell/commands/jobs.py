"""`jobs`, `jobs watch|log|wait|cancel ID`: background training jobs (see jobs/).

ID is a job number or the name of the model the job trains.
"""

from __future__ import annotations

import time

import click

from wordshell.options import command, group, pass_session
from wordshell.errors import Cancelled, WordshellError
from wordshell.progress import fmt_count, fmt_duration
from wordshell.result import Result, message

HEADERS = ["id", "model", "kind", "state", "progress", "loss/ppl", "speed", "eta", "elapsed"]
# metrics shown in the loss/ppl column, first found wins (trainers report different ones)
METRIC_KEYS = ("loss", "train_loss", "ppl", "valid_ppl", "acc", "valid_acc", "train_acc")


@group("jobs")
@click.pass_context
def jobs(ctx):
    """Background training jobs (no subcommand = list).

    \b
      train word2vec big --corpus text8 --background    (or '... &' in the shell)
      jobs
      jobs watch 1
      jobs cancel 1
    """
    if ctx.invoked_subcommand is None:
        return ctx.invoke(list_jobs)
    return None


def job_metric(status: dict) -> str:
    metrics = status.get("metrics") or {}
    parts = []
    for key in METRIC_KEYS:
        v = metrics.get(key)
        # a loss of exactly 0 is a trainer that has not measured one yet (gensim mid-epoch), not a loss
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0:
            parts.append(f"{key} {v:.4g}")
        if len(parts) == 2:
            break
    return ", ".join(parts)


def job_speed(status: dict) -> str:
    speed = status.get("speed")
    if not speed:
        return ""
    return f"{fmt_count(speed)} {status.get('unit') or ''}/s".replace(" /s", "/s")


def job_progress(status: dict) -> str:
    frac = status.get("progress")
    if frac is None:
        return ""
    text = f"{100 * frac:.0f}%"
    epoch = (status.get("metrics") or {}).get("epoch")
    return f"{text} (epoch {epoch})" if epoch and status.get("state") in ("starting", "running") else text


@command("list")
@pass_session
def list_jobs(session):
    """Every job in the workspace (the last job of each model)."""
    found = session.jobs.list()
    if not found:
        return message("no jobs; start one with 'train word2vec NAME --corpus C --background' "
                       "(or end the line with & in the shell)")
    if session.fmt == "json":  # numbers, not text, for programs
        keys = ["id", "model", "kind", "state", "progress", "metrics", "speed", "eta", "elapsed", "phase",
                "pid", "error"]
        rows = [(j.id, j.model, j.status.get("kind"), j.state, j.status.get("progress"), j.status.get("metrics"),
                 j.status.get("speed"), j.status.get("eta") if j.active else None, j.elapsed, j.status.get("phase"),
                 j.pid, j.status.get("error")) for j in found]
        return Result(keys, rows)
    rows = []
    for j in found:
        s = j.status
        rows.append((j.id, j.model, s.get("kind", ""), j.state_text, job_progress(s), job_metric(s),
                     job_speed(s) if j.active else "", fmt_duration(s.get("eta")) if j.active else "",
                     fmt_duration(j.elapsed)))
    running = sum(j.active for j in found)
    notes = [f"{running} running; 'jobs watch ID' follows one, 'jobs cancel ID' stops it"] if running else []
    for j in [j for j in found if j.state == "failed" and not j.status.get("noticed")][-3:]:
        notes.append(f"job {j.id} failed: {j.status.get('error') or '?'} (see 'jobs log {j.id}')")
        session.jobs.mark_noticed(j)  # said once; the table keeps showing the state
    return Result(HEADERS, rows, title="Jobs", notes=notes,
                  styles={1: "bold"})


@command("watch")
@click.argument("job", metavar="ID")
@click.option("--interval", type=click.FloatRange(0.1, 60), default=0.5, show_default=True, help="Seconds between reads.")
@pass_session
def watch(session, job, interval):
    """Follow a job's progress live until it ends (Ctrl-C stops watching, not the job)."""
    from wordshell import progress as progress_mod

    mgr = session.jobs
    j = mgr.get(job)
    bar = progress_mod.for_stream(session.stderr, quiet=False)
    phase = None
    seen = max((e.get("seq", 0) for e in j.status.get("events") or []), default=0)
    try:
        while True:
            s = j.status
            if s.get("phase") and s.get("phase") != phase:
                if phase is not None:
                    bar.finish()
                phase = s["phase"]
                bar.start(f"job {j.id} {phase}", s.get("total"), s.get("unit") or "")
                # speed and ETA as the worker sees them, not since we started watching
                bar.t0 = time.monotonic() - max(0.0, time.time() - (s.get("phase_started") or time.time()))
            for e in s.get("events") or []:
                if e.get("seq", 0) > seen:
                    seen = e["seq"]
                    bar.log(f"job {j.id}: {e.get('message')}")
            if phase is not None and s.get("step") is not None:
                bar.update(s["step"], **(s.get("metrics") or {}))
            if not j.active:
                break
            time.sleep(interval)
            mgr.reap()
            j = mgr.get(j.id)
    except KeyboardInterrupt:
        bar.total = None  # stop drawing without pretending the job reached 100%
        bar.finish()
        return message(f"stopped watching; job {j.id} is still {j.state}", job=j.id, state=j.state)
    bar.finish()
    return _outcome(j)


def _outcome(j) -> Result:
    s = j.status
    if j.state == "done":
        return message(f"job {j.id} done in {fmt_duration(j.elapsed)}: model '{j.model}' is ready",
                       job=j.id, state=j.state, model=j.model)
    if j.state == "failed":
        raise WordshellError(f"job {j.id} ({j.model}) failed: {s.get('error') or '?'}", f"see 'jobs log {j.id}'")
    return message(f"job {j.id} {j.state_text} after {fmt_duration(j.elapsed)}", job=j.id, state=j.state)


@command("wait")
@click.argument("job", metavar="ID")
@click.option("--timeout", type=click.FloatRange(0), default=None, help="Give up after this many seconds.")
@pass_session
def wait(session, job, timeout):
    """Block until a job ends; exit non-zero if it failed."""
    try:
        j = session.jobs.wait(job, timeout)
    except KeyboardInterrupt:
        raise Cancelled("stopped waiting; the job goes on (see 'jobs')") from None
    if j.active:
        raise WordshellError(f"job {j.id} is still {j.state} after {timeout:g} s")
    return _outcome(j)


@command("cancel")
@click.argument("refs", nargs=-1, metavar="ID...")
@click.option("--all", "all_", is_flag=True, help="Cancel every running job.")
@click.option("--grace", type=click.FloatRange(0), default=5.0, show_default=True,
              help="Seconds between SIGTERM and SIGKILL.")
@pass_session
def cancel(session, refs, all_, grace):
    """Stop jobs: SIGTERM, then SIGKILL after --grace seconds. Checkpoints already written stay."""
    mgr = session.jobs
    if all_:
        refs = tuple(str(j.id) for j in mgr.list() if j.active)
        if not refs:
            return message("no running jobs")
    if not refs:
        raise click.UsageError("give a job ID (see 'jobs') or --all")
    out = []
    for ref in refs:
        before = mgr.get(ref)
        if not before.active:
            out.append(message(f"job {before.id} is already {before.state_text}", job=before.id, state=before.state))
            continue
        j, killed = mgr.cancel(before.id, grace)
        d = session.store.model_dir(j.model)
        if (d / "ckpt" / "last.safetensors").exists():
            kept = "its last checkpoint (ckpt/last) stays loadable"
        elif (d / "model.json").exists():
            kept = f"model '{j.model}' is unchanged (the previous version)"
        else:
            kept = "no model was saved"
        how = "killed after the grace period" if killed else "stopped"
        said = j.status.get("error")
        if said and said != "killed" and "resume" in said:
            kept += f" ({said})"  # the trainer's own word: 'stopped at step 135; continue with --resume'

        pct = f" at {100 * j.status['progress']:.0f}%" if j.status.get("progress") is not None else ""
        out.append(message(f"cancelled job {j.id} ({j.status.get('kind')} '{j.model}'){pct}: {how}; {kept}",
                           job=j.id, state=j.state, killed=killed))
        session.forget(j.model)
    return out


@command("log")
@click.argument("job", metavar="ID")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the job ends (or Ctrl-C).")
@click.option("--tail", "-n", type=click.IntRange(1), default=None, help="Only the last N lines.")
@pass_session
def log(session, job, follow, tail):
    """A job's log: the command, progress lines, epochs, errors."""
    j = session.jobs.get(job)
    path = j.log_path
    if not path.exists():
        raise WordshellError(f"job {j.id} has no log ({path})")
    mgr = session.jobs

    def lines():
        with open(path, encoding="utf-8", errors="replace") as f:
            if tail:
                from collections import deque

                yield from deque(f, maxlen=tail)
            else:
                yield from f
            if not follow:
                return
            current = j
            try:
                while True:
                    line = f.readline()
                    if line:
                        yield line
                        continue
                    if not current.active:
                        yield from f  # what it wrote while finishing
                        return
                    time.sleep(0.2)
                    current = mgr.get(current.id)
            except KeyboardInterrupt:
                return

    return Result(text=lines())


for _c in (list_jobs, watch, log, wait, cancel):
    jobs.add_command(_c)

"""`lecture`: the slides in order on your corpus, each step a wordshell command printed before it runs.

Missing models train in BACKGROUND JOBS by default, all started at the beginning: a teacher live on a
projector wants no dead air. The first slides need no model (or only word2vec, which is quick), so the
room discusses them while the language models train; a step whose model is still training shows that
job's live progress bar ('jobs watch'), so everyone sees why it waits and how long. `--train foreground`
trains each missing model right before the first step that needs it (one thing at a time, simplest to
follow on a slow machine). On a terminal the lecture pauses after each step (any key: next, q: stop);
in a pipe it runs straight through. The step list is explain/lecture.py.
"""

from __future__ import annotations

import shlex
import time

import click

from wordshell.errors import UsageError
from wordshell.options import command, pass_session
from wordshell.result import message


@command("lecture")
@click.option("--corpus", "-c", default="wiki-sample", show_default=True, metavar="NAME|PATH",
              help="The text everything is trained on (a corpus name or a file).")
@click.option("--train", "mode", type=click.Choice(["background", "foreground"]), default="background",
              show_default=True, help="Train missing models in background jobs (started at once) or each right "
                                      "before it is needed.")
@click.option("--part", type=click.Choice(["all", "vectors", "lm"]), default="all", show_default=True,
              help="Word vectors, language models, or both.")
@click.option("--start", type=click.IntRange(1, 100), default=1, show_default=True, help="Begin at step N.")
@click.option("--prefix", default="lec", show_default=True, help="Models are named PREFIX-w2v, PREFIX-lstm, ...")
@click.option("--lm-steps", type=click.IntRange(10, 1_000_000), default=300, show_default=True,
              help="Training steps of each language model.")
@click.option("--w2v-epochs", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--no-pause", is_flag=True, help="Run straight through, even on a terminal.")
@click.option("--list", "list_", is_flag=True, help="Print the lecture's commands without running them.")
@pass_session
def lecture(session, corpus, mode, part, start, prefix, lm_steps, w2v_epochs, no_pause, list_):
    """A guided lecture on your corpus: one-hot and dense vectors, word2vec's pairs and P(o|c), analogies,
    then language models, exploding and vanishing gradients, LSTM/GRU gates.

    \b
      lecture                                  (the bundled Wikipedia sample)
      lecture --corpus lee --part vectors
      lecture --list                           (the commands, to copy)
    """
    from wordshell.explain.lecture import ROLES, STEPS, Plan
    from wordshell.store import validate_name

    if corpus == "-":
        raise UsageError("the lecture needs a corpus it can read more than once", "give a name or a file")
    for role in ROLES:
        validate_name(f"{prefix}-{role}")
    plan = Plan(corpus, prefix, lm_steps, w2v_epochs)
    keep = {"all": None, "vectors": "word vectors", "lm": "language models"}[part]
    steps = [s for s in STEPS if keep is None or s.part == keep]
    if start > len(steps):
        raise UsageError(f"--start {start}: the lecture has {len(steps)} steps")
    steps = steps[start - 1:]
    if list_:
        plan.examples = {"centre": "CENTRE", "context": "CONTEXT", "onehot": "WORD1 WORD2 WORD3",
                         "analogy": "B - A + C", "expect": "D"}
        roles = [r for r in ROLES if any(r in s.needs for s in steps)]
        lines = [f"wordshell {plan.train_command(r)}" for r in roles] + [f"wordshell {plan.fill(s.template)}"
                                                                          for s in steps]
        return message("\n".join(lines), commands=lines)
    return Lecture(session, plan, steps, mode, pause=not no_pause).run(start)


class Lecture:
    """One run: the plan, the steps, what is trained or training, the terminal."""

    def __init__(self, session, plan, steps, mode: str, pause: bool):
        from wordshell.render import isatty

        self.session, self.plan, self.steps, self.mode = session, plan, steps, mode
        self.out = session.stdout
        self.tty = isatty(self.out)
        self.interactive = pause and self.tty and _stdin_tty()
        self.started: set[str] = set()       # roles whose training this run started
        self.failed: list[str] = []
        self.skipped: list[str] = []         # slides the corpus cannot show (the model lacks their words)

    # -- output ---------------------------------------------------------------------------------
    def say(self, text: str, style: str | None = None) -> None:
        from wordshell.render import paint

        self.out.write((paint(text, style, self.tty) if style else text) + "\n")
        self.out.flush()

    def run_line(self, line: str, why: str = "") -> int:
        from wordshell.cli import execute

        if why:
            self.say("# " + why, "dim")
        self.say("$ wordshell " + line, "bold")
        return execute(shlex.split(line), self.session)

    # -- models -----------------------------------------------------------------------------------
    def state(self, role: str) -> str:
        """ready | training | missing (or why it must be retrained)."""
        from wordshell.explain.lecture import missing

        job = self.session.jobs.job_of(self.plan.name(role)) if self._has_job(role) else None
        if job is not None and job.active:
            return "training"
        return missing(self.session, self.plan, role) or "ready"

    def _has_job(self, role: str) -> bool:
        return (self.session.store.model_dir(self.plan.name(role)) / "job.json").exists()

    def train(self, role: str, background: bool) -> None:
        reason = self.state(role)
        if reason in ("ready", "training") or role in self.started:
            return
        force = " --force" if reason != "missing" else ""
        why = f"model {self.plan.name(role)}: {reason}" if force else ""
        self.started.add(role)
        self.run_line(self.plan.train_command(role) + force + (" --background" if background else ""), why)

    def ensure(self, role: str) -> bool:
        """Make sure model `role` is ready before a step: train it now (foreground) or watch its job."""
        st = self.state(role)
        if st == "ready":
            return True
        if st != "training" and self.mode == "foreground":
            self.train(role, background=False)
        elif st == "training":
            self.run_line(f"jobs watch {self.plan.name(role)}",
                          f"{self.plan.name(role)} is still training in the background: its progress")
        elif role not in self.started:
            self.train(role, background=True)
            return self.ensure(role)
        return self.state(role) == "ready"

    # -- the lecture ------------------------------------------------------------------------------
    def run(self, first: int):
        from wordshell.explain.lecture import ROLES

        t0 = time.monotonic()
        total = len(self.steps) + first - 1
        roles = [r for r in ROLES if any(r in s.needs for s in self.steps)]
        steps = list(enumerate(self.steps, first))
        if self.mode == "background":
            todo = [r for r in roles if self.state(r) not in ("ready", "training")]
            if todo:
                # the corpus is read and tokenised once, here, before the jobs all need it at the same time
                if steps and steps[0][1].slide == "The corpus":
                    n, step = steps.pop(0)
                    if not self.show(n, step, total):
                        return self.stopped(n)
                else:
                    self.prepare_corpus()
                self.say(f"\n== Training {len(todo)} model(s) in the background while the lecture goes on ==",
                         "bold")
                for r in todo:
                    self.train(r, background=True)
        for n, step in steps:
            if not self.show(n, step, total):
                return self.stopped(n)
        secs = time.monotonic() - t0
        bad = f", {len(self.failed)} failed: {'; '.join(self.failed)}" if self.failed else ""
        if self.skipped:
            bad += f", {len(self.skipped)} skipped (words this corpus lacks): {'; '.join(self.skipped)}"
        return message(f"\nlecture done: {len(self.steps)} steps in {secs:.0f} s{bad}. Models: "
                       + ", ".join(self.plan.name(r) for r in roles), steps=len(self.steps), failed=self.failed,
                       skipped=self.skipped)

    def show(self, n: int, step, total: int) -> bool:
        """One slide: its models, its command; then the pause. False = the user stopped the lecture."""
        from wordshell.explain.lecture import choose_examples

        self.say(f"\n== {n}/{total}  {step.part}: {step.slide} ==", "bold")
        ready = all(self.ensure(r) for r in step.needs)
        if not ready:
            self.failed.append(step.slide)
            self.say(f"(skipped: {', '.join(self.plan.name(r) for r in step.needs)} not available)", "yellow")
        else:
            if "w2v" in step.needs and not self.plan.examples:   # example words of THIS corpus
                self.plan.examples = choose_examples(self.session.store, self.session.vectors(self.plan.name("w2v")))
            if step.when is not None and not step.when(self.plan.examples):
                self.skipped.append(step.slide)
                self.say("(skipped: the model does not know the words this slide needs)", "yellow")
            elif self.run_line(self.plan.fill(step.template), step.why) != 0:
                self.failed.append(step.slide)
        return n >= total or self.wait_key(n, total)

    def stopped(self, n: int):
        return message(f"lecture stopped after step {n}; 'lecture --start {n + 1}' goes on from there", step=n)

    def prepare_corpus(self) -> None:
        from wordshell.corpus import sources
        from wordshell.corpus.tokens import Tokenizer

        progress = self.session.progress()
        c = sources.resolve(self.session.store, self.plan.corpus, progress=progress)
        c.token_file(self.session.store, Tokenizer(), progress)

    def wait_key(self, n: int, total: int) -> bool:
        """On a terminal: wait for a key (False = stop). In a pipe: go on."""
        if not self.interactive:
            return True
        self.say(f"-- step {n}/{total}: any key for the next step, q to stop --", "dim")
        try:
            key = read_key()
        except KeyboardInterrupt:
            return False
        return key not in ("q", "Q", "\x1b", "\x03", "\x04")


def _stdin_tty() -> bool:
    import sys

    from wordshell.render import isatty

    return isatty(sys.stdin)


def read_key() -> str:
    """One key press from the terminal (cbreak mode: Ctrl-C still interrupts). Keys typed while the
    step ran are discarded first, so a slide is never skipped by accident."""
    import os
    import select
    import sys
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        termios.tcflush(fd, termios.TCIFLUSH)
        key = os.read(fd, 1).decode("utf-8", "replace")
        while select.select([fd], [], [], 0.02)[0]:        # the rest of an escape sequence (arrow keys)
            os.read(fd, 16)
            key = key if key != "\x1b" else " "
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    return key

"""Ready-made word pairs for `plot words`: the lecture's slides (country -> capital, verb tense, gender, ...)
and the sections of an analogy file (Mikolov's questions-words.txt, bundled with gensim) as groups.

A set is drawn as two groups (e.g. countries, capitals) with an arrow per pair; a section as one group
named after it, an arrow per distinct pair of its questions. Pairs with a word outside the model's
vocabulary are left out (named in a note), so a set works on any corpus that has some of its words.

>>> pairs_of_section([("athens", "greece", "baghdad", "iraq"), ("athens", "greece", "bangkok", "thailand")])
[('athens', 'greece'), ('baghdad', 'iraq'), ('bangkok', 'thailand')]
"""

from __future__ import annotations

from typing import Sequence

from wordshell.errors import UsageError

# name -> (group of the first words, group of the second words, pairs)
SETS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "capitals": ("countries", "capitals", [
        ("france", "paris"), ("italy", "rome"), ("germany", "berlin"), ("spain", "madrid"), ("russia", "moscow"),
        ("japan", "tokyo"), ("china", "beijing"), ("egypt", "cairo"), ("greece", "athens"), ("england", "london"),
        ("australia", "canberra"), ("israel", "jerusalem"), ("afghanistan", "kabul"), ("pakistan", "islamabad")]),
    "tenses": ("present", "past", [
        ("walking", "walked"), ("swimming", "swam"), ("running", "ran"), ("going", "went"), ("saying", "said"),
        ("taking", "took"), ("playing", "played"), ("looking", "looked"), ("coming", "came"), ("making", "made")]),
    "gender": ("male", "female", [
        ("man", "woman"), ("king", "queen"), ("he", "she"), ("father", "mother"), ("brother", "sister"),
        ("son", "daughter"), ("uncle", "aunt"), ("boy", "girl"), ("husband", "wife"), ("men", "women")]),
    "comparatives": ("adjective", "comparative", [
        ("good", "better"), ("big", "bigger"), ("small", "smaller"), ("great", "greater"), ("high", "higher"),
        ("large", "larger"), ("long", "longer"), ("strong", "stronger"), ("low", "lower")]),
    "plurals": ("singular", "plural", [
        ("man", "men"), ("child", "children"), ("country", "countries"), ("city", "cities"), ("car", "cars"),
        ("year", "years"), ("woman", "women"), ("house", "houses"), ("day", "days")]),
}


def pairs_of_section(questions: Sequence[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    """The distinct (a, b) pairs of a section's questions 'a b c d' (both halves), in order of appearance."""
    out: dict[tuple[str, str], None] = {}
    for a, b, c, d in questions:
        out.setdefault((a.lower(), b.lower()), None)
        out.setdefault((c.lower(), d.lower()), None)
    return list(out)


def read_sections(path: str | None) -> dict[str, list[tuple[str, str]]]:
    """section name -> its pairs, from an analogy file (default: gensim's questions-words.txt)."""
    from wordshell.vectors.evaluate import read_analogies

    if path is None:
        from wordshell.corpus.sources import gensim_data_dir

        path = str(gensim_data_dir() / "questions-words.txt")
    return {name: pairs_of_section(qs) for name, qs in read_analogies(path)}


def set_groups(kv, sets: Sequence[str] = (), sections: Sequence[str] = (), analogies: str | None = None,
               max_pairs: int = 8) -> tuple[list[str], list[str], list[str]]:
    """(--group specs, --pairs specs, notes) for `plot words` from set and section names.

    Only pairs whose two words the model knows are kept, at most `max_pairs` per set or section.
    """
    groups, pairs, notes, missing = [], [], [], []

    def keep(candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
        ok = []
        for a, b in candidates:
            if len(ok) >= max_pairs:
                break
            if kv.has(a) and kv.has(b):
                ok.append((kv.key(a), kv.key(b)))
            else:
                missing.append(f"{a}:{b}")
        return ok

    for name in dict.fromkeys(sets):
        if name not in SETS:
            raise UsageError(f"no ready-made set {name!r}", "sets: " + ", ".join(SETS))
        left, right, candidates = SETS[name]
        ok = keep(candidates)
        if ok:
            groups += [f"{left}: " + " ".join(a for a, _ in ok), f"{right}: " + " ".join(b for _, b in ok)]
            pairs += [f"{a}:{b}" for a, b in ok]
    if sections:
        table = read_sections(analogies)
        for name in dict.fromkeys(sections):
            if name not in table:
                from wordshell.suggest import did_you_mean

                close = did_you_mean(name, list(table))
                raise UsageError(f"no section {name!r} in the analogy file",
                                 f"did you mean: {', '.join(close)}?" if close else "sections: " + ", ".join(table))
            ok = keep(table[name])
            if ok:
                groups.append(f"{name}: " + " ".join(dict.fromkeys(w for p in ok for w in p)))
                pairs += [f"{a}:{b}" for a, b in ok]
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        notes.append(f"left out (a word not in the vocabulary of '{kv.name}'): {shown}")
    if not pairs:
        raise UsageError(f"none of the pairs has both words in the vocabulary of '{kv.name}'",
                         "try another set, or a bigger corpus")
    return groups, pairs, notes

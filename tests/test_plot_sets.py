"""`plot words --set / --section`: the lecture's ready-made pairs and the analogy file's sections as groups."""

from __future__ import annotations

from wordshell.plots.sets import SETS, pairs_of_section, read_sections


def test_sections_of_questions_words(gensim_data):
    sections = read_sections(None)
    assert list(sections)[:2] == ["capital-common-countries", "capital-world"] and len(sections) == 14
    # every distinct pair of the section's questions, both halves, in order
    lines = (gensim_data / "questions-words.txt").read_text().splitlines()
    end = next(i for i, line in enumerate(lines[1:], 1) if line.startswith(":"))
    want = []
    for line in lines[1:end]:
        a, b, c, d = line.lower().split()
        for p in ((a, b), (c, d)):
            if p not in want:
                want.append(p)
    assert sections["capital-common-countries"] == want
    assert pairs_of_section([("a", "b", "c", "d"), ("c", "d", "a", "b")]) == [("a", "b"), ("c", "d")]


def test_plot_words_with_a_section_and_a_set(ws, with_w2v):
    r = ws("plot", "words", "--section", "capital-common-countries", "--max-pairs", "3", "--model", "w2v")
    assert r.code == 0, r
    rows = r.rows
    assert {row[3] for row in rows} == {"capital-common-countries"} and 2 <= len(rows) <= 6
    assert "left out (a word not in the vocabulary of 'w2v')" in r.err
    s = ws("plot", "words", "--set", "gender", "--model", "w2v", "--format", "json").json
    groups = {o["group"] for o in s}
    assert groups == {"male", "female"}
    known = [(a, b) for a, b in SETS["gender"][2]]
    assert {o["word"] for o in s if o["group"] == "male"} <= {a for a, _ in known}


def test_bad_set_and_section(ws, with_w2v):
    r = ws("plot", "words", "--set", "nope", "--model", "w2v")
    assert r.code == 2 and "no ready-made set 'nope'" in r.err and "capitals" in r.err
    r = ws("plot", "words", "--section", "capital-comon-countries", "--model", "w2v")
    assert r.code == 2 and "did you mean: capital-common-countries" in r.err

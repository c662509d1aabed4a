"""Tag schemes, the readers (CoNLL-U with multiword tokens and empty nodes, CoNLL columns), and the
entity metric against seqeval."""

from __future__ import annotations

import random

import pytest

from wordshell.errors import BadInput, UsageError
from wordshell.store import Store
from wordshell.tag import schemes
from wordshell.tag.data import read_tagged
from wordshell.tag.metrics import accuracy, span_report

CONLLU = """# sent_id = 1
# text = I don't know.
1\tI\tI\tPRON\tPRP\tCase=Nom|Number=Sing|Person=1|PronType=Prs\t4\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\tMood=Ind|Tense=Pres|VerbForm=Fin\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\tVerbForm=Inf\t0\troot\t_\tSpaceAfter=No
4.1\tknows\tknow\tVERB\tVBZ\t_\t_\t_\t0:root\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = 2
1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
"""

CONLL2003 = """-DOCSTART- -X- -X- O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
"""


@pytest.mark.parametrize("iob1", [
    ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "O"],
    ["I-ORG", "B-ORG", "B-ORG", "I-PER", "I-MISC"],
    ["O", "O"],
    ["I-X"],
])
def test_iob1_iob2_iob1_round_trip_and_bioes(iob1):
    iob2 = schemes.convert(iob1, "iob1", "iob2")
    assert all(not t.startswith("I-") or iob2[i - 1][2:] == t[2:] and iob2[i - 1] != "O" for i, t in enumerate(iob2))
    assert schemes.convert(iob2, "iob2", "iob1") == iob1
    bioes = schemes.convert(iob1, "iob1", "bioes")
    assert schemes.spans(bioes) == schemes.spans(iob2) == schemes.spans(iob1)
    assert schemes.convert(bioes, "bioes", "iob1") == iob1


def test_scheme_detection_and_checks():
    assert schemes.detect([["I-PER", "O", "B-PER"]]) == "iob1"
    assert schemes.detect([["B-PER", "I-PER"], ["O"]]) == "iob2"
    assert schemes.detect([["B-PER", "E-PER", "S-LOC"]]) == "bioes"
    assert schemes.detect([["NOUN", "VERB"]]) is None
    assert schemes.detect([["O", "O"]]) is None  # nothing but O: no spans to learn
    with pytest.raises(BadInput, match="not IOB2 span tags"):
        schemes.check([["NOUN"]], "iob2")
    with pytest.raises(BadInput, match="BIOES"):
        schemes.check([["S-PER"]], "iob1")
    with pytest.raises(BadInput, match="unknown tag scheme"):
        schemes.check([["B-PER"]], "bilou")


def test_conllu_multiword_tokens_and_empty_nodes(tmp_path, workspace):
    p = tmp_path / "x.conllu"
    p.write_text(CONLLU)
    d = read_tagged(Store(workspace), [str(p)])
    # the range 2-3 "don't" gives way to its words; the empty node 4.1 is not a word of the sentence
    assert d.words == [["I", "do", "n't", "know", "."], ["Hi"]]
    assert d.tags == [["PRON", "AUX", "PART", "VERB", "PUNCT"], ["INTJ"]]
    assert d.format == "conllu" and d.tokens == 6
    assert read_tagged(Store(workspace), [str(p)], field="xpos").tags[0] == ["PRP", "VBP", "RB", "VB", "."]
    feats = read_tagged(Store(workspace), [str(p)], field="feats").tags[0]
    assert feats[0] == "Case=Nom|Number=Sing|Person=1|PronType=Prs" and feats[2] == "_"


def test_conll2003_columns_docstart_and_column_choice(tmp_path, workspace):
    p = tmp_path / "eng.train"
    p.write_text(CONLL2003)
    d = read_tagged(Store(workspace), [str(p)])
    assert d.words == [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"]]
    assert d.tags[0] == ["I-ORG", "O", "I-MISC", "O"] and d.format == "conll"
    assert read_tagged(Store(workspace), [str(p)], column=3).tags[1] == ["I-NP", "I-NP"]
    with pytest.raises(UsageError, match="--column 7"):
        read_tagged(Store(workspace), [str(p)], column=7)


def test_bad_files_are_one_clear_error(tmp_path, workspace):
    store = Store(workspace)
    (tmp_path / "short.conllu").write_text("1\tHi\thi\tINTJ\n")
    with pytest.raises(BadInput, match="line 1 has 4 columns; CoNLL-U has 10"):
        read_tagged(store, [str(tmp_path / "short.conllu")])
    (tmp_path / "ragged.txt").write_text("a DT O\nb NN\n")
    with pytest.raises(BadInput, match="line 2 has 2 columns, the lines before it 3"):
        read_tagged(store, [str(tmp_path / "ragged.txt")])
    (tmp_path / "long.txt").write_text("".join(f"w{i}\tX\n" for i in range(30)))
    with pytest.raises(BadInput, match="30 words, over the limit of 20"):
        read_tagged(store, [str(tmp_path / "long.txt")], max_tokens=20)
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(BadInput, match="no tagged sentences"):
        read_tagged(store, [str(tmp_path / "empty.txt")])


def _random_tags(rng, n):
    pool = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG", "B-ORG"]
    return [rng.choice(pool) for _ in range(n)]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_entity_scores_equal_seqeval(seed):
    """Random (often invalid) IOB sequences: P/R/F1 overall and per type equal seqeval's (conlleval's rules)."""
    from seqeval.metrics import classification_report, f1_score, precision_score, recall_score

    rng = random.Random(seed)
    gold = [_random_tags(rng, rng.randint(1, 12)) for _ in range(60)]
    pred = [[t if rng.random() < 0.7 else rng.choice(["O", "B-PER", "I-LOC", "I-ORG"]) for t in s] for s in gold]
    ours = span_report(gold, pred)
    assert ours["overall"]["f1"] == pytest.approx(f1_score(gold, pred), abs=1e-12)
    assert ours["overall"]["precision"] == pytest.approx(precision_score(gold, pred), abs=1e-12)
    assert ours["overall"]["recall"] == pytest.approx(recall_score(gold, pred), abs=1e-12)
    theirs = classification_report(gold, pred, output_dict=True, zero_division=0)
    for typ, v in ours["types"].items():
        if v["support"]:
            assert v["f1"] == pytest.approx(theirs[typ]["f1-score"], abs=1e-12)
            assert v["support"] == theirs[typ]["support"]


def test_accuracy_counts_unseen_words():
    r = accuracy([["A", "B", "C"]], [["A", "B", "X"]], [[False, True, True]])
    assert r["accuracy"] == pytest.approx(2 / 3) and r["unseen_accuracy"] == 0.5

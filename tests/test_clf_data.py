"""Labelled-data readers: every format, CRLF, Latin-1, detection, splits, and the errors users meet."""

from __future__ import annotations

import pytest

from wordshell.classify.data import read_labelled
from wordshell.classify.train import check_trainable, stratified_split
from wordshell.errors import BadInput, UsageError
from wordshell.store import Store

TEXTS = ["a fine film", "dull and slow", "pure joy", "a waste of time"]
LABELS = ["pos", "neg", "pos", "neg"]


def write(path, text: str, encoding="utf-8", newline="\n"):
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return str(path)


def check(d, texts=TEXTS, labels=LABELS):
    assert d.texts == texts
    assert d.labels == labels


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_fasttext(tmp_path, newline):
    body = "".join(f"__label__{y} {t}\n" for t, y in zip(TEXTS, LABELS)) + "\n"  # a blank line is skipped
    d = read_labelled(None, [write(tmp_path / "d.txt", body, newline=newline)])
    check(d)
    assert d.format == "fasttext" and d.classes == ["neg", "pos"] and d.counts() == {"neg": 2, "pos": 2}


def test_fasttext_label_at_end_and_missing_label(tmp_path):
    d = read_labelled(None, [write(tmp_path / "d.txt", "good stuff __label__pos\n__label__neg bad stuff\n")])
    assert d.texts == ["good stuff", "bad stuff"] and d.labels == ["pos", "neg"]
    p = write(tmp_path / "e.txt", "__label__pos ok\n__label__neg fine\njust text\n")
    with pytest.raises(BadInput, match=r"line 3: no __label__"):
        read_labelled(None, [p], fmt="fasttext")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_tsv_label_first(tmp_path, newline):
    body = "".join(f"{y}\t{t}\n" for t, y in zip(TEXTS, LABELS))
    d = read_labelled(None, [write(tmp_path / "d.tsv", body, newline=newline)])
    check(d)
    assert d.format == "tsv"


def test_glue_header_sentence_label(tmp_path):
    body = "sentence\tlabel\n" + "".join(f"{t} \t{1 if y == 'pos' else 0}\n" for t, y in zip(TEXTS, LABELS))
    d = read_labelled(None, [write(tmp_path / "train.tsv", body)])
    check(d, labels=["1", "0", "1", "0"])


def test_tsv_column_choice_by_number_and_name(tmp_path):
    body = "id\ttext\tstars\n" + "".join(f"{i}\t{t}\t{y}\n" for i, (t, y) in enumerate(zip(TEXTS, LABELS)))
    p = write(tmp_path / "d.tsv", body)
    check(read_labelled(None, [p], label_column="stars", text_column="text"))
    check(read_labelled(None, [p], label_column="3", text_column="2"))
    with pytest.raises(UsageError, match="no column named 'nope'"):
        read_labelled(None, [p], label_column="nope")


def test_csv_with_quotes(tmp_path):
    body = "label,text\n" + "".join(f'{y},"{t}, really"\n' for t, y in zip(TEXTS, LABELS))
    d = read_labelled(None, [write(tmp_path / "d.csv", body)])
    check(d, texts=[f"{t}, really" for t in TEXTS])
    assert d.format == "csv"


def test_label_text_sst_style(tmp_path):
    body = "".join(f"{1 if y == 'pos' else 0} {t}\n" for t, y in zip(TEXTS, LABELS))
    d = read_labelled(None, [write(tmp_path / "stsa.binary.train", body)])
    check(d, labels=["1", "0", "1", "0"])
    assert d.format == "label-text"


def test_directory_per_label(tmp_path):
    for i, (t, y) in enumerate(zip(TEXTS, LABELS)):
        (tmp_path / "data" / y).mkdir(parents=True, exist_ok=True)
        write(tmp_path / "data" / y / f"{i}.txt", t + "\n")
    d = read_labelled(None, [str(tmp_path / "data")])
    assert sorted(zip(d.texts, d.labels)) == sorted(zip(TEXTS, LABELS))
    assert d.format == "dir"


def test_one_file_per_class(tmp_path):
    pos = write(tmp_path / "rt-polarity.pos", "a fine film\npure joy\n")
    neg = write(tmp_path / "rt-polarity.neg", "dull and slow\r\na waste of time\r\n")
    d = read_labelled(None, [pos, neg])  # same stem: the suffix names the class
    assert d.labels == ["pos", "pos", "neg", "neg"] and d.texts[2:] == ["dull and slow", "a waste of time"]
    d = read_labelled(None, [f"good={pos}", f"bad={neg}"])
    assert d.classes == ["bad", "good"]
    a, b = write(tmp_path / "happy.txt", "joy\n"), write(tmp_path / "sad.txt", "gloom\n")
    assert read_labelled(None, [a, b]).labels == ["happy", "sad"]


def test_latin1(tmp_path):
    p = write(tmp_path / "mr.txt", "__label__pos un film très réussi\n__label__neg mauvais\n", encoding="latin-1")
    with pytest.raises(BadInput, match="not valid utf-8.*--encoding latin-1"):
        read_labelled(None, [p])
    d = read_labelled(None, [p], encoding="latin-1")
    assert d.texts[0] == "un film très réussi"


def test_bundled_polarity_sample(tmp_path):
    d = read_labelled(Store(tmp_path), ["polarity"])
    assert len(d) == 200 and d.counts() == {"neg": 100, "pos": 100}
    assert any("—" in t for t in d.texts)  # cp1252 em dashes decoded, not mangled


def test_unknown_label_format(tmp_path):
    prose = "".join(f"{w} walked into the room number {i}\n" for i, w in
                    enumerate(["Anna", "Bob", "Carl", "Dana", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon"]))
    p = write(tmp_path / "story.txt", prose)
    with pytest.raises(BadInput, match="cannot tell which part of each line"):
        read_labelled(None, [p])


def test_bad_files(tmp_path):
    empty = write(tmp_path / "empty.txt", "\n\n")
    with pytest.raises(BadInput, match="holds no text"):
        read_labelled(None, [empty])
    with pytest.raises(BadInput, match="no labelled examples"):
        read_labelled(None, [empty], fmt="fasttext")
    (tmp_path / "bin.dat").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    with pytest.raises(BadInput, match="binary"):
        read_labelled(None, [str(tmp_path / "bin.dat")])
    with pytest.raises(Exception, match="no such file"):
        read_labelled(None, [str(tmp_path / "missing.txt")])


def test_check_trainable(tmp_path):
    one = read_labelled(None, [write(tmp_path / "one.txt", "__label__pos a\n__label__pos b\n")])
    with pytest.raises(BadInput, match="only one class"):
        check_trainable(one)


def test_stratified_split_is_seeded_and_per_class(tmp_path):
    body = "".join(f"__label__{'a' if i % 4 else 'b'} text {i}\n" for i in range(200))  # 150 a, 50 b
    d = read_labelled(None, [write(tmp_path / "d.txt", body)])
    tr, va = stratified_split(d, 0.1, seed=3)
    assert va.counts() == {"a": 15, "b": 5} and tr.counts() == {"a": 135, "b": 45}
    assert sorted(tr.texts + va.texts) == sorted(d.texts)
    assert stratified_split(d, 0.1, seed=3)[1].texts == va.texts
    assert stratified_split(d, 0.1, seed=4)[1].texts != va.texts

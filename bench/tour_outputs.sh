#!/usr/bin/env bash
# Run the README tour (the demo, then the README's offline commands) in a fresh workspace and print
# every command's output with timings, speeds and dates masked, so two revisions can be diffed:
#
#   bench/tour_outputs.sh /tmp/tour-a > a.txt      # on one revision
#   bench/tour_outputs.sh /tmp/tour-b > b.txt      # on another
#   diff a.txt b.txt
#
# The wordshell that runs is whatever `python -m wordshell` imports (set PYTHONPATH to pick a tree).
# The demo's steps run one by one, word2vec/fasttext with --workers 1 and a fixed PYTHONHASHSEED, so
# that gensim's threads do not make two runs of the same code differ.
set -u
home=${1:?usage: tour_outputs.sh WORKSPACE}
rm -rf "$home"; mkdir -p "$home"
export WORDSHELL_HOME=$home COLUMNS=120 PYTHONHASHSEED=0
ws() { python -m wordshell "$@"; }
mask() {  # progress-bar lines come every few seconds: how many is a matter of timing, so they go
  sed -E -e '/^(train|tokenise|parse|vocab|download)[^:]*: /d' -e 's/[0-9][0-9,.]*(k|M|G)? (words|tokens|tok|chars|examples|lines|steps|B)\/s/<speed>/g' \
         -e 's/(words\/s|tokens\/s|examples\/s|chars\/s)\t[0-9.]+/\1\t<speed>/' \
         -e 's/[0-9]+(\.[0-9]+)? ?s\b/<t>/g' -e 's/[0-9]+:[0-9]{2}(:[0-9]{2})?/<clock>/g' \
         -e 's/20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]+/<date>/g' -e 's/pid [0-9]+/pid <pid>/g'
}
run() { echo "### $*"; "$@" 2>&1 | mask; echo "### exit ${PIPESTATUS[0]}"; }
python -m wordshell demo --list | sed 's/^wordshell //' > "$home/tour.txt"
while IFS= read -r line; do
  case "$line" in "train word2vec"*|"train fasttext"*) line="$line --workers 1";; esac
  eval "set -- $line"
  run ws "$@" < /dev/null
done < "$home/tour.txt"
run ws corpus list --available
run ws corpus info lee --top 5
run ws similar music --model demo-w2v --top 5
run ws analogy "spanish - spain + italy" --model demo-w2v --top 3 --cosmul --expect italian
run ws analogy "king - man + woman" --model demo-w2v --expect queen --top 3
run ws odd-one-out france germany italy music --model demo-w2v
run ws similarity france germany --model demo-w2v
run ws similar musik --model demo-w2v
run ws oov computeriz --model demo-ft --top 3
run ws eval similarity --model demo-w2v
run ws eval analogies --model demo-w2v
gd=$(python -c "import gensim,os;print(os.path.dirname(gensim.__file__))")/test/test_data
run ws models import "$gd/lee_fasttext.bin" lee-ft
run ws models export demo-w2v "$home/demo.vec"
run ws models
run ws models info demo-lm
run ws generate "the fires" --model demo-lm --length 6 --greedy --show-probs
run ws perplexity --model demo-lm --text "the government said on tuesday that the fires were under control"
run sh -c "printf 'a charming and beautiful film\ndull, silly and tedious\n\n' | python -m wordshell classify --model demo-clf"
run ws classify --model demo-clf "a gripping, funny film" --probs --format json
run ws eval classifier --model demo-clf --data polarity
run sh -c "printf 'use demo-w2v\nsimilar music --top 2\nsimilar musik\nsimilar poetry\n' | python -m wordshell"
run ws plot words king queen man woman --model demo-w2v --format json
run ws plot training demo-lm --format tsv
run ws models info demo-clf --format json
run ws models info demo-w2v --format json

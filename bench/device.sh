#!/usr/bin/env bash
# ONE bounded run (under 10 minutes) for a fresh GPU machine: every block appends to $OUT/device.log.
#
# Prepare once, in the repository root here (both folders are ignored through .git/info/exclude and never
# committed; they travel with the call as `carry`):
#   echo /.devdata/ >> "$(git rev-parse --git-path info/exclude)"; echo /.whl/ >> "$(git rev-parse --git-path info/exclude)"
#   mkdir -p .devdata && cp -r ../shared/data/{wikitext-2,conll2003,ud-english-lines} .devdata/   # (/work/shared/data)
#   python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#       --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl gensim==4.4.0 smart_open==7.3.1
# Run it (the device tool): command "bash bench/device.sh", carry [".devdata", ".whl"], timeout_s 600.
# Check the script here on the CPU, tiny sizes (a minute):  DEVICE_TINY=1 OUT=/tmp/dev bash bench/device.sh
set -u
OUT=${OUT:-bench/out/device}
mkdir -p "$OUT"
LOG=$OUT/device.log
PY=${PYTHON:-python3}
TINY=${DEVICE_TINY:-0}
export PYTHONUNBUFFERED=1
log() { echo "$@" | tee -a "$LOG"; }
# the peers (gensim) travel as wheels; the machine's python3 holds torch, numpy, scipy, click, rich, safetensors
if [ -d .whl ] && ! $PY -c "import gensim" 2>/dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
log "# device run $(date -u +%FT%TZ) on $(hostname): $(nproc) cores; tiny=$TINY"
command -v nvidia-smi >/dev/null && nvidia-smi -L 2>&1 | tee -a "$LOG"

# ==== issue 16: the torch embedding engine (Word2Vec / FastText on CUDA) ==================================
# CUDA tests (skip-marked on CPU machines), then quality of sg / cbow / fasttext vs gensim with all cores
# on WikiText-2 train, 5 epochs, and the skip-gram speed on WikiText-2 repeated 24 times (~49M words).
if [ "$TINY" = 1 ]; then
    W2V_DEVICE=cpu; W2V_ARGS="--limit-words 30000 --epochs 1 --speed-repeat 2 --speed-epochs 1"
else
    W2V_DEVICE=cuda; W2V_ARGS="--epochs 5 --speed-repeat 24 --speed-epochs 2"
fi
log "## issue 16: torch embedding engine"
timeout 90 $PY -m pytest -q -p no:cacheprovider tests/test_torch_w2v_cuda.py tests/test_torch_fused.py \
    tests/test_torch_engine.py tests/test_tag_cuda.py 2>&1 \
    | tail -n 15 | tee -a "$LOG"
timeout 270 $PY bench/bench_torch_w2v.py --data .devdata/wikitext-2/wiki.train.tokens --device $W2V_DEVICE \
    --workers 1 --gensim-workers "$(nproc)" $W2V_ARGS --json "$OUT/w2v.json" 2>&1 | tee -a "$LOG"
log "## issue 16 done: exit ${PIPESTATUS[0]}"
# ==== end of issue 16 ====================================================================================

# ==== issue 14: sequence tagging on CUDA ==================================================================
# one CoNLL-2003 NER epoch (words only, no pretraining, no peer), then `tag` throughput on 10,000 piped
# sentences with a UD LinES tagger trained for half a minute first. Data: .devdata/{conll2003,ud-english-lines}.
log "## issue 14: tagger on CUDA"
export WORDSHELL_SHARED_DATA=$PWD/.devdata
TAG_DEVICE=cuda; [ "$TINY" = 1 ] && TAG_DEVICE=cpu
timeout 100 $PY bench/bench_tag_ner.py --epochs 1 --device $TAG_DEVICE --no-peer --no-pretrain 2>&1 | tail -n 20 | tee -a "$LOG"
timeout 110 $PY bench/bench_tag_speed.py --device $TAG_DEVICE --rounds 3 --train-minutes 0.5 2>&1 | tail -n 20 | tee -a "$LOG"
log "## issue 14 done"
# ==== end of issue 14 ====================================================================================

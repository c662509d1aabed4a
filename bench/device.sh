#!/usr/bin/env bash
# The checks that need a GPU, in one bounded run on the device machine (the `run` tool):
#     bash bench/device.sh          # everything goes to $OUT/device.log (bench/out/device.log without $OUT)
# Each engineer's part is one marked block; each command has its own timeout so one hang cannot eat the rest.
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/out}"
mkdir -p "$OUT"
LOG="$OUT/device.log"
for d in shared/data ../shared/data; do
    if [ -d "$d" ]; then export WORDSHELL_SHARED_DATA="$(cd "$d" && pwd)"; break; fi
done
exec > >(tee -a "$LOG") 2>&1
echo "== $(date -u +%FT%TZ) $(nvidia-smi -L 2>/dev/null | head -1)"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"

echo "== CUDA tests (pytest -m gpu)"
timeout 300 python -m pytest -q -m gpu tests/ || echo "gpu tests: exit $?"

# ---- issue 14 (sequence tagging): one CoNLL-2003 NER epoch, and `tag` throughput, on CUDA ----
echo "== tagger: one NER epoch on CUDA (eng.train -> eng.testa, words only, no pretraining)"
timeout 240 python bench/bench_tag_ner.py --epochs 1 --device cuda --no-peer --no-pretrain \
    || echo "bench_tag_ner: exit $?"
echo "== tagger: tag throughput on CUDA, 10,000 piped sentences (a UD LinES tagger trained 1 minute first)"
timeout 240 python bench/bench_tag_speed.py --device cuda --rounds 3 --train-minutes 1 \
    || echo "bench_tag_speed: exit $?"
# ---- end of issue 14 ----

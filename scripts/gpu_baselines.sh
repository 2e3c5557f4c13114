#!/usr/bin/env bash
# The exact command run on the device machine (one NVIDIA H200) for the paper-profile baselines, through the device
# tool with `carry: ["data"]` (the prepared datasets; `llmrec prepare` for each first). Its image has torch, lightning,
# pandas, pyarrow, scipy and pyyaml, so llmrec runs from the working tree with PYTHONPATH=. and nothing installed.
# Afterwards, here: python scripts/import_gpu_baselines.py --src <fetched $OUT> --device-note /12-concurrent
set -euo pipefail
export PYTHONPATH=. PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt" || true
python3 -c 'import torch, lightning; print(torch.__version__, lightning.__version__, torch.cuda.get_device_name(0))' >> "$OUT/gpu.txt"
python3 scripts/gpu_baselines.py --out "$OUT" --workers "${WORKERS:-12}" --budget-s "${BUDGET_S:-540}" \
  --datasets ${DATASETS:-amazon-beauty-p5 ml-100k amazon-scientific amazon-musical-instruments ibm-articles microlens-50k} \
  ${FINAL_ONLY:+--final-only "$FINAL_ONLY" --no-pop --final-stop 1.0}
# Second call (what the first left undone on Beauty: its SASRec grid took the whole budget under 14-way GPU sharing):
#   DATASETS=amazon-beauty-p5 WORKERS=6 BUDGET_S=185 FINAL_ONLY='{"sasrec": {"dropout": 0.2}, "sasrec-bce": {"max_epochs": 80}}' bash scripts/gpu_baselines.sh
# Ninth session, here on the 2-core CPU (no device time left): SASRec's second round on IBM articles, the same axes as
# llmrec's second round (scripts/gpu_align.sh E) around SASRec's chosen point (width 128, dropout 0.5), 7 points + 3 seeds:
#   PYTHONPATH=. python scripts/gpu_baselines.py --out /tmp/sasrec-ibm --datasets ibm-articles --models sasrec --accelerator cpu \
#     --workers 2 --budget-s 3000 --tune-stop 0.75 --final-stop 0.97 --no-pop --stage /tmp/sasrec-stage \
#     --points-json "$(cat scripts/sasrec_round2.json)"
#   python scripts/import_gpu_baselines.py --src /tmp/sasrec-ibm --grid-csv results/sasrec-tuning-paper.csv
#   (what came back: results/device-runs/sasrec-ibm-cpu: runs.jsonl and log.txt)
# Tenth session, on one H200: SASRec's second round on Amazon Scientific and its only round on MicroLens-50k (each beside
# llmrec's own runs on the same GPU): scripts/gpu_round2.sh S, M and M2, imported with
#   python scripts/import_gpu_baselines.py --src <S's sasrec-sci> --grid-csv results/sasrec-tuning-paper.csv --device-note /shared-with-align-and-interact
#   python scripts/import_gpu_baselines.py --src results/device-runs/round2/M <M2's sasrec-mlf> --grid-csv results/sasrec-tuning-paper.csv --device-note /shared-with-align

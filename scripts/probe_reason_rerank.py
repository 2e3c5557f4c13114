"""How far reranking the kept decoder outputs could move ROUGE-L (issue 5), on the VALIDATION records only.

Reads the pools of scripts/gpu_generate.py --pools (kept out of git under .gpu/pools/K5, K6; see scripts/gpu_generate.sh)
and, per model and seed, at the decoding setting chosen on validation (its tuning table in
results/device-runs/reasons-pools/redecoded): the ceiling of any reranker of the beams, and of the beams and samples
together (each record's candidate of the highest ROUGE-L against its own reference: an oracle, not a method), and the
chosen reranking plus a length bonus `length` x words (mean log-probability per token favours short candidates; the
references are longer), the bonus chosen as `choose_decoding` chooses (grounding first, then sqrt(ROUGE-L x FMR)).
Test records are not read.

    python scripts/probe_reason_rerank.py --pools .gpu/pools/K5 --models llmrec peter --out results/device-runs/reasons-pools/rerank-probe.csv
"""
import argparse, sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.config import load_params, write_csv
from llmrec.data import load_recdata
from llmrec.generate import (_rouge_l, capped_splits, choose_decoding, decoding_table, detokenize, load_pools,
                             mbr_utility, reason_data, tokenize, user_features)

DS, LENGTHS = 'amazon-musical-instruments', (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2)


def validation_data():
    "The paper profile's `generate` settings, Musical Instruments' reason data and the validation records the decoding choice reads."
    hp = load_params(profile='paper', sections=['generate'])['generate']
    rd = reason_data(load_recdata(f'data/{DS}'), hp['item_keywords'], hp['item_tokens'])
    return hp, rd, capped_splits(rd, hp['max_test'])[1]


def chosen_pools(pool_dirs, tables, models, seeds):
    "Per kept pool (`gpu_generate.py --pools`): its folder, model, seed, the pools, and the chosen row of its validation table in `tables`/<folder name>."
    for src in map(Path, pool_dirs):
        for m in models:
            for seed in seeds:
                f = src / f'pools-seed{seed}-{m}.json.gz'
                if f.exists():
                    yield src, m, seed, load_pools(f), pd.read_csv(Path(tables) / src.name / f'tuning-seed{seed}-{m}.csv.gz').query('chosen').iloc[0]


def chosen_grid(c) -> dict:
    "A `decoding` grid of the chosen row's reranking weights alone (`decoding_table` then scores that one setting)."
    return {'true': [c.true], 'false': [c.false], 'user': [c.user], 'mbr': [c.mbr]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--pools', nargs='+', required=True); p.add_argument('--models', nargs='+', default=['llmrec', 'peter'])
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2]); p.add_argument('--out', required=True)
    p.add_argument('--tables', default='results/device-runs/reasons-pools/redecoded')
    a = p.parse_args(argv)
    hp, rd, valid = validation_data()
    uf, rows = user_features(rd), []
    sents = [detokenize(tokenize(s)) for s in valid.sentence]
    for src, m, seed, pools, c in chosen_pools(a.pools, a.tables, a.models, a.seeds):
        g = int(bool(c.ground))
        cands, lp = pools[f'beams/valid/{g}']
        samples = pools.get(f'samples/valid/{g}')
        N = len(cands)
        U = mbr_utility(cands, samples) if c.mbr else None
        score = lambda cs: _rouge_l([x for row in cs for x in row], list(np.repeat(sents, len(cs[0])))).reshape(N, -1)
        R, Ln = score(cands), np.array([[len(x) for x in row] for row in cands], float)
        common = {'model': m, 'seed': seed, 'ground': bool(c.ground), 'true': c.true, 'false': c.false, 'user': c.user,
                  'mbr': c.mbr, 'ref_words': np.mean([len(tokenize(s)) for s in valid.sentence])}
        rows.append({**common, 'rerank': 'oracle-beams', 'ROUGE-L': R.max(1).mean(),
                     'words': Ln[np.arange(N), R.argmax(1)].mean()})
        if samples:
            rows.append({**common, 'rerank': 'oracle-beams+samples', 'ROUGE-L': np.maximum(R.max(1), score(samples).max(1)).mean()})
        # the chosen weights, with lp + length x words as the log-probability: decoding_table scores each setting
        # as the validation tables do, and choose_decoding picks the bonus as it picks a decoding
        dec = chosen_grid(c)
        greedy = pools[f'greedy/valid/{g}']
        t = pd.concat([decoding_table(greedy, cands, lp + lam * Ln, valid, rd, uf, dec, U).iloc[1:].assign(length=lam)
                       for lam in LENGTHS], ignore_index=True)
        assert abs(t['ROUGE-L'].iloc[0] - c['ROUGE-L']) < 1e-6, 'bonus 0 must be the committed choice'
        t['chosen'] = np.arange(len(t)) == choose_decoding(t, hp['decoding']['min_grounding'])
        rows += [{**common, 'rerank': 'chosen+length', **r} for r in
                 t[['length', 'ROUGE-L', 'FMR', 'grounding_precision', 'chosen']].to_dict('records')]
        best = t[t.chosen].iloc[0]
        print(f"{m} seed {seed}: valid ROUGE-L {t['ROUGE-L'].iloc[0]:.2f} (chosen reranking), oracle of the beams "
              f"{R.max(1).mean():.2f}, length bonus chosen {best.length:g} -> {best['ROUGE-L']:.2f}", flush=True)
    write_csv(pd.DataFrame(rows), a.out)


if __name__ == '__main__':
    main()

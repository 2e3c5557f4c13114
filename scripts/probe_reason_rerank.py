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
from llmrec.generate import (_candidate_counts, _rouge_l, capped_splits, detokenize, load_pools, mbr_utility, reason_data,
                             tokenize, user_features)

DS, LENGTHS = 'amazon-musical-instruments', (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--pools', nargs='+', required=True); p.add_argument('--models', nargs='+', default=['llmrec', 'peter'])
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2]); p.add_argument('--out', required=True)
    p.add_argument('--tables', default='results/device-runs/reasons-pools/redecoded')
    a = p.parse_args(argv)
    hp = load_params(profile='paper', sections=['generate'])['generate']
    rd = reason_data(load_recdata(f'data/{DS}'), hp['item_keywords'], hp['item_tokens'])
    _, valid = capped_splits(rd, hp['max_test'])
    uf, rows = user_features(rd), []
    users, items = valid.user_idx.to_numpy(), valid.item_idx.to_numpy()
    sents = [detokenize(tokenize(s)) for s in valid.sentence]
    for src in map(Path, a.pools):
        for m in a.models:
            for seed in a.seeds:
                f = src / f'pools-seed{seed}-{m}.json.gz'
                if not f.exists(): continue
                pools = load_pools(f)
                c = pd.read_csv(Path(a.tables) / src.name / f'tuning-seed{seed}-{m}.csv.gz').query('chosen').iloc[0]
                g = int(bool(c.ground))
                cands, lp = pools[f'beams/valid/{g}']
                samples = pools.get(f'samples/valid/{g}')
                N, K = lp.shape
                C = _candidate_counts(cands, users, items, rd, uf)
                U = mbr_utility(cands, samples) if c.mbr else 0.0
                score = lambda cs: _rouge_l([x for row in cs for x in row], list(np.repeat(sents, len(cs[0])))).reshape(N, -1)
                R = score(cands)
                Fm = np.array([[f in set(x) for x in row] for row, f in zip(cands, valid.feature)])
                Ln = np.array([[len(x) for x in row] for row in cands], float)
                base = lp + C @ np.array([c.true, -c.false, c.user]) + c.mbr * U
                common = {'model': m, 'seed': seed, 'ground': bool(c.ground), 'true': c.true, 'false': c.false, 'user': c.user,
                          'mbr': c.mbr, 'ref_words': np.mean([len(tokenize(s)) for s in valid.sentence])}
                rows.append({**common, 'rerank': 'oracle-beams', 'length': np.nan, 'ROUGE-L': R.max(1).mean(), 'FMR': np.nan,
                             'grounding_precision': np.nan, 'words': Ln[np.arange(N), R.argmax(1)].mean()})
                if samples:
                    RS = score(samples)
                    rows.append({**common, 'rerank': 'oracle-beams+samples', 'length': np.nan,
                                 'ROUGE-L': np.maximum(R.max(1), RS.max(1)).mean(), 'FMR': np.nan, 'grounding_precision': np.nan,
                                 'words': np.nan})
                for lam in LENGTHS:
                    k = (base + lam * Ln).argmax(1); cc = C[np.arange(N), k]
                    rows.append({**common, 'rerank': 'chosen+length', 'length': lam, 'ROUGE-L': R[np.arange(N), k].mean(),
                                 'FMR': Fm[np.arange(N), k].mean(), 'grounding_precision': cc[:, 0].sum() / max(cc[:, :2].sum(), 1),
                                 'words': Ln[np.arange(N), k].mean()})
                t = pd.DataFrame([r for r in rows if r['model'] == m and r['seed'] == seed and r['rerank'] == 'chosen+length'])
                ok = t.grounding_precision >= hp['decoding']['min_grounding']
                best = (np.sqrt(t['ROUGE-L'] * t.FMR)).where(ok, -np.inf).idxmax()
                for r in rows:
                    if r['model'] == m and r['seed'] == seed and r['rerank'] == 'chosen+length':
                        r['chosen'] = r['length'] == t.loc[best, 'length']
                print(f"{m} seed {seed}: valid ROUGE-L {t['ROUGE-L'].iloc[0]:.2f} (chosen reranking), oracle of the beams "
                      f"{R.max(1).mean():.2f}, length bonus chosen {t.loc[best, 'length']:g} -> {t.loc[best, 'ROUGE-L']:.2f}", flush=True)
    write_csv(pd.DataFrame(rows), a.out)


if __name__ == '__main__':
    main()

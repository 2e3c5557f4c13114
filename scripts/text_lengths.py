"""How much of each dataset's texts the encode limits cut (all-MiniLM-L6-v2's tokenizer, the paper profile's settings).

Per dataset: the item texts' token lengths (median, 90th percentile) and the share over `item_max_tokens`; the test
profiles' median length and the share over `user_max_tokens`, at the section's settings (the round-8 grid's base,
scripts/gpu_tune.sh TH). Tokenizing only (no model), a minute or two on a 2-core CPU.

    python scripts/text_lengths.py --out results/encode-text-lengths.csv
"""
import argparse, sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.config import load_params, setup_env, write_csv
from llmrec.encode import TEXT_KEYS, dataset_texts, minilm_dir


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--datasets', nargs='+', default=['amazon-scientific', 'ibm-articles', 'microlens-50k'])
    p.add_argument('--out', required=True)
    a = p.parse_args(argv)
    setup_env()
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(minilm_dir())
    params = load_params(profile='paper', sections=['encode'])
    e = params['encode']
    base = {**params, 'encode': {k: v for k, v in e.items() if k not in a.datasets}}  # the section's, not a dataset's own
    rows = []
    for ds in a.datasets:
        texts = dataset_texts(f'data/{ds}', base)
        n = lambda ts: np.array([len(x) for x in tok(ts)['input_ids']])
        it, us = n(texts['items']), n(texts['users_test'])
        rows.append({'dataset': ds, **{k: e[k] for k in TEXT_KEYS}, 'items': len(it), 'item_tokens_median': np.median(it),
                     'item_tokens_p90': np.percentile(it, 90), 'items_over_limit': (it > e['item_max_tokens']).mean(),
                     'profiles': len(us), 'profile_tokens_median': np.median(us),
                     'profiles_over_limit': (us > e['user_max_tokens']).mean()})
        print(rows[-1], flush=True)
    write_csv(pd.DataFrame(rows), a.out)


if __name__ == '__main__':
    main()

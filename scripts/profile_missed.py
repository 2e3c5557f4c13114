"""Where the time goes in the efficiency goals that were missed (issue 9), profiled on this CPU.

    python scripts/profile_missed.py rank      # full ranking at 1M items: matmul vs history mask vs top-k (torch.profiler)
    python scripts/profile_missed.py trie      # generative retrieval: share of decoding time in the trie (cProfile)
    python scripts/profile_missed.py recommend # one recommend() call at 5k items: user tower, scoring, result table
    python scripts/profile_missed.py trie-mask # the trie's mask for 640 beams (32 users x 20 beams) at the first two steps

The GPU figures behind the missed H200 goals could not be profiled this session (no device time left); these CPU
profiles show the split of the same code paths, and the note says so.
"""
import cProfile, pstats, sys, time

import numpy as np
import torch
import torch.nn.functional as F


def rank():
    from torch.profiler import ProfilerActivity, profile
    n, d, B = 1_000_000, 128, 64
    g = torch.Generator().manual_seed(0)
    items = F.normalize(torch.randn(n, d, generator=g), dim=-1)
    users = F.normalize(torch.randn(B, d, generator=g), dim=-1)
    exclude = torch.randint(0, n, (B, 20), generator=g)
    with torch.inference_mode():
        s = users @ items.T; s.scatter_(1, exclude, float('-inf')); s.topk(10, dim=1)  # warm-up
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(5):
                s = users @ items.T; s.scatter_(1, exclude, float('-inf')); s.topk(10, dim=1)
    print(prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=8))


def trie():
    import pandas as pd
    from llmrec.lm import SoftPromptLM, Trie, item_names, lm_dir, lm_records, load_lm
    tok, lm = load_lm(lm_dir('smollm2'))
    names = item_names(pd.read_parquet('data/ml-100k/items.parquet'))
    trie = Trie(tok([' ' + n for n in names], add_special_tokens=False).input_ids, tok.eos_token_id)
    model = SoftPromptLM(lm, torch.randn(4, 64), None, 2).eval()
    recs = lm_records(tok, np.arange(4), None, ['Seen: ' + '; '.join(names[:5]) + '\nNext:'] * 4)
    b = recs.collate([0, 1, 2, 3])
    model.generate(b['users'], None, b['prompts'], 12, 10, 10, trie)  # warm-up
    for label, constraint in (('free', None), ('trie', trie)):
        pr = cProfile.Profile(); t0 = time.perf_counter(); pr.enable()
        out = model.generate(b['users'], None, b['prompts'], 12, 10, 10, constraint)
        pr.disable(); secs = time.perf_counter() - t0
        st = pstats.Stats(pr); inside = sum(v[3] for k, v in st.stats.items() if k[2] == '__call__' and 'lm.py' in k[0])
        print(f'{label}: {secs:.2f} s for {out.shape[1]} steps x {out.shape[0]} beams; in Trie.__call__ {inside:.3f} s')


def recommend():
    from llmrec.bench import synthetic_recommender
    rec = synthetic_recommender(5000)
    users = np.random.default_rng(0).choice(list(rec.user_index), 200)
    rec.recommend(users[0], 10, reasons=False)
    pr = cProfile.Profile(); pr.enable()
    for u in users: rec.recommend(u, 10, reasons=False)
    pr.disable()
    st = pstats.Stats(pr)
    cum = lambda file, name: sum(v[3] for k, v in st.stats.items() if file in k[0] and k[2] == name) / len(users) * 1000
    for label, file, name in (('recommend()', 'interact.py', 'recommend'), ('user tower', 'interact.py', 'base_vectors'),
                              ('scoring + mask + top-k', 'interact.py', '_top'), ('result DataFrame', 'pandas/core/frame.py', '__init__')):
        print(f'{label:>24}: {cum(file, name):.2f} ms per call (cumulative, under cProfile)')


def trie_mask():
    import pandas as pd
    from transformers import AutoTokenizer
    from llmrec.lm import Trie, item_names, lm_dir
    tok = AutoTokenizer.from_pretrained(str(lm_dir('smollm2')), local_files_only=True)
    ids = tok([' ' + n for n in item_names(pd.read_parquet('data/ml-100k/items.parquet'))], add_special_tokens=False).input_ids
    trie = Trie(ids, tok.eos_token_id)
    steps = (('first step', torch.zeros(640, 0, dtype=torch.long)), ('second step', torch.tensor([[ids[i % len(ids)][0]] for i in range(640)])))
    for rep in range(2):  # the second round reuses the cached index tensors
        for label, prefix in steps:
            scores = torch.randn(640, len(tok))
            t0 = time.perf_counter(); trie(prefix, scores)
            print(f'round {rep}, {label}: {1000 * (time.perf_counter() - t0):.1f} ms for 640 rows')


if __name__ == '__main__':
    {'rank': rank, 'trie': trie, 'recommend': recommend, 'trie-mask': trie_mask}[sys.argv[1]]()

"""Where the time goes in the efficiency goals that were missed (issue 9), profiled on this CPU.

    python scripts/profile_missed.py rank      # full ranking at 1M items: matmul vs history mask vs top-k (torch.profiler)
    python scripts/profile_missed.py trie      # generative retrieval: share of decoding time in the trie (cProfile)
    python scripts/profile_missed.py recommend # one recommend() call at 5k items: user tower, scoring, result table
    python scripts/profile_missed.py trie-mask # the trie's mask for 640 beams (32 users x 20 beams) at the first two steps
On a GPU (the device tool; scripts/gpu_generate.sh B and C1 run these):
    python scripts/profile_missed.py gpu-rank                              # the H200's 1M-item scoring: kernel split
    python scripts/profile_missed.py gpu-encode MODEL_DIR DATA KIND N      # an encode run: kernels vs host, per kernel

The CPU modes show the split of the same code paths on this machine; the GPU modes are what the note's H200 figures
come from.
"""
import cProfile, pstats, sys, time
from pathlib import Path

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


def _kernel_table(prof, wall_s:float, n_rows:int=12) -> str:
    "GPU kernel time per kernel, its share of the wall time, and the GPU's busy share (kernels only: an op row's device
    time repeats its kernels', so the session-five outputs, which summed both, read about twice the busy share)."
    from torch.autograd import DeviceType
    ev = [e for e in prof.key_averages() if e.self_device_time_total > 0 and e.device_type == DeviceType.CUDA]
    busy = sum(e.self_device_time_total for e in ev) / 1e6  # seconds of kernels
    lines = [f'wall {wall_s * 1000:.1f} ms, GPU kernels {busy * 1000:.1f} ms: the GPU is busy {busy / wall_s:.1%} of the wall time']
    for e in sorted(ev, key=lambda e: -e.self_device_time_total)[:n_rows]:
        lines.append(f'  {e.self_device_time_total / 1000:9.2f} ms {e.self_device_time_total / 1e6 / wall_s:6.1%}  x{e.count:<5} {e.key[:90]}')
    return '\n'.join(lines)


def gpu_rank():
    "The bench-score measurement at 1M items on the GPU (bf16, batch from the same budget), under torch.profiler."
    from torch.profiler import ProfilerActivity, profile
    from llmrec.bench import bench_scoring, rank_topk
    from llmrec.encode import matmul_peak_tflops
    cuda = torch.cuda.is_available()  # a CPU run only checks the script (tiny sizes)
    n, d, dev = (1_000_000 if cuda else 20_000), 128, torch.device('cuda' if cuda else 'cpu')
    peak = matmul_peak_tflops(device=dev) if cuda else 1.0
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    r = bench_scoring(n, d, device=dev)
    B = r['batch']
    g = torch.Generator().manual_seed(0)
    items = F.normalize(torch.randn(n, d, generator=g), dim=-1).to(dev, torch.bfloat16)
    users = F.normalize(torch.randn(B, d, generator=g), dim=-1).to(dev, torch.bfloat16)
    if not cuda: items, users = items.float(), users.float()
    exclude = torch.randint(0, n, (B, 20), generator=g).to(dev)
    parts = {'matmul': lambda: users @ items.T, 'matmul + exclude': lambda: (users @ items.T).scatter_(1, exclude, float('-inf')),
             'rank_topk': lambda: rank_topk(users, items, 10, exclude)}
    print(f'bf16 matmul peak {peak:.0f} TFLOP/s; bench_scoring at {n:,} items: batch {B}, {r["users_per_s"]:,.0f} users/s, '
          f'{r["tflops"]:.1f} TFLOP/s = {r["tflops"] / peak:.1%} of peak')
    with torch.inference_mode():
        for label, f in parts.items():  # each step alone: where the batch's time goes
            f(); sync(); t0 = time.perf_counter()
            for _ in range(20): f()
            sync(); ms = (time.perf_counter() - t0) / 20 * 1000
            print(f'{label:>18}: {ms:.3f} ms per batch of {B} users ({2 * B * n * d / ms / 1e9:.0f} TFLOP/s)')
        score_gb = B * n * 2 / 1e9
        print(f'the (B, n) score matrix is {score_gb:.2f} GB of bf16: writing it once and reading it once at ~4.8 TB/s '
              f'takes {2 * score_gb / 4.8:.3f} ms, while its {2 * B * n * d / 1e12:.3f} TFLOP take {2 * B * n * d / peak / 1e9:.3f} ms at peak')
        rank_topk(users, items, 10, exclude); sync()
        with profile(activities=[ProfilerActivity.CPU] + [ProfilerActivity.CUDA] * cuda) as prof:
            t0 = time.perf_counter()
            for _ in range(10): rank_topk(users, items, 10, exclude)
            sync(); wall = time.perf_counter() - t0
    print(_kernel_table(prof, wall))


def gpu_encode(model_dir, data_dir, kind='items', n=16384):
    "One encode run as bench-encode times it (paper settings, bf16): host work vs GPU kernels, and the kernels."
    from torch.profiler import ProfilerActivity, profile
    from llmrec.config import load_params
    from llmrec.encode import TextEncoder, dataset_texts, encoder_flops, matmul_peak_tflops
    params = load_params(profile='paper', sections=['encode'])
    p = params['encode']
    texts = dataset_texts(data_dir, params)['users_test' if kind == 'users' else 'items'][:int(n)]
    mt = p['item_max_tokens' if kind == 'items' else 'user_max_tokens']
    cuda = torch.cuda.is_available()  # a CPU run only checks the script
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    enc = TextEncoder(model_dir, 'mean', None, 'cuda' if cuda else 'cpu', torch.bfloat16 if cuda else None, p['batch_size'],
                      p['batch_tokens'] if cuda else 0)
    peak = matmul_peak_tflops() if cuda else 1.0
    enc.encode(texts[:256], mt, progress=False)  # warm-up
    sync(); t0 = time.perf_counter(); enc.encode(texts, mt, progress=False); sync()
    wall = time.perf_counter() - t0
    t0 = time.perf_counter(); ids = enc.tokenizer(list(texts), truncation=True, max_length=mt)['input_ids']; tok_s = time.perf_counter() - t0
    lengths = [len(x) for x in ids]
    fl = encoder_flops(enc.model, lengths)
    print(f"{Path(model_dir).name if Path(model_dir).name != 'model' else Path(model_dir).parent.name} {kind}: "
          f"{len(texts)} texts, mean {np.mean(lengths):.1f} tokens, {len(list(enc._batches(np.array(lengths))))} batches; "
          f'{len(texts) / wall:,.0f} texts/s, {fl / wall / 1e12:.1f} TFLOP/s = {fl / wall / 1e12 / peak:.1%} of the {peak:.0f} TFLOP/s peak; '
          f'tokenising alone {tok_s * 1000:.0f} ms ({tok_s / wall:.0%} of the wall time)')
    with profile(activities=[ProfilerActivity.CPU] + [ProfilerActivity.CUDA] * cuda) as prof:
        t0 = time.perf_counter(); enc.encode(texts, mt, progress=False); sync(); wall = time.perf_counter() - t0
    print(_kernel_table(prof, wall))
    ev = {e.key: e for e in prof.key_averages()}
    mm = sum(e.self_device_time_total for k, e in ev.items() if not k.startswith('aten::') and any(s in k.lower() for s in ('gemm', 'matmul', 'cutlass', 'sm90_xmma', 'nvjet'))) / 1e6
    print(f'matrix-product kernels: {mm * 1000:.1f} ms, at {fl / max(mm, 1e-9) / 1e12:.0f} TFLOP/s while they run')


if __name__ == '__main__':
    modes = {'rank': rank, 'trie': trie, 'recommend': recommend, 'trie-mask': trie_mask, 'gpu-rank': gpu_rank, 'gpu-encode': gpu_encode}
    modes[sys.argv[1]](*sys.argv[2:])

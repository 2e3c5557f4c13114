"""Semantic encoding: templates, profiles without held-out items, encoder resolution, caching and pooling."""
import time

import numpy as np
import pandas as pd
import pytest
import torch

from llmrec.config import LlmrecError, resolve_params, write_parquet
from llmrec.encode import (TextEncoder, dataset_texts, encode, encode_cached, encoder_name, item_text, load_vectors,
                           minilm_dir, pool, resolve_encoder, user_profiles)


def _tables(n_users=30, n_items=40, seed=0):
    "Random toy tables with unique titles; each user: >= 3 items, last = test, second-last = valid."
    rng = np.random.default_rng(seed)
    items = pd.DataFrame({'item_idx': np.arange(n_items), 'item_id': [f'i{i}' for i in range(n_items)],
                          'title': [f'title-{i:03d}' for i in range(n_items)], 'description': '',
                          'attributes': [[f'category: c{i % 3}'] for i in range(n_items)]})
    users = pd.DataFrame({'user_idx': np.arange(n_users), 'user_id': [f'u{u}' for u in range(n_users)],
                          'age': rng.integers(18, 70, n_users), 'zip_code': ['12345'] * n_users})
    rows = []
    for u in range(n_users):
        seq = rng.choice(n_items, int(rng.integers(3, 12)), replace=False)
        for p, i in enumerate(seq):
            rows.append((u, int(i), p, 'test' if p == len(seq) - 1 else 'valid' if p == len(seq) - 2 else 'train'))
    inter = pd.DataFrame(rows, columns=['user_idx', 'item_idx', 'position', 'split'])
    return items, users, inter


@pytest.fixture(scope='module')
def tiny_bert(tmp_path_factory):
    "A 2-layer, 32-wide BERT with MiniLM's tokenizer, saved to a temporary folder (random weights)."
    from transformers import AutoTokenizer, BertConfig, BertModel
    d = tmp_path_factory.mktemp('tiny-bert')
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(d)
    AutoTokenizer.from_pretrained(minilm_dir()).save_pretrained(d)
    return d


def test_profiles_name_only_what_came_before_their_target():
    items, users, inter = _tables()
    for role, splits, drop in (('fit', ['train'], 1), ('valid', ['train'], 0), ('test', ['train', 'valid'], 0)):
        profiles = user_profiles(users, items, inter, profile_items=100, role=role)
        for u, text in enumerate(profiles):
            mine = inter[inter.user_idx == u].sort_values('position')
            before = mine[mine.split.isin(splits)].item_idx.tolist()
            before = before[:len(before) - drop]
            target = mine[mine.split == {'fit': 'train', 'valid': 'valid', 'test': 'test'}[role]].item_idx.tolist()[-1]
            named = [t for t in text.split('Recently: ')[-1].rstrip('.').split('; ') if t.startswith('title')]
            assert named == [f'title-{i:03d}' for i in before[::-1]], (role, u, text)
            assert f'title-{target:03d}' not in text, (role, u, text)
            test_item = mine[mine.split == 'test'].item_idx.item()
            assert f'title-{test_item:03d}' not in text, 'the test item is in no profile'
            assert 'zip' not in text and f"age: {users.age[u]}" in text
    with pytest.raises(LlmrecError, match='role'): user_profiles(users, items, inter, role='train')


def test_item_template_is_fixed_and_truncates_descriptions():
    t = item_text('Beaker, 250 mL.', ['brand: Pyrex', 'category: Lab'], 'word ' * 500, description_chars=50)
    assert t.startswith('Title: Beaker, 250 mL. brand: Pyrex; category: Lab. Description: word')
    assert t.endswith(' ...') and len(t) < 120
    assert item_text('', [], '') == 'Unknown item.'


def test_hub_name_fails_fast_without_network():
    t = time.perf_counter()
    with pytest.raises(LlmrecError, match='never downloads'): resolve_encoder('sentence-transformers/all-mpnet-base-v2')
    with pytest.raises(LlmrecError, match='pooling'): resolve_encoder('minilm:max')
    assert time.perf_counter() - t < 1.0
    assert [encoder_name(s) for s in ('minilm', 'smollm2', 'smollm2:last')] == ['minilm', 'smollm2', 'smollm2-last']


def test_pooling_mean_and_last_ignore_padding():
    h = torch.arange(12.).reshape(2, 3, 2)  # (B=2, T=3, d=2)
    m = torch.tensor([[1, 1, 1], [1, 0, 0]])
    assert torch.equal(pool(h, m, 'mean'), torch.tensor([[2., 3.], [6., 7.]]))
    assert torch.equal(pool(h, m, 'last'), torch.tensor([[4., 5.], [6., 7.]]))


def test_length_sorted_batches_match_one_by_one(tiny_bert):
    texts = ['a short one', 'a much longer text about pipettes, beakers and flasks in a lab', 'mid length text here']
    batched = TextEncoder(tiny_bert, batch_size=3).encode(texts, progress=False)
    single = TextEncoder(tiny_bert, batch_size=1).encode(texts, progress=False)
    assert torch.allclose(batched, single, atol=1e-5)
    assert torch.allclose(batched.norm(dim=1), torch.ones(3), atol=1e-5)


def test_cache_hit_costs_nothing(tiny_bert, tmp_path):
    texts = [f'item number {i}' for i in range(20)]
    v1, hit1 = encode_cached(TextEncoder(tiny_bert), texts, 32, tmp_path / 'ds' / 'tiny-items', progress=False)
    fresh = TextEncoder(tiny_bert)
    t = time.perf_counter()
    v2, hit2 = encode_cached(fresh, texts, 32, tmp_path / 'ds' / 'tiny-items', progress=False)
    assert (hit1, hit2) == (False, True) and fresh._model is None and fresh._tokenizer is None
    assert time.perf_counter() - t < 0.5 and torch.equal(v1, v2)
    _, hit3 = encode_cached(fresh, texts, 16, tmp_path / 'ds' / 'tiny-items', progress=False)
    assert not hit3, 'another token limit is another cache entry'


def test_encode_stage_writes_vectors_and_manifest(tiny_bert, tmp_path):
    items, users, inter = _tables()
    for df, f in ((items, 'items'), (users, 'users'), (inter, 'interactions')): write_parquet(df, tmp_path / 'toy' / f'{f}.parquet')
    params = resolve_params({'encode': {'encoders': [str(tiny_bert)], 'user_max_tokens': 64}})
    m = encode(tmp_path / 'toy', tmp_path / 'out', params, cache_dir=tmp_path / 'enc', progress=False)
    name = encoder_name(str(tiny_bert))
    iv = load_vectors(tmp_path / 'out' / name / 'item_vectors.safetensors')['vectors']
    uv = load_vectors(tmp_path / 'out' / name / 'user_text_vectors.safetensors')
    assert iv.shape == (40, 32) and m['encoders'][name]['dim'] == 32
    assert {k: tuple(v.shape) for k, v in uv.items()} == {r: (30, 32) for r in ('fit', 'valid', 'test')}
    assert (tmp_path / 'out' / 'manifest.json').exists()
    m2 = encode(tmp_path / 'toy', tmp_path / 'out', params, cache_dir=tmp_path / 'enc', progress=False)
    assert m2['encoders'][name]['cache_hits'] == 4


def test_a_dataset_reads_its_own_text_settings(tiny_bert, tmp_path):
    "encode.<dataset> overrides the section's text settings for that dataset's folder only, and the manifest says so."
    items, users, inter = _tables()
    for ds in ('ml-100k', 'ibm-articles'):
        for df, f in ((items, 'items'), (users, 'users'), (inter, 'interactions')): write_parquet(df, tmp_path / ds / f'{f}.parquet')
    raw = {'encode': {'encoders': [str(tiny_bert)], 'paper': {'ml-100k': {'profile_items': 1, 'item_max_tokens': 16}}}}
    paper, demo = resolve_params(raw, 'paper'), resolve_params(raw, 'demo')
    recent = lambda texts: [t.split('Recently: ')[-1].count('; ') + 1 for t in texts if 'Recently: ' in t]
    assert set(recent(dataset_texts(tmp_path / 'ml-100k', paper)['users_test'])) == {1}
    assert max(recent(dataset_texts(tmp_path / 'ibm-articles', paper)['users_test'])) > 1  # another dataset: the section's
    assert max(recent(dataset_texts(tmp_path / 'ml-100k', demo)['users_test'])) > 1       # another profile: the section's
    m = encode(tmp_path / 'ml-100k', tmp_path / 'out', paper, cache_dir=tmp_path / 'enc', progress=False)
    assert (m['item_max_tokens'], m['profile_items'], m['user_max_tokens']) == (16, 1, 256)
    with pytest.raises(LlmrecError, match="encode.ml-100k.item_max_tokens' = 4 is out of range"):
        resolve_params({'encode': {'ml-100k': {'item_max_tokens': 4}}})
    with pytest.raises(LlmrecError, match="unknown key 'encode.ml-100k.batch_size'"):  # only text settings are per dataset
        resolve_params({'encode': {'ml-100k': {'batch_size': 8}}})


def test_minilm_puts_similar_items_near():
    _, d, p = resolve_encoder('minilm')
    v = TextEncoder(d, p).encode(['Title: Nitrile lab gloves, size M.', 'Title: Disposable nitrile gloves, medium.',
                                  'Title: The Godfather (1972). genre: Crime.'], progress=False)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 2] + 0.3


def test_missing_tables_fail_clearly(tmp_path):
    with pytest.raises(LlmrecError, match='llmrec prepare'):
        encode(tmp_path / 'nope', tmp_path / 'out', resolve_params({'encode': {'encoders': ['minilm']}}))

"""Semantic alignment: InfoNCE by hand, towers, the seen mask, zero-shot scores and a short training on a planted pattern."""
import json, math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from llmrec.align import (ALIGN_HP, ALIGN_MODELS, AlignBatches, AlignSystem, ItemTower, build_two_tower, fit_align,
                          info_nce, run_align, zero_shot_run, zero_shot_scorer)
from llmrec.baselines import toy_recdata
from llmrec.config import LlmrecError, resolve_params, write_parquet
from llmrec.encode import save_vectors


def test_info_nce_matches_hand_computation():
    u = torch.tensor([[1., 0.], [0., 2.]])
    v = torch.tensor([[1., 0.], [0., 1.], [-1., 1.]])
    tau = 0.5
    cos = torch.tensor([[1., 0., -1 / math.sqrt(2)], [0., 1., 1 / math.sqrt(2)]])
    by_hand = np.mean([-math.log(math.exp(cos[0, 0] / tau) / sum(math.exp(c / tau) for c in cos[0])),
                       -math.log(math.exp(cos[1, 2] / tau) / sum(math.exp(c / tau) for c in cos[1]))])
    assert abs(info_nce(u, v, torch.tensor([0, 2]), tau).item() - by_hand) < 1e-6
    # excluding a negative removes its term; the positive itself can never be excluded
    ex = torch.tensor([[False, True, False], [True, True, True]])
    by_hand_ex = np.mean([-math.log(math.exp(cos[0, 0] / tau) / (math.exp(cos[0, 0] / tau) + math.exp(cos[0, 2] / tau))), 0.0])
    assert abs(info_nce(u, v, torch.tensor([0, 2]), tau, ex).item() - by_hand_ex) < 1e-6


def test_item_tower_variants():
    vec = F.normalize(torch.randn(5, 16), dim=-1)
    both, text, ids = ItemTower(5, 8, vec), ItemTower(5, 8, vec, id_embedding=False), ItemTower(5, 8, None)
    assert both.gate is not None and text.id_embedding is None and ids.text_vectors is None
    assert all(t.all_items().shape == (5, 8) for t in (both, text, ids))
    assert torch.equal(both(torch.tensor([0])).detach(), torch.zeros(1, 8))
    with pytest.raises(LlmrecError): ItemTower(5, 8, None, id_embedding=False)
    with pytest.raises(LlmrecError, match='re-run the encode'): ItemTower(6, 8, vec)


def test_seen_mask_marks_exactly_the_training_items():
    data = toy_recdata(n_users=12, n_items=15, n_blocks=3, seq_len=6)
    hp = {**ALIGN_HP, 'dim': 8, 'heads': 1, 'max_len': 6}
    system = AlignSystem(build_two_tower(data, hp, None, None), data)
    users = torch.tensor([3, 0, 7])
    mask = system.seen_mask(users)
    seqs = data.train_sequences()
    for row, u in enumerate(users.tolist()):
        assert set(torch.nonzero(mask[row]).flatten().tolist()) == set(seqs[u].tolist())


def test_windows_mark_the_last_window_of_each_user():
    b = AlignBatches([np.arange(7), np.array([3, 4])], max_len=3, batch_size=8)
    assert b.fuse.tolist() == [True, False, True]  # user 0: windows [3..6] then [0..3]; user 1: one window
    assert b.targets[0, -1].item() == 7  # token of item 6, the user's last training item


def test_zero_shot_is_mean_of_history_vectors():
    data = toy_recdata(n_users=6, n_items=9, n_blocks=3, seq_len=5)
    V = F.normalize(torch.randn(9, 4), dim=-1)
    score = zero_shot_scorer(data, V, 'test')
    seq = data.sequences('test')[2]
    u = F.normalize(V[torch.from_numpy(seq)].mean(0), dim=-1)
    assert torch.allclose(score(torch.tensor([2]))[0], V @ u, atol=1e-6)


def _planted():
    data = toy_recdata(n_users=90, n_items=30, n_blocks=3, seq_len=8)
    g = torch.Generator().manual_seed(0)
    blocks = F.normalize(torch.randn(3, 32, generator=g), dim=-1)
    item_vectors = F.normalize(blocks.repeat_interleave(10, 0) + 0.5 * torch.randn(30, 32, generator=g), dim=-1)
    return data, item_vectors, F.normalize(torch.randn(90, 32, generator=g), dim=-1)


def test_short_training_beats_random_and_zero_shot_on_a_planted_pattern():
    data, iv, pv = _planted()
    hp = {**ALIGN_HP, 'dim': 32, 'max_len': 8, 'dropout': 0.1, 'text_dropout': 0.0, 'lr': 5e-3, 'batch_size': 32,
          'max_epochs': 8, 'patience': 10, 'eval_every': 4}
    r = fit_align('llmrec', data, hp, iv, pv, seed=0)
    z = zero_shot_run(data, iv)
    # random ranking over ~27 candidates: NDCG@10 ~ 0.13; the planted next item is fully determined by the last one
    assert r.test['NDCG@10'] > 0.6 and r.test['NDCG@10'] > z.test['NDCG@10'] + 0.2, (r.test, z.test)
    assert r.per_user is not None and len(r.per_user) == 90


def test_tuning_never_scores_the_test_split():
    data, iv, pv = _planted()
    hp = {**ALIGN_HP, 'dim': 16, 'max_len': 8, 'batch_size': 64, 'max_epochs': 1, 'eval_every': 1}
    r = fit_align('llmrec', data, hp, iv, pv, test=False)
    assert r.per_user is None and r.test == {} and 'NDCG@10' in r.valid


def test_stage_writes_every_model(tmp_path):
    data, iv, pv = _planted()
    for f, df in (('items', data.items), ('users', data.users), ('interactions', data.interactions)):
        write_parquet(df, tmp_path / 'toy' / f'{f}.parquet')
    (tmp_path / 'toy' / 'stats.json').write_text(json.dumps({'dataset': 'ml-100k'}))
    for enc in ('minilm', 'smollm2'):
        save_vectors({'vectors': iv}, tmp_path / 'vec' / enc / 'item_vectors.safetensors')
        save_vectors({r: pv for r in ('fit', 'valid', 'test')}, tmp_path / 'vec' / enc / 'user_text_vectors.safetensors')
    params = resolve_params({'align': {'max_epochs_cap': 1, 'ml-100k': {'dim': 16, 'max_len': 8, 'batch_size': 64}}})
    out = run_align(tmp_path / 'toy', tmp_path / 'vec', tmp_path / 'a.csv', tmp_path / 'pu', params, tmp_path / 'b.csv')
    assert sorted(out.model.unique()) == sorted(ALIGN_MODELS)
    assert all((tmp_path / 'pu' / f'{m}-seed0.parquet').exists() for m in ALIGN_MODELS)
    # a missing encoder output fails with a message that says how to fix it
    with pytest.raises(LlmrecError, match="'align.encoder'"):  # an unknown name fails when params are read
        resolve_params({'align': {'models': ['llmrec'], 'encoder': 'other'}})
    (tmp_path / 'other').mkdir()  # a local model folder is a valid encoder, but nothing was encoded with it
    params = resolve_params({'align': {'models': ['llmrec'], 'encoder': str(tmp_path / 'other')}})
    with pytest.raises(LlmrecError, match='encode.encoders'):
        run_align(tmp_path / 'toy', tmp_path / 'vec', tmp_path / 'a.csv', tmp_path / 'pu', params)


def test_params_are_validated():
    with pytest.raises(LlmrecError, match='negatives'): resolve_params({'align': {'ml-100k': {'negatives': 'some'}}})
    with pytest.raises(LlmrecError, match='models'): resolve_params({'align': {'models': ['sasrec']}})
    for bad in ({'bag_dim': -1}, {'bag_lr': -1e-3}, {'bag_dropout': 1.0}, {'bag_warmup': -1}, {'bag_warmup': 2.5}):
        with pytest.raises(LlmrecError, match=next(iter(bad))): resolve_params({'align': {'ibm-articles': bad}})
    data, iv, pv = _planted()  # a warm-up of a channel that is off is a mistake, not a no-op
    with pytest.raises(LlmrecError, match='bag_warmup=2.*bag_dim=0'):
        fit_align('llmrec', data, {**ALIGN_HP, 'dim': 16, 'max_len': 8, 'bag_warmup': 2}, iv, pv)


def test_profile_prior_adds_text_space_cosine():
    data, iv, pv = _planted()
    hp = {**ALIGN_HP, 'dim': 16, 'max_len': 8, 'profile_prior': True}
    m = build_two_tower(data, hp, iv, pv)
    tokens, users = torch.tensor([[0, 3, 4]]), torch.tensor([5])
    with torch.no_grad():
        m.prior_weight.fill_(1.0); m.eval()
        u = F.normalize(m.user_vectors(tokens, users), dim=-1)
        expected = u @ F.normalize(m.item_tower.all_items(), dim=-1).T / m.temperature + \
            F.softplus(torch.tensor(1.0)) * F.normalize(pv[5], dim=-1) @ iv.T  # one tensor stands for every role
        assert torch.allclose(m(tokens, users)[0], expected[0], atol=1e-5)
    with pytest.raises(LlmrecError, match='profile_prior'):
        from llmrec.align import TwoTower
        TwoTower(ItemTower(30, 16, None), build_two_tower(data, hp, iv, None).user_tower, profile_prior=True)


def test_tuned_encoder_layers_train_check_and_serve(tmp_path):
    "tune_layers: MiniLM's top layer runs inside the item tower, starts from the encode stage's vectors and is served baked."
    from llmrec.align import align_run, tuned_text
    from llmrec.encode import TextEncoder, item_texts, minilm_dir
    data = toy_recdata(n_users=40, n_items=30, n_blocks=3, seq_len=8)
    words = ['guitar strap', 'microscope slide', 'pipette tips', 'drum sticks', 'lab goggles', 'violin rosin']
    data.items['title'] = [f'{words[i % 6]} model {i}' for i in range(30)]
    texts = item_texts(data.items, 600)
    iv = TextEncoder(minilm_dir()).encode(texts, 32, progress=False)  # what the encode stage would have written
    vec = tmp_path / 'vec'
    save_vectors({'vectors': iv}, vec / 'minilm' / 'item_vectors.safetensors')
    pv = F.normalize(torch.randn(data.n_users, 384), dim=-1)
    save_vectors({r: pv for r in ('fit', 'valid', 'test')}, vec / 'minilm' / 'user_text_vectors.safetensors')
    (vec / 'manifest.json').write_text(json.dumps({'description_chars': 600, 'item_max_tokens': 32}))
    params = resolve_params({'align': {'ml-100k': {'dim': 16, 'max_len': 8, 'batch_size': 64}}})
    hp = {**params['align']['ml-100k'], 'max_epochs': 2, 'tune_layers': 1, 'tune_lr': 1e-3}
    r = align_run('llmrec', data, params['align'], params['run'], vec, 0, hp)
    served = r.weights['item_tower.text_vectors'][1:]  # baked: the tuned layer's vectors at the best epoch
    assert served.shape == iv.shape and not torch.allclose(served, iv, atol=1e-4)
    assert not any('tuned' in k for k in r.weights)  # nothing of the encoder is left in what is served
    # ID-only models read no text, so tune_layers changes nothing for them
    assert 'item_tower.text_vectors' not in align_run('llmrec-nollm', data, params['align'], params['run'], vec, 0, hp).weights
    # the layers must rebuild the encode stage's vectors: vectors of other texts fail with a way out
    with pytest.raises(LlmrecError, match='re-run the encode stage'):
        tuned_text(vec, 'minilm', data, 1, iv.roll(1, 0))
    with pytest.raises(LlmrecError, match='has 6 layers'): tuned_text(vec, 'minilm', data, 7)
    with pytest.raises(LlmrecError, match='tune_layers'):  # asked for, but no layers given
        fit_align('llmrec', data, hp, iv, None)


def test_whitening_and_id_dropout():
    "whiten: the projection reads decorrelated unit vectors, rebuilt the same on every load; id_dropout acts in training only."
    g = torch.Generator().manual_seed(0)
    x = F.normalize(torch.randn(60, 12, generator=g) + 2, dim=-1)
    a, b = ItemTower(60, 8, x, whiten=True), ItemTower(60, 8, x, whiten=True)
    assert torch.equal(a.white_matrix, b.white_matrix)  # deterministic: a served model rebuilds the same transform
    assert 'white_matrix' not in a.state_dict()  # statistics of the frozen vectors are not weights
    w = (x - a.white_mean) @ a.white_matrix
    raw, white = torch.linalg.eigvalsh(torch.cov(x.T)), torch.linalg.eigvalsh(torch.cov(w.T))
    assert raw.max() / raw.min() > 10 and white.min() > 0.8 and white.max() < 1 + 1e-4  # every direction ~ unit variance
    t = ItemTower(60, 8, x, id_dropout=0.5)
    t.eval(); first = t.all_items(); assert torch.equal(first, t.all_items())  # no dropout at evaluation
    t.train(); assert not torch.equal(t.all_items(), t.all_items())
    assert ItemTower(60, 8, None, id_dropout=0.5).id_dropout == 0  # an ID-only tower never drops its only input
    with pytest.raises(LlmrecError, match='whiten'): ItemTower(60, 8, None, whiten=True)
    with pytest.raises(LlmrecError, match='id_dropout'): resolve_params({'align': {'ml-100k': {'id_dropout': 1.0}}})


def test_project_text_reads_new_texts_as_the_catalogue_is_read():
    "Feedback text goes through the same whitening as the catalogue (a whitened tower projects raw vectors elsewhere)."
    g = torch.Generator().manual_seed(1)
    x = F.normalize(torch.randn(50, 12, generator=g) + 2, dim=-1)
    for whiten in (False, True):
        t = ItemTower(50, 8, x, id_embedding=False, whiten=whiten).eval()
        torch.testing.assert_close(t.project_text(x[:4]), t.all_items()[:4])  # an item's own vector lands on the item
    assert (t.text_proj(x[:4]) - t.all_items()[:4]).abs().max() > 1e-3  # the raw vector would not (whiten=True)
    t.baked = True  # item vectors from fine-tuned layers: the encoder's vectors of new text are another space
    with pytest.raises(LlmrecError, match='fine-tuned'): t.project_text(x[:1])
    with pytest.raises(LlmrecError, match='IDs only'): ItemTower(50, 8, None).project_text(x[:1])


def test_stall_note_flags_an_early_peak_ended_by_early_stopping_only():
    from llmrec.align import stall_note
    assert 'epoch 2' in stall_note(2, 7, 200)  # ML-100K's stalled SmolLM2 seeds: best epoch 2, stopped at 7
    assert stall_note(22, 27, 200) is None  # a run that learned
    assert stall_note(2, 3, 3) is None  # the demo's epoch cap ended it, not early stopping
    assert stall_note(4, 14, 200, eval_every=2) is not None and stall_note(6, 16, 200, eval_every=2) is None

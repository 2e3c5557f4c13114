"""The paper renders offline from results, and every number in its tables agrees with the CSV it was computed from.

The real `paper/paper.qmd` is rendered (with our renderer, not Quarto) in a temporary root holding small fake
`results/ranking.csv`, `results/align-goals-paper.csv`, `results/crosscheck.csv`, `results/bench-detail.csv` (raw
timings), `results/bench.csv` (tidy timings) and `data/<dataset>/stats.json`; the HTML tables are parsed back and each cell is compared with a mean and standard
deviation recomputed here with the `statistics` module (independent of `llmrec.paper`). The checkers are shown to fail
on a mutated CSV, so a paper that disagrees with its results cannot pass.
"""
import csv, json, re, shutil, statistics, subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from llmrec.config import DATASETS, LlmrecError
from llmrec.paper import MISSING, PUBLISHED_BEAUTY, RANKING_METRICS, render_paper

REPO = Path(__file__).resolve().parents[1]
QMD = REPO/'paper'/'paper.qmd'
STATS = {'ml-100k': (943, 1682, 100000), 'amazon-scientific': (8317, 4344, 58492), 'ibm-articles': (5148, 714, 33682)}
# (dataset, model, profile, seeds): several profiles, seeds and a ragged set of models, as while results arrive
RUNS = [('ml-100k', 'pop', 'paper', [0, 1, 2]), ('ml-100k', 'bpr', 'paper', [0, 1, 2]),
        ('ml-100k', 'llmrec', 'paper', [0, 1, 2]), ('ml-100k', 'llmrec-nollm', 'paper', [0, 1, 2]),
        ('amazon-beauty-p5', 'sasrec', 'paper', [0, 1, 2]), ('amazon-beauty-p5', 'sasrec-bce', 'paper', [0, 1]),
        ('ml-100k', 'pop', 'demo', [0]), ('ml-100k', 'sasrec', 'demo', [0]),
        ('amazon-scientific', 'pop', 'demo', [0]), ('ibm-articles', 'pop', 'demo', [0])]
BASELINES = ('pop', 'bpr', 'lightgcn', 'sasrec', 'sasrec-bce')
FAKE_P = 0.0123   # the goal file's p-value (a paired test over users needs per-user files the fake root lacks)
# tidy timings (results/bench.csv): (benchmark, system, profile, device, metric, value)
TIDY_BENCH = [('encode', 'llmrec', 'demo model=minilm texts=items', 'cpu', 'items_per_s', 185.0),
              ('encode', 'sentence-transformers', 'demo model=minilm texts=items', 'cpu', 'items_per_s', 160.0),
              ('train', 'llmrec', 'demo dataset=ml-100k model=llmrec', 'cpu', 's_per_epoch', 12.5),
              ('train', 'recbole', 'demo dataset=ml-100k model=sasrec', 'cpu', 's_per_epoch', 500.0),
              ('rank', 'llmrec', 'paper n_items=1000000', 'h200', 'users_per_s', 120000.0),
              ('rank', 'llmrec', 'paper n_items=1000000', 'h200', 'peak_fraction', 0.35),
              ('rank', 'peak', 'paper n_items=1000000', 'h200', 'users_per_s', 120000.0 / 0.35),
              ('recommend', 'llmrec', 'demo dataset=synthetic n_items=5000', 'cpu', 'p50_ms', 4.25),
              ('recommend', 'llmrec', 'demo dataset=synthetic n_items=5000', 'cpu', 'p99_ms', 7.5),
              ('pipeline', 'llmrec', 'demo', 'cpu', 'wall_s', 950.0)] + \
             [('scaling', 'llmrec', f'demo step=rank n_users=1000 n_items={n}', 'cpu', 'wall_s', 2e-5 * n) for n in (2000, 20000, 200000)]


def write_fake_results(root: Path) -> list[dict]:
    "Write a small ranking.csv and stats.json files under `root`; return the CSV rows."
    rows, k = [], 0
    for d, m, p, seeds in RUNS:
        for s in seeds:
            for met in RANKING_METRICS:
                k += 1
                rows.append({'dataset': d, 'model': m, 'profile': p, 'seed': s, 'metric': met,
                             'value': round(0.013 + (k * 0.0377) % 0.4, 6)})
    write_csv(rows, root/'results'/'ranking.csv')
    write_goals(rows, root/'results'/'align-goals-paper.csv')
    cc = [{'dataset': 'ml-100k', 'model': m, 'system': sy, 'metric': met, 'value': v}
          for m, vals in (('bpr', (0.108, 0.114, 0.0596, 0.0592)), ('sasrec', (0.140, 0.156, 0.0683, 0.077)))
          for (sy, met), v in zip((('llmrec', 'HR@10'), ('recbole', 'HR@10'), ('llmrec', 'NDCG@10'), ('recbole', 'NDCG@10')), vals)]
    write_csv(cc, root/'results'/'crosscheck.csv', ['dataset', 'model', 'system', 'metric', 'value'])
    bench = [{'benchmark': 'encode-minilm', 'system': sy, 'profile': 'paper', 'device': 'GPU-X', 'metric': met, 'value': v}
             for sy, met, v in (('llmrec', 'items_per_s', 2000.0), ('llmrec', 'speedup', 2.5),
                                ('sentence-transformers', 'items_per_s', 800.0))]
    bench += [{'benchmark': 'train-sasrec-amazon-beauty-p5', 'system': 'llmrec', 'profile': 'paper', 'device': 'GPU-X',
               'metric': 's_per_epoch', 'value': 2.125}]
    write_csv(bench, root/'results'/'bench-detail.csv', ['benchmark', 'system', 'profile', 'device', 'metric', 'value'])
    write_csv([dict(zip(['benchmark', 'system', 'profile', 'device', 'metric', 'value'], r)) for r in TIDY_BENCH],
              root/'results'/'bench.csv', ['benchmark', 'system', 'profile', 'device', 'metric', 'value'])
    for d, (u, i, n) in STATS.items():
        (root/'data'/d).mkdir(parents=True, exist_ok=True)
        (root/'data'/d/'stats.json').write_text(json.dumps(
            {'n_users': u, 'n_items': i, 'n_interactions': n, 'raw_users': u + 7, 'raw_items': i + 3, 'raw_interactions': n + 1234}))
    return rows


def write_csv(rows, path: Path, columns=('dataset', 'model', 'profile', 'seed', 'metric', 'value')):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, list(columns)); w.writeheader(); w.writerows(rows)


def write_goals(rows, path: Path):
    "A goal file as scripts/align_goals.py writes it, for llmrec on ml-100k, from the fake ranking rows."
    out = []
    for met in ('NDCG@10', 'HR@10'):
        def vals(m): return [r['value'] for r in rows if (r['dataset'], r['model'], r['profile'], r['metric']) == ('ml-100k', m, 'paper', met)]
        best = max((m for m in BASELINES if vals(m)), key=lambda m: statistics.mean(vals(m)))
        a, b = vals('llmrec'), vals(best)
        ratio = statistics.mean(a) / statistics.mean(b)
        out.append({'dataset': 'ml-100k', 'metric': met, 'llmrec': statistics.mean(a), 'llmrec_std': statistics.stdev(a),
                    'best_baseline': best, 'baseline': statistics.mean(b), 'baseline_std': statistics.stdev(b), 'ratio': ratio,
                    'goal': 1.0 if met == 'NDCG@10' else '', 'p_value': FAKE_P, 'met': (ratio >= 1) if met == 'NDCG@10' else '',
                    'seeds': len(a), 'baseline_seeds': len(b)})
    write_csv(out, path, out[0].keys())


def read_csv(path: Path) -> list[dict]:
    with open(path) as f: return [dict(r, seed=int(r['seed']), value=float(r['value'])) for r in csv.DictReader(f)]


class _TableParser(HTMLParser):
    "Collect every <table id=...> of an HTML page as a list of rows of cell texts (header row first)."
    def __init__(self):
        super().__init__(); self.tables, self._table, self._cell = {}, None, None
    def handle_starttag(self, tag, attrs):
        if tag == 'table': self._table = self.tables.setdefault(dict(attrs).get('id', f'table-{len(self.tables)}'), [])
        elif tag == 'tr' and self._table is not None: self._table.append([])
        elif tag in ('td', 'th') and self._table is not None: self._cell = []
    def handle_endtag(self, tag):
        if tag in ('td', 'th') and self._cell is not None:
            self._table[-1].append(' '.join(''.join(self._cell).split())); self._cell = None
        elif tag == 'table': self._table = None
    def handle_data(self, data):
        if self._cell is not None: self._cell.append(data)


def html_tables(html: str) -> dict[str, list[list[str]]]:
    p = _TableParser(); p.feed(html); return p.tables


def html_text(html: str) -> str:
    "The page's visible text with whitespace collapsed."
    body = re.sub(r'<(script|style)\b.*?</\1>', ' ', html, flags=re.S)
    return ' '.join(re.sub(r'<[^>]+>', ' ', body).split())


def expected(rows, dataset, model, metric, profile):
    "Mean and sample std (None for one seed) of a cell, recomputed from the CSV rows."
    v = [r['value'] for r in rows if (r['dataset'], r['model'], r['metric'], r['profile']) == (dataset, model, metric, profile)]
    if not v: return None
    return statistics.mean(v), (statistics.stdev(v) if len(v) > 1 else None)


def check_cell(text: str, exp, where: str) -> list[str]:
    "Compare a displayed 'mean ± std' (4 decimals) with the expected pair; return mismatch messages."
    if exp is None: return [] if text == '–' else [f'{where}: shows {text!r} but the CSV has no rows']
    m = re.fullmatch(r'(-?\d+\.\d{4})(?: ± (\d+\.\d{4}))?', text)
    if not m: return [f'{where}: {text!r} is not a number (CSV mean {exp[0]:.4f})']
    bad = abs(float(m[1]) - exp[0]) > 0.5e-4 + 1e-9
    bad |= (m[2] is None) != (exp[1] is None) or (m[2] is not None and abs(float(m[2]) - exp[1]) > 0.5e-4 + 1e-9)
    return [f'{where}: shows {text!r}, the CSV gives {exp[0]:.4f} ± {exp[1]}'] if bad else []


def check_pivot(table, rows, name, profile, models=None) -> tuple[list[str], set]:
    "A table with columns dataset, metric, model... against the CSV rows of `profile`; (errors, cells seen)."
    errors, seen = [], set()
    head, *body = table
    assert head[:2] == ['dataset', 'metric'], head
    assert models is None or set(head[2:]) <= set(models), head
    for r in body:
        for model, text in zip(head[2:], r[2:]):
            seen.add((profile, r[0], model, r[1]))
            errors += check_cell(text, expected(rows, r[0], model, r[1], profile), f'{name} {profile}/{r[0]}/{model}/{r[1]}')
    return errors, seen


def check_ranking_tables(tables, rows) -> list[str]:
    "Every number of the demo and all-metrics ranking tables against the CSV, plus coverage: every CSV cell must be shown."
    profiles = sorted({r['profile'] for r in rows})
    headline = 'paper' if 'paper' in profiles else profiles[0]
    errors, seen = check_pivot(tables['tbl-ranking'], rows, 'tbl-ranking', 'demo')   # the demo profile's section
    head, *body = tables['tbl-ranking-all']          # columns: dataset, model, metric...
    for r in body:
        for met, text in zip(head[2:], r[2:]):
            seen.add((headline, r[0], r[1], met, 'all'))
            errors += check_cell(text, expected(rows, r[0], r[1], met, headline), f'tbl-ranking-all {r[0]}/{r[1]}/{met}')
    for r in rows:
        if r['profile'] == 'demo' and r['metric'] in ('HR@10', 'NDCG@10') and ('demo', r['dataset'], r['model'], r['metric']) not in seen:
            errors.append(f"tbl-ranking lacks {r['profile']}/{r['dataset']}/{r['model']}/{r['metric']}")
        if r['profile'] == headline and (headline, r['dataset'], r['model'], r['metric'], 'all') not in seen:
            errors.append(f"tbl-ranking-all lacks {r['dataset']}/{r['model']}/{r['metric']}")
    return sorted(set(errors))


def check_main_table(table, rows, goals) -> list[str]:
    "The main table against the ranking CSV (llmrec and best-baseline means ± std, ratio) and the goal file (goal, p, mark)."
    errors = []
    head, *body = table
    assert head == ['Dataset', 'llmrec NDCG@10', 'llmrec HR@10', 'Best baseline', 'Baseline NDCG@10', 'Ratio', 'Goal', 'p', 'Met'], head
    for r in body:
        d, g = r[0], next(g for g in goals if g['dataset'] == r[0] and g['metric'] == 'NDCG@10')
        means = {m: statistics.mean(v) for m in BASELINES
                 if (v := [x['value'] for x in rows if (x['dataset'], x['model'], x['metric'], x['profile']) == (d, m, 'NDCG@10', 'paper')])}
        best = max(means, key=means.get)
        if r[3] != best: errors.append(f'tbl-main {d}: best baseline {r[3]!r}, the CSV gives {best}')
        mark = ('†' if means and float(g['ratio']) >= 1 else '‡') if float(g['p_value']) < 0.05 else ''
        for col, model, met in ((1, 'llmrec', 'NDCG@10'), (4, best, 'NDCG@10'), (2, 'llmrec', 'HR@10')):
            text = r[col]
            if col == 1:
                if not text.endswith(mark) or (not mark and text[-1] in '†‡'): errors.append(f'tbl-main {d}: mark in {text!r}, expected {mark!r}')
                text = text.rstrip('†‡')
            errors += check_cell(text.rstrip('†‡'), expected(rows, d, model, met, 'paper'), f'tbl-main {d}/{model}/{met}')
        llm = expected(rows, d, 'llmrec', 'NDCG@10', 'paper')
        if llm is None or abs(float(r[5]) - llm[0] / means[best]) > 0.5e-3 + 1e-9:
            errors.append(f'tbl-main {d}: ratio {r[5]}, the CSV gives {llm[0] / means[best] if llm else None}')
        if r[7] != f"{float(g['p_value']):.3f}": errors.append(f"tbl-main {d}: p {r[7]}, goal file {g['p_value']}")
        if r[6] != f"≥ {float(g['goal']):.2f}": errors.append(f"tbl-main {d}: goal {r[6]}, goal file {g['goal']}")
    if {r[0] for r in body} != {g['dataset'] for g in goals}: errors.append('tbl-main: datasets differ from the goal file')
    return errors


def check_stats_table(table, stats) -> list[str]:
    "Users, items, interactions and density of each dataset against its stats.json (a dash when not prepared)."
    errors = []
    head, *body = table
    assert head == ['Dataset', 'Scenario', 'Users', 'Items', 'Interactions', 'Raw interactions', 'Density (%)'], head
    assert [r[0] for r in body] == list(DATASETS)
    for r in body:
        s = stats.get(r[0])
        if s is None:
            if r[2:7] != ['–'] * 5: errors.append(f'{r[0]}: not prepared but shows {r[2:7]}')
            continue
        shown = [int(x.replace(',', '')) if re.fullmatch(r'[\d,]+', x) else None for x in r[2:6]]
        if shown != [s['n_users'], s['n_items'], s['n_interactions'], s['raw_interactions']]:
            errors.append(f'{r[0]}: shows {r[2:6]}, stats.json {s}')
        dens = 100 * s['n_interactions'] / (s['n_users'] * s['n_items'])
        if abs(float(r[6]) - dens) > 0.5e-3 + 1e-9: errors.append(f'{r[0]}: density {r[6]} vs {dens:.3f}')
    return errors


def pdf_pages_and_text(path: Path) -> tuple[int, str]:
    "Page count and text of a PDF, with pypdf if installed, else poppler's pdftotext."
    try:
        import pypdf
        r = pypdf.PdfReader(str(path)); return len(r.pages), '\n'.join(p.extract_text() or '' for p in r.pages)
    except ImportError: pass
    if not shutil.which('pdftotext'): pytest.skip('neither pypdf nor pdftotext is installed to read the PDF')
    text = subprocess.run(['pdftotext', str(path), '-'], capture_output=True, text=True).stdout
    return text.count('\f') or 1, text


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp('paper')
    write_fake_results(root)
    paths = render_paper(QMD, root/'out', root=root, engine='llmrec')
    return root, read_csv(root/'results'/'ranking.csv'), paths   # compare with what is on disk, as the paper read it


def test_tables_agree_with_results(rendered):
    root, rows, paths = rendered
    html = paths['html'].read_text()
    tables = html_tables(html)
    assert {'tbl-datasets', 'tbl-ranking', 'tbl-ranking-all'} <= set(tables)
    assert check_ranking_tables(tables, rows) == []
    stats = {d: json.loads((root/'data'/d/'stats.json').read_text()) for d in STATS}
    assert check_stats_table(tables['tbl-datasets'], stats) == []
    # the checker can fail: a changed value, a dropped row, a changed count are all caught
    for profile, where in (('demo', 'tbl-ranking demo/ml-100k/pop/HR@10'), ('paper', 'tbl-ranking-all ml-100k/pop/HR@10')):
        mutated = [dict(r) for r in rows]
        i = next(k for k, r in enumerate(mutated) if (r['dataset'], r['model'], r['metric'], r['profile']) == ('ml-100k', 'pop', 'HR@10', profile))
        mutated[i]['value'] += 0.05
        assert any(where in e for e in check_ranking_tables(tables, mutated)), where
    dropped = [r for r in rows if not (r['dataset'] == 'ibm-articles' and r['metric'] == 'NDCG@10')]
    assert any('shows' in e and 'no rows' in e for e in check_ranking_tables(tables, dropped))
    assert check_stats_table(tables['tbl-datasets'], {**stats, 'ml-100k': {**stats['ml-100k'], 'n_items': 1683}})
    assert check_stats_table(tables['tbl-datasets'], {**stats, 'ibm-articles': {**stats['ibm-articles'], 'raw_interactions': 1}})


def test_main_baseline_and_other_tables_agree_with_results(rendered):
    "Issue 7: a number in the main or baseline table that disagrees with results/ fails the test."
    root, rows, paths = rendered
    tables = html_tables(paths['html'].read_text())
    with open(root/'results'/'align-goals-paper.csv') as f: goals = list(csv.DictReader(f))
    assert {'tbl-main', 'tbl-baselines', 'tbl-published', 'tbl-crosscheck', 'tbl-ablation', 'tbl-bench', 'tbl-train'} <= set(tables)
    assert len(tables['tbl-main']) == 2 and check_main_table(tables['tbl-main'], rows, goals) == []
    errors, seen = check_pivot(tables['tbl-baselines'], rows, 'tbl-baselines', 'paper', BASELINES)
    assert errors == []
    want = {(r['profile'], r['dataset'], r['model'], r['metric']) for r in rows if r['profile'] == 'paper'
            and r['model'] in BASELINES and r['metric'] in ('HR@10', 'NDCG@10')}
    assert want <= seen, want - seen
    # published check: our mean over seeds / the published constant
    pub = {r[0] + '/' + r[3].split(' (')[0]: r for r in tables['tbl-published'][1:]}
    ours = expected(rows, 'amazon-beauty-p5', 'sasrec', 'HR@10', 'paper')[0]
    assert pub['sasrec/POD'][6] == f"{ours / PUBLISHED_BEAUTY['results']['POD']['HR@10']:.3f}"
    assert check_cell(pub['sasrec-bce/SASRec'][2], expected(rows, 'amazon-beauty-p5', 'sasrec-bce', 'NDCG@10', 'paper'), 'pub') == []
    # ablation: the relative change of the mean against the full model
    abl = {r[1]: r for r in tables['tbl-ablation'][1:] if r[0] == 'ml-100k'}
    full, noll = (expected(rows, 'ml-100k', m, 'NDCG@10', 'paper')[0] for m in ('llmrec', 'llmrec-nollm'))
    assert abl['llmrec-nollm'][3] == f'{100 * (noll / full - 1):+.1f} %'
    cc = {r[1]: r for r in tables['tbl-crosscheck'][1:]}
    assert cc['sasrec'][4] == f'{100 * (0.140 / 0.156 - 1):+.1f} %' and cc['bpr'][3] == '0.1140'
    assert tables['tbl-bench'][1][3:6] == ['2,000.0', '800.0', '2.50 ×']
    assert tables['tbl-train'][1][-1] == '2.12' or tables['tbl-train'][1][-1] == '2.13'
    # the checkers can fail: a changed llmrec value, a changed baseline value, a changed p-value
    bump = lambda m, met: [dict(r, value=r['value'] + 0.01) if (r['dataset'], r['model'], r['metric'], r['profile']) ==
                           ('ml-100k', m, met, 'paper') else r for r in rows]
    assert any('tbl-main ml-100k/llmrec/NDCG@10' in e for e in check_main_table(tables['tbl-main'], bump('llmrec', 'NDCG@10'), goals))
    assert check_pivot(tables['tbl-baselines'], bump('bpr', 'HR@10'), 'tbl-baselines', 'paper')[0]
    assert check_main_table(tables['tbl-main'], rows, [dict(g, p_value='0.2') for g in goals])
    text = html_text(paths['html'].read_text())
    g = next(g for g in goals if g['metric'] == 'NDCG@10')
    assert f"llmrec’s NDCG@10 is {float(g['ratio']):.3f} × that of {g['best_baseline']}" in text
    assert 'Runs with fewer seeds than the rest: sasrec-bce on amazon-beauty-p5 (2 of 3 seeds)' in text
    assert 'sasrec HR@10 on ml-100k (-10.3 %)' in text   # the cross-check outside ±10 %, in the Limitations


def test_efficiency_table_reads_the_tidy_bench_csv(rendered):
    "Issue 9: each efficiency row's ratio, goal and verdict are recomputed here from the fake results/bench.csv."
    root, _, paths = rendered
    tables = html_tables(paths['html'].read_text())
    head, *body = tables['tbl-efficiency']
    assert head == ['Benchmark', 'Profile', 'Device', 'Setting', 'Measure', 'llmrec', 'Reference', 'Ratio', 'Goal', 'Met']
    got = {r[0]: dict(zip(head, r)) for r in body}
    assert set(got) == {'encode', 'train', 'rank', 'recommend', 'pipeline'}, body
    v = {(b, s, m): x for b, s, _, _, m, x in TIDY_BENCH}
    enc = v['encode', 'llmrec', 'items_per_s'] / v['encode', 'sentence-transformers', 'items_per_s']
    assert (got['encode']['Ratio'], got['encode']['Met']) == (f'{enc:.2f} ×', 'met' if enc >= 1.0 else 'missed')
    tr = v['train', 'llmrec', 's_per_epoch'] / v['train', 'recbole', 's_per_epoch']
    # the training goal's quality half (NDCG@10) is not a timing: the table leaves the verdict to the text
    assert (got['train']['Ratio'], got['train']['Met'], got['train']['Setting']) == (f'{tr:.3f} ×', MISSING, 'dataset ml-100k, model llmrec')
    assert (got['rank']['Ratio'], got['rank']['Met'], got['rank']['Device']) == ('35.0 %', 'met', 'h200')
    assert got['rank']['Reference'] == f"{v['rank', 'peak', 'users_per_s']:,.0f} (peak)"
    assert (got['recommend']['llmrec'], got['recommend']['Met']) == ('4.25 / 7.50', 'met')
    assert (got['pipeline']['llmrec'], got['pipeline']['Met']) == ('950', 'missed')   # goal: <= 900 s
    text = html_text(paths['html'].read_text())
    assert 'The fitted exponents are 1.00 for rank against n_items (cpu, demo)' in text   # wall_s = 2e-5 * n exactly
    assert '3 of the 4 rows with a goal meet it; missed: pipeline (demo, cpu: dvc repro: wall s 950, goal ≤ 900 s).' in text
    assert re.search(r'Efficiency goals not met \( Table \d+ \): pipeline \(demo, cpu\)\.', text)
    assert 'id="fig-scaling"' in paths['html'].read_text()


def test_text_numbers_and_outputs(rendered):
    root, rows, paths = rendered
    text = html_text(paths['html'].read_text())
    assert f'{len(STATS)} of the {len(DATASETS)} datasets are prepared' in text
    assert f"together they hold {sum(n for *_, n in STATS.values()):,} interactions" in text
    # the best HR@10 per dataset (headline profile 'paper')
    best = max((statistics.mean(r['value'] for r in rows if (r['dataset'], r['model'], r['metric'], r['profile']) ==
                                ('ml-100k', m, 'HR@10', 'paper')), m) for m in ('pop', 'bpr', 'llmrec', 'llmrec-nollm'))
    assert f'on ml-100k, {best[1]} ({best[0]:.4f})' in text
    assert 'Table 2' in text and 'Figure 1' in text and '@tbl' not in text and '?@' not in text
    assert 'Kang and McAuley 2018' in text and 'Harper and Konstan 2015' in text   # citeproc ran
    assert 'data:image/png;base64' in paths['html'].read_text()                    # figure embedded
    assert paths['figures'] and all(f.exists() for f in paths['figures'])
    pages, pdf_text = pdf_pages_and_text(paths['pdf'])
    assert pages > 1 and 'Limitations' in pdf_text and 'ml-100k' in pdf_text


def test_renders_without_any_results(tmp_path):
    "The walking skeleton: no ranking.csv, no stats.json; the paper still renders and says what is missing."
    paths = render_paper(QMD, tmp_path/'out', root=tmp_path, engine='llmrec')
    text = html_text(paths['html'].read_text())
    assert 'no results yet' in text and 'Datasets not prepared yet: ml-100k' in text
    assert paths['pdf'].stat().st_size > 0


def test_failing_cell_names_label_and_keeps_old_output(tmp_path):
    (tmp_path/'ok.qmd').write_text('---\ntitle: t\n---\n\n```{python}\nx = 41 + 1\n```\n\nx is `{python} x`.\n')
    paths = render_paper(tmp_path/'ok.qmd', tmp_path/'out', root=tmp_path, engine='llmrec')
    before = paths['html'].read_bytes()
    assert b'x is 42.' in before
    (tmp_path/'bad.qmd').write_text('---\ntitle: t\n---\n\n```{python}\n#| label: tbl-boom\nimport nonexistent_module\n```\n')
    with pytest.raises(LlmrecError, match=r"cell 'tbl-boom' \(bad.qmd line 5\) failed"):
        render_paper(tmp_path/'bad.qmd', tmp_path/'out', root=tmp_path, engine='llmrec')
    assert paths['html'].read_bytes() == before
    assert not list((tmp_path/'out').glob('.render-*'))


def test_readme_result_table_matches_results():
    "The README's table is what `llmrec show --readme` prints from results/ranking.csv (nobody edits it by hand)."
    from llmrec.cli import readme_table
    root = Path(__file__).resolve().parents[1]
    readme = (root / 'README.md').read_text()
    block = readme.split('<!-- results:start -->')[1].split('<!-- results:end -->')[0].strip()
    assert block == readme_table(root / 'results' / 'ranking.csv'), 'regenerate it with `llmrec show --readme`'


def test_genret_rows_and_table_read_every_profile_and_average_seeds(tmp_path):
    import pandas as pd
    from llmrec.paper import genret_rows, genret_table
    assert not len(genret_rows(tmp_path)) and list(genret_table(tmp_path).columns)[:3] == ['Dataset', 'Profile', 'List']
    d = tmp_path / 'results/genret-runs/paper/toy'; d.mkdir(parents=True)
    pd.DataFrame([{'dataset': 'toy', 'model': m, 'profile': 'paper', 'seed': s, 'metric': 'NDCG@10', 'value': v + s / 10}
                  for m, v in (('llmrec-aligned', 0.1), ('llmrec-genret', 0.3)) for s in (0, 1)]).to_csv(d / 'genret.csv', index=False)
    assert len(genret_rows(tmp_path)) == 4
    t = genret_table(tmp_path, metrics=('NDCG@10',)).set_index('List')
    assert t.loc['aligned ranking (full scoring)', 'Seeds'] == '2'
    assert t.loc['generated titles, trie', 'NDCG@10'].startswith('0.3500')

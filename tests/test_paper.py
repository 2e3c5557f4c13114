"""The paper renders offline from results, and every number in its tables agrees with the CSV it was computed from.

The real `paper/paper.qmd` is rendered (with our renderer, not Quarto) in a temporary root holding small fake
`results/ranking.csv` and `data/<dataset>/stats.json`; the HTML tables are parsed back and each cell is compared with
a mean and standard deviation recomputed here with the `statistics` module (independent of `llmrec.paper`). The
checker is shown to fail on a mutated CSV, so a paper that disagrees with its results cannot pass.
"""
import csv, json, re, shutil, statistics, subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from llmrec.config import DATASETS, LlmrecError
from llmrec.paper import RANKING_METRICS, render_paper

REPO = Path(__file__).resolve().parents[1]
QMD = REPO/'paper'/'paper.qmd'
STATS = {'ml-100k': (943, 1682, 100000), 'amazon-scientific': (8317, 4344, 58492), 'ibm-articles': (5148, 714, 33682)}
# (dataset, model, profile, seeds): several profiles, seeds and a ragged set of models, as while results arrive
RUNS = [('ml-100k', 'pop', 'paper', [0, 1, 2]), ('ml-100k', 'bpr', 'paper', [0, 1, 2]),
        ('ml-100k', 'pop', 'demo', [0]), ('ml-100k', 'sasrec', 'demo', [0]),
        ('amazon-scientific', 'pop', 'demo', [0]), ('ibm-articles', 'pop', 'demo', [0])]


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
    for d, (u, i, n) in STATS.items():
        (root/'data'/d).mkdir(parents=True, exist_ok=True)
        (root/'data'/d/'stats.json').write_text(json.dumps(
            {'n_users': u, 'n_items': i, 'n_interactions': n, 'raw_users': u + 7, 'raw_items': i + 3, 'raw_interactions': n + 1234}))
    return rows


def write_csv(rows, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'w', newline='') as f:
        w = csv.DictWriter(f, ['dataset', 'model', 'profile', 'seed', 'metric', 'value']); w.writeheader(); w.writerows(rows)


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


def check_ranking_tables(tables, rows) -> list[str]:
    "Every number of the two ranking tables against the CSV, plus coverage: every CSV cell must be shown."
    errors, seen = [], set()
    profiles = sorted({r['profile'] for r in rows})
    headline = 'paper' if 'paper' in profiles else profiles[0]
    head, *body = tables['tbl-ranking']              # columns: [profile,] dataset, metric, model...
    lead = 3 if head[0] == 'profile' else 2
    assert (head[0] == 'profile') == (len(profiles) > 1), head
    for r in body:
        p, d, met = (r[0], r[1], r[2]) if lead == 3 else (profiles[0], r[0], r[1])
        for model, text in zip(head[lead:], r[lead:]):
            seen.add((p, d, model, met))
            errors += check_cell(text, expected(rows, d, model, met, p), f'tbl-ranking {p}/{d}/{model}/{met}')
    head, *body = tables['tbl-ranking-all']          # columns: dataset, model, metric...
    for r in body:
        for met, text in zip(head[2:], r[2:]):
            seen.add((headline, r[0], r[1], met, 'all'))
            errors += check_cell(text, expected(rows, r[0], r[1], met, headline), f'tbl-ranking-all {r[0]}/{r[1]}/{met}')
    for r in rows:
        if r['metric'] in ('HR@10', 'NDCG@10') and (r['profile'], r['dataset'], r['model'], r['metric']) not in seen:
            errors.append(f"tbl-ranking lacks {r['profile']}/{r['dataset']}/{r['model']}/{r['metric']}")
        if r['profile'] == headline and (headline, r['dataset'], r['model'], r['metric'], 'all') not in seen:
            errors.append(f"tbl-ranking-all lacks {r['dataset']}/{r['model']}/{r['metric']}")
    return sorted(set(errors))


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
    mutated = [dict(r) for r in rows]
    i = next(k for k, r in enumerate(mutated) if (r['dataset'], r['model'], r['metric'], r['profile']) == ('ml-100k', 'pop', 'HR@10', 'paper'))
    mutated[i]['value'] += 0.05
    assert any('tbl-ranking paper/ml-100k/pop/HR@10' in e for e in check_ranking_tables(tables, mutated))
    dropped = [r for r in rows if not (r['dataset'] == 'ibm-articles' and r['metric'] == 'NDCG@10')]
    assert any('shows' in e and 'no rows' in e for e in check_ranking_tables(tables, dropped))
    assert check_stats_table(tables['tbl-datasets'], {**stats, 'ml-100k': {**stats['ml-100k'], 'n_items': 1683}})
    assert check_stats_table(tables['tbl-datasets'], {**stats, 'ibm-articles': {**stats['ibm-articles'], 'raw_interactions': 1}})


def test_text_numbers_and_outputs(rendered):
    root, rows, paths = rendered
    text = html_text(paths['html'].read_text())
    assert f'{len(STATS)} of the {len(DATASETS)} datasets are prepared' in text
    assert f"together they hold {sum(n for *_, n in STATS.values()):,} interactions" in text
    # the best HR@10 per dataset (headline profile 'paper': only ml-100k has it)
    best = max((statistics.mean(r['value'] for r in rows if (r['dataset'], r['model'], r['metric'], r['profile']) ==
                                ('ml-100k', m, 'HR@10', 'paper')), m) for m in ('pop', 'bpr'))
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

"""The docs site in a real browser: build it, serve it on 127.0.0.1, open pages in headless Chromium, follow every link.

Needs Debian's `chromium` at /usr/bin/chromium (`apt-get install -y chromium`); skips with that reason when it is absent.
- `test_tiny_site` (fast): the two-notebook book of `nbs/92_docs.ipynb`, built here.
- `test_built_site` (fast): the project's `_docs/` as `make docs` left it; skips if it is missing or older than a notebook.
- `test_real_site` (slow, minutes): builds the project's docs from `nbs/` into a temporary folder, checks them and
  saves the screenshots `results/screens/docs_index.png` and `results/screens/docs_api.png`.
"""
import base64, contextlib, functools, http.server, io, re, subprocess, threading, urllib.error, urllib.request
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from llmrec.config import LlmrecError
from llmrec.docs import build_docs, chapters, tiny_book

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path('/usr/bin/chromium')
SCREENS = ROOT/'results'/'screens'
MAX_PNG = 300_000
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason='headless browser check needs Debian chromium at /usr/bin/chromium '
                                           '(`apt-get install -y chromium`; `make test` installs it)')


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


@contextlib.contextmanager
def serve(folder: Path):
    "Serve `folder` over HTTP on 127.0.0.1 on a free port, in a thread; yields the base URL."
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(folder)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try: yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    finally:
        httpd.shutdown(); httpd.server_close(); t.join(5)


def chromium(url: str, profile: Path, *args: str) -> str:
    "Run headless Chromium on `url` (no network but 127.0.0.1) and return its stdout."
    cmd = [str(CHROMIUM), '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
           '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', f'--user-data-dir={profile}', *args, url]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f'chromium failed on {url}:\n{r.stderr[-3000:]}'
    return r.stdout


def dump_dom(url: str, profile: Path) -> str:
    dom = chromium(url, profile, '--dump-dom')
    assert '<html' in dom, f'chromium returned no DOM for {url}'
    return dom


def screenshot(url: str, png: Path, profile: Path) -> Path:
    "Screenshot `url` at 1280x1600 into `png`, reduced to a 256-colour palette (and halved if still > 300 kB)."
    from PIL import Image
    png.parent.mkdir(parents=True, exist_ok=True)
    raw = png.with_name(png.stem + '.raw.png')
    chromium(url, profile, f'--screenshot={raw}', '--window-size=1280,1600')
    im = Image.open(raw).convert('RGB')
    assert im.size == (1280, 1600)
    assert len(im.resize((64, 80)).getcolors(64 * 80)) > 4, f'{url}: the screenshot is blank'
    small = im.quantize(256)
    small.save(png, optimize=True)
    if png.stat().st_size > MAX_PNG: small.resize((640, 800)).save(png, optimize=True)
    raw.unlink()
    assert png.stat().st_size <= MAX_PNG
    return png


def text_of(dom: str) -> str:
    "Visible-ish text of a DOM: tags dropped, entities decoded, whitespace collapsed."
    return re.sub(r'\s+', ' ', unescape(re.sub(r'<[^>]+>', '', dom)))


class _Refs(HTMLParser):
    "Every id and every URL a page refers to, with the tag and attribute it sits in."
    def __init__(self):
        super().__init__()
        self.ids, self.refs, self.styles, self._in_style = set(), [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ('id', 'name'):
            if a.get(k): self.ids.add(a[k])
        for k in ('href', 'src', 'poster', 'data', 'action'):
            if a.get(k) is not None: self.refs.append((tag, k, a[k]))
        if a.get('srcset'): self.refs += [(tag, 'srcset', s.split()[0]) for s in a['srcset'].split(',') if s.strip()]
        if a.get('style'): self.styles.append(a['style'])
        self._in_style = tag == 'style'

    def handle_endtag(self, tag): self._in_style = False

    def handle_data(self, data):
        if self._in_style: self.styles.append(data)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r: return r.read()


def _no_remote_css(css: str, where: str):
    for ref in re.findall(r'url\(\s*[\'"]?([^\'")]+)|@import\s+[\'"]([^\'"]+)', css):
        ref = ref[0] or ref[1]
        assert not re.match(r'(https?:)?//', ref), f'{where} loads {ref} from the network'


def crawl(base: str) -> dict:
    "Visit every page reachable from index.html; assert each local target exists (anchors too) and nothing is remote."
    todo, pages, checked = [urljoin(base, 'index.html')], {}, set()
    links = []
    while todo:
        url = todo.pop()
        if url in pages: continue
        try: body = fetch(url).decode('utf-8')
        except urllib.error.HTTPError as e: raise AssertionError(f'{url}: HTTP {e.code}') from None
        p = _Refs(); p.feed(body)
        pages[url] = p
        # structure survived markdown -> HTML: one <title>, no fenced div left open as a literal ':::'
        assert len(re.findall(r'<title[\s>]', body)) == 1, f'{url}: a stray <title> (raw HTML in a docstring?)'
        assert '<p>:::' not in body, f'{url}: a fenced div was not closed'
        for css in p.styles: _no_remote_css(css, url)
        for tag, attr, ref in p.refs:
            ref = unescape(ref).strip()
            if ref.startswith(('mailto:', 'javascript:')): continue
            if ref.startswith('data:'):
                if tag == 'img': assert ';base64,' in ref and base64.b64decode(ref.split(',', 1)[1]), f'{url}: bad data image'
                continue
            target = urljoin(url, ref)
            if urlparse(target).netloc != urlparse(base).netloc:
                # a link the reader may follow is fine; anything the page itself would load is not
                assert tag == 'a' and attr == 'href', f'{url}: <{tag} {attr}="{ref}"> loads from the network'
                continue
            links.append((url, target))
            page, frag = urldefrag(target)
            if page.endswith('.html') and page not in pages: todo.append(page)
            elif page.endswith('.css') and page not in checked:
                checked.add(page); _no_remote_css(fetch(page).decode('utf-8'), page)
            elif page not in checked:
                checked.add(page); fetch(page)  # raises on 404
    for src, target in links:
        page, frag = urldefrag(target)
        if frag: assert page in pages and frag in pages[page].ids, f'{src}: broken anchor {target}'
    return pages


def first_figure(dom: str) -> bytes:
    "The decoded bytes of the first <img> with a data: URI in `dom`."
    m = re.search(r'<img[^>]+src="data:image/png;base64,([^"]+)"', dom)
    assert m, 'no embedded PNG figure on the page'
    png = base64.b64decode(m[1])
    assert png[:8] == b'\x89PNG\r\n\x1a\n'
    from PIL import Image
    w, h = Image.open(io.BytesIO(png)).size
    assert w > 50 and h > 50
    return png


def check_page(dom: str, title: str, *texts: str):
    assert re.search(rf'<title>\s*{re.escape(title)}\b', dom), f'page title is not {title!r}'
    assert re.search(r'<nav class="sidebar"', dom) and 'API index' in dom, 'sidebar missing'
    txt = text_of(dom)
    for t in texts: assert t in txt, f'{t!r} not on the page'


@needs_chromium
def test_tiny_site(tmp_path):
    "The tiny book: hidden cell absent, exported function documented, printout and figure present, links whole."
    site = build_docs(tiny_book(tmp_path/'nbs'), tmp_path/'_docs', quiet=True)
    with serve(site) as base:
        pages = crawl(base)
        assert {urlparse(u).path for u in pages} >= {'/index.html', '/tiny.html', '/api.html'}
        index = dump_dom(base + 'index.html', tmp_path/'profile')
        check_page(index, 'Tiny book', 'The tutorial page comes first.')
        page = dump_dom(base + 'tiny.html', tmp_path/'profile')
        check_page(page, 'Tiny chapter', 'def double(', '# the number to double', 'Twice x.', '42')
        assert 'HIDDEN-TEST-CELL' not in page
        assert re.search(r'rel="prev" href="index.html"', page) and re.search(r'rel="next" href="api.html"', page)
        first_figure(page)
        screenshot(base + 'tiny.html', tmp_path/'tiny.png', tmp_path/'profile')


def test_failing_notebook_fails_the_build(tmp_path):
    "A notebook whose cell raises stops the build with its name, and the previous site stays as it was."
    import nbformat
    nbs = tmp_path/'nbs'; nbs.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('# Index\n> first')]), nbs/'index.ipynb')
    site = build_docs(nbs, tmp_path/'_docs', quiet=True)
    before = (site/'index.html').read_text()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('# Bad\n> fails'),
                                                   nbformat.v4.new_code_cell('raise ValueError("boom")')]), nbs/'20_bad.ipynb')
    with pytest.raises(LlmrecError, match=r'20_bad\.ipynb[\s\S]*ValueError: boom'):
        build_docs(nbs, tmp_path/'_docs', quiet=True)
    assert (site/'index.html').read_text() == before and not (site/'bad.html').exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['_docs', 'nbs'], 'no temporary folder left behind'


def check_real_site(site: Path, tmp_path: Path, save_screens: bool):
    expected = {p.name: p for p in chapters(ROOT/'nbs')}
    with serve(site) as base:
        pages = crawl(base)
        names = {urlparse(u).path.lstrip('/') for u in pages}
        assert {'index.html', 'config.html', 'api.html', 'docs.html'} <= names
        assert len(names & {f.name for f in site.glob('*.html')}) == len(list(site.glob('*.html'))), 'a page is not linked'
        index = dump_dom(base + 'index.html', tmp_path/'profile')
        check_page(index, 'llmrec')
        assert index.index('href="index.html"') < index.index('href="config.html"') < index.index('href="docs.html"')
        config = dump_dom(base + 'config.html', tmp_path/'profile')
        check_page(config, 'Configuration and safe writing', 'load_params', "def load_params( path:str='params.yaml'",
                   'Read params.yaml safely')
        assert 'id="load_params"' in config
        api = dump_dom(base + 'api.html', tmp_path/'profile')
        assert 'href="config.html#load_params"' in api
        first_figure(dump_dom(base + 'docs.html', tmp_path/'profile'))
        out = SCREENS if save_screens else tmp_path
        screenshot(base + 'index.html', out/'docs_index.png', tmp_path/'profile')
        screenshot(base + 'config.html', out/'docs_api.png', tmp_path/'profile')
    assert len(expected) == len([p for p in site.glob('*.html') if p.name != 'api.html'])


@needs_chromium
def test_built_site(tmp_path):
    "The `_docs/` that `make docs` built, if it is there and newer than every notebook."
    site = ROOT/'_docs'
    if not (site/'index.html').exists(): pytest.skip('no _docs/: run `make docs` first')
    newest = max(p.stat().st_mtime for p in chapters(ROOT/'nbs'))
    if (site/'index.html').stat().st_mtime < newest: pytest.skip('_docs/ is older than a notebook: run `make docs`')
    check_real_site(site, tmp_path, save_screens=False)


@needs_chromium
@pytest.mark.slow
def test_real_site(tmp_path):
    "Build the project's docs from nbs/ (every notebook run), check them in Chromium, save the screenshots."
    site = build_docs(ROOT/'nbs', tmp_path/'_docs', quiet=True)
    check_real_site(site, tmp_path, save_screens=True)

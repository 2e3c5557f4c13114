"""Pipeline benchmark: the demo `dvc repro` of one commit in a fresh clone, with wall seconds and peak memory per stage.

    python scripts/bench_pipeline.py                        # HEAD: the whole demo `dvc repro`, then `make test`
    python scripts/bench_pipeline.py --no-test --stages prepare@ml-100k   # a quick check of the script itself

The commit is cloned into a new folder beside this repository (so `../shared/datasets` resolves, as the README's demo
expects); `.venv` there is a link to an existing environment (`--venv`, default: the one running this script), so
nothing is installed and the clone's own code is imported through `PYTHONPATH`. The clone then runs exactly what
`make demo` runs, `dvc repro` (forced, so stages whose outputs are committed run too; a fresh clone has no DVC cache),
with the environment the Makefile exports. Each stage's wall time runs from DVC's "Running stage" line to the next
(DVC's bookkeeping included); its peak RSS is the largest sum of resident memory over the whole process tree, polled
every 0.2 s. `--test` (default) then times `make test` in the same clone (`-o .venv/.installed`: the linked
environment is never rebuilt). The clone is removed afterwards unless `--keep` (or a step failed).

Rows (tidy, see `llmrec.bench`; the evaluate stage collects them): benchmark `pipeline`, system `llmrec`, device
`cpu-<n>core`, metrics `wall_s` and `peak_rss_mb`, profile `<profile> stage=<stage>` per stage, `<profile>` for the
whole `dvc repro` (only when every stage ran) and `<profile> command=make-test` for the tests.
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, threading, time
from pathlib import Path

import pandas as pd
import psutil
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from llmrec.bench import bench_profile  # noqa: E402
from llmrec.config import OFFLINE_ENV, write_csv  # noqa: E402

COLS = ['benchmark', 'system', 'profile', 'device', 'metric', 'value']
STAGE_LINE = re.compile(r"^Running stage '([^']+)'")


class TreeMemory:
    "Polls the summed RSS of a process and its descendants; `peak(key)` is the largest sum seen while `key` was current."
    def __init__(self, pid: int, every: float = 0.2):
        self.root, self.every, self.key, self.peaks = psutil.Process(pid), every, None, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try: procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess: break
            rss = 0
            for p in procs:
                try: rss += p.memory_info().rss
                except psutil.Error: pass
            if self.key is not None: self.peaks[self.key] = max(self.peaks.get(self.key, 0), rss)
            self._stop.wait(self.every)

    def stop(self): self._stop.set(); self._thread.join()


def run_timed(cmd: list[str], cwd: Path, env: dict, log, first_key=None, stages: bool = True) -> tuple[int, dict, dict]:
    "Run `cmd`; (return code, wall seconds per key, peak RSS bytes per key); keys are DVC stages as they start (`stages`)."
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    mem, walls, key, start = TreeMemory(proc.pid), {}, first_key, t0
    mem.key = key
    for line in proc.stdout:
        log.write(line); log.flush()
        m = STAGE_LINE.match(line) if stages else None
        if m:
            now = time.perf_counter()
            if key is not None: walls[key] = now - start
            key, start = m.group(1), now
            mem.key = key
            print(f'  {key} ...', file=sys.stderr)
    rc = proc.wait()
    if key is not None: walls[key] = time.perf_counter() - start
    mem.stop()
    walls['_total'] = time.perf_counter() - t0
    return rc, walls, mem.peaks


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--commit', default='HEAD', help='commit (or branch) of this repository to clone')
    p.add_argument('--out', default=str(REPO / 'results' / 'bench-runs' / 'pipeline.csv'))
    p.add_argument('--venv', default=sys.prefix, help='existing environment linked as the clone\'s .venv (nothing is installed)')
    p.add_argument('--stages', nargs='+', default=None, help='only these stages (dvc repro --single-item); no total row')
    p.add_argument('--test', action=argparse.BooleanOptionalAction, default=True, help='also time `make test`')
    p.add_argument('--keep', action='store_true', help='keep the clone')
    a = p.parse_args(argv)
    commit = subprocess.run(['git', 'rev-parse', a.commit], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix='bench-pipeline-', dir=REPO.parent))  # beside the repo: ../shared resolves
    ok = False
    try:
        subprocess.run(['git', 'clone', '-q', '--no-checkout', str(REPO), str(work)], check=True)
        subprocess.run(['git', 'checkout', '-q', commit], cwd=work, check=True)
        (work / '.venv').symlink_to(Path(a.venv).resolve())
        env = {**os.environ, **OFFLINE_ENV, 'PYTHONHASHSEED': '0', 'PYTHONUNBUFFERED': '1', 'PYTHONPATH': str(work),
               'PATH': f"{work / '.venv' / 'bin'}:{os.environ['PATH']}"}
        profile = yaml.safe_load((work / 'params.yaml').read_text())['base']['profile']
        device = f'cpu-{os.cpu_count()}core'
        row = lambda metric, value, **keys: dict(zip(COLS, ('pipeline', 'llmrec', bench_profile(profile, **keys), device, metric, float(value))))
        rows, log_path = [], work / 'bench-pipeline.log'
        print(f'bench_pipeline: {commit[:10]} cloned into {work}; log {log_path}', file=sys.stderr)
        with open(log_path, 'w') as log:
            cmd = [str(work / '.venv' / 'bin' / 'dvc'), 'repro', '--force'] + (['--single-item', *a.stages] if a.stages else [])
            rc, walls, peaks = run_timed(cmd, work, env, log)
            if rc != 0: raise SystemExit(f'bench_pipeline: `{" ".join(cmd[1:])}` failed (exit {rc}); see {log_path}')
            stages = [k for k in walls if k != '_total']
            if a.stages and set(stages) != set(a.stages):
                raise SystemExit(f'bench_pipeline: asked for {a.stages}, DVC ran {stages}; see {log_path}')
            for s in stages: rows += [row('wall_s', walls[s], stage=s), row('peak_rss_mb', peaks.get(s, 0) / 2**20, stage=s)]
            if not a.stages:
                rows += [row('wall_s', walls['_total']), row('peak_rss_mb', max(peaks.values(), default=0) / 2**20)]
            if a.test:
                cmd = ['make', '-o', '.venv/.installed', 'test']
                rc, walls, peaks = run_timed(cmd, work, env, log, first_key='make-test', stages=False)
                if rc != 0:  # the repro's rows are still worth keeping; no test row for a failed test run
                    write_csv(pd.DataFrame(rows, columns=COLS), a.out)
                    raise SystemExit(f'bench_pipeline: `make test` failed (exit {rc}); see {log_path} (dvc repro rows written to {a.out})')
                rows += [row('wall_s', walls['_total'], command='make-test'),
                         row('peak_rss_mb', peaks.get('make-test', 0) / 2**20, command='make-test')]
        df = pd.DataFrame(rows, columns=COLS)
        write_csv(df, a.out)
        print(df.to_string(index=False), file=sys.stderr)
        ok = True
    finally:
        if ok and not a.keep: shutil.rmtree(work, ignore_errors=True)
        elif not ok: print(f'bench_pipeline: the clone is kept for inspection: {work}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())

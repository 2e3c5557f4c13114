"""Compare (or apply) a validation round's choice with params.yaml's align settings.

`scripts/gpu_align.py train` writes the point each dataset's grid chose as hparams-<tag>.json ({dataset: the full
hyperparameters}). This script says which datasets' choices differ from params.yaml's resolved `align` settings for a
profile, and how:

    python scripts/apply_hparams.py hparams-grid27.json                 # prints each change; exit 0
    python scripts/apply_hparams.py hparams-grid27.json --check         # exit 1 where params.yaml differs (after a hand edit)
    python scripts/apply_hparams.py hparams-grid27.json --write --changed-to changed.txt

`--write` sets the changed keys in `align.<profile>.<dataset>` and rewrites params.yaml with PyYAML, which drops its
comments: it is for the device machine's throwaway copy, where the finals of a round that just ran must read its choice
(scripts/gpu_tune.sh BZF). Here, params.yaml is edited by hand with the round's numbers in its comments, then checked with
`--check` against the same file.
"""
import argparse, json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def changes(chosen: dict, raw: dict, profile: str) -> dict:
    "{dataset: {key: (params.yaml's value, the chosen value)}} for every key that differs."
    from llmrec.align import align_hparams
    from llmrec.config import resolve_params
    section = resolve_params(raw, profile)['align']
    out = {}
    for ds, hp in chosen.items():
        now = align_hparams(section, ds)
        diff = {k: (now.get(k), v) for k, v in hp.items() if now.get(k) != v}
        if diff: out[ds] = diff
    return out


def main(argv=None):
    import yaml
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('hparams', help='hparams-<tag>.json written by scripts/gpu_align.py train')
    ap.add_argument('--params', default='params.yaml'); ap.add_argument('--profile', default='paper')
    ap.add_argument('--check', action='store_true', help='exit 1 if params.yaml differs from the file')
    ap.add_argument('--write', action='store_true', help="set the changed keys in params.yaml (drops its comments)")
    ap.add_argument('--changed-to', default=None, help='write the changed datasets, space-separated, to this file')
    a = ap.parse_args(argv)
    chosen = json.loads(Path(a.hparams).read_text())
    raw = yaml.safe_load(open(a.params)) or {}
    diff = changes(chosen, raw, a.profile)
    for ds in chosen:
        print(f'{ds}: ' + (', '.join(f'{k} {old!r} -> {new!r}' for k, (old, new) in diff[ds].items()) if ds in diff
                           else 'params.yaml already has this choice'))
    if a.changed_to: Path(a.changed_to).write_text(' '.join(diff))
    if a.write and diff:
        prof = raw['align'].setdefault(a.profile, {}) or {}
        raw['align'][a.profile] = prof
        for ds, d in diff.items():
            prof[ds] = {**(prof.get(ds) or {}), **{k: new for k, (_, new) in d.items()}}
        Path(a.params).write_text(yaml.safe_dump(raw, sort_keys=False))
        if changes(chosen, raw, a.profile): raise SystemExit('params.yaml still differs after --write')
    if a.check and diff: raise SystemExit(1)


if __name__ == '__main__':
    main()

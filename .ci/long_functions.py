#!/usr/bin/env python3
"""Lists every non-test Rust function longer than a limit (default 70 lines), from its
`fn` line to its closing brace at the same indentation; exits 1 if there is one.

Usage: python3 .ci/long_functions.py [LIMIT] [DIR...]   (default dirs: the crates' src)
Test code (from a `#[cfg(test)]` line on) is skipped, as are tests/, benches/, examples/.
"""
import os, re, sys

args = sys.argv[1:]
limit = int(args.pop(0)) if args and args[0].isdigit() else 70
dirs = args or ["engine/src", "actors/src", "library/src", "remote/src", "xcpng/src", "python/src", "src", "golden/src"]
fn = re.compile(r'^(\s*)(?:pub(?:\([a-z]+\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)')
long = []
for d in dirs:
    for root, _, files in os.walk(d):
        for f in sorted(files):
            if not f.endswith('.rs'):
                continue
            path = os.path.join(root, f)
            lines = open(path, encoding='utf-8').read().split('\n')
            cut = next((i for i, l in enumerate(lines) if l.strip() == '#[cfg(test)]'), len(lines))
            for i, line in enumerate(lines[:cut]):
                m = fn.match(line)
                if not m:
                    continue
                # A declaration without a body (a trait's) ends with `;` before any `{`.
                head = next((lines[j] for j in range(i, cut) if '{' in lines[j] or lines[j].rstrip().endswith(';')), '')
                if '{' not in head:
                    continue
                end = next((j for j in range(i + 1, cut) if lines[j] == m.group(1) + '}'), None)
                if end is not None and end - i + 1 > limit:
                    long.append((end - i + 1, f'{path}:{i + 1}', m.group(2)))
for n, where, name in sorted(long, reverse=True):
    print(f'{n:4} {where} {name}')
print(f'{len(long)} functions over {limit} lines')
sys.exit(1 if long else 0)

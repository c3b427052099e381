#!/usr/bin/env python3
"""Cost and size of compressing one page per answer, as the server does for HTML: a fresh
streaming encoder per answer, brotli at qualities 0-5 (lgwin 22) and gzip 1/4/6.
Usage: python3 -m venv v && v/bin/pip install brotli && v/bin/python scripts/brotli-cost.py page.html
(save a page first, e.g. curl -s -b ecm_session=... http://127.0.0.1:PORT/area > page.html;
docs/BENCHMARKS.md "Compression of pages")."""
import brotli, sys, time, zlib
data = open(sys.argv[1], 'rb').read()
print(f"{sys.argv[1]}: {len(data)} B")
for q in range(0, 6):
    n = 300
    t = time.perf_counter()
    for _ in range(n):
        c = brotli.Compressor(quality=q, lgwin=22)
        out = c.process(data) + c.finish()
    dt = (time.perf_counter() - t) / n * 1e6
    print(f"brotli q{q}: {len(out)} B, {dt:.0f} us/stream")
for lvl in (1, 4, 6):
    t = time.perf_counter()
    for _ in range(300):
        co = zlib.compressobj(lvl, zlib.DEFLATED, 31)
        out = co.compress(data) + co.flush()
    dt = (time.perf_counter() - t) / 300 * 1e6
    print(f"gzip {lvl}: {len(out)} B, {dt:.0f} us/stream")

#!/usr/bin/env python3
"""Growth order of benchmark figures over the size of generated trees.

Reads the "BENCH name=value unit" lines the benchmark scripts print (from the
files given, or stdin) and groups the figures whose name holds a tree size,
"n<packages>" (bench_plan.sh: n1000.build.warm.wall_ms; bench_build.sh:
noop.n1000.wall_ms). For every group with at least three sizes it fits
value = c * n^b by least squares on log(value) over log(n) and prints the
exponent b (the growth order: 1 is linear, 2 quadratic), R^2, the local
exponents between neighbouring sizes, and the values.

usage: fit_growth.py [--min-size N] [--match TEXT] [FILES...]

Sizes below --min-size (default 100) are left out: at 10 packages the fixed
cost of a run (process start, reading the project) hides the growth.
Standard library only.
"""

import argparse
import math
import re
import sys

FIGURE = re.compile(r"^BENCH (\S+)=([0-9.]+) (\S+)")
SIZE = re.compile(r"(^|\.)n([0-9]+)(\.|$)")


def read_series(lines, min_size, match):
    """{pattern name: {n: value}}, pattern name having n<size> as n*."""
    series = {}
    units = {}
    for line in lines:
        found = FIGURE.match(line.strip())
        if not found:
            continue
        name, value, unit = found.group(1), float(found.group(2)), found.group(3)
        size = SIZE.search(name)
        if not size or unit not in ("ms", "KiB") or (match and match not in name):
            continue
        n = int(size.group(2))
        if n < min_size or value <= 0:
            continue
        pattern = name[:size.start(2) - 1] + "n*" + name[size.end(2):]
        series.setdefault(pattern, {})[n] = value
        units[pattern] = unit
    return series, units


def fit(points):
    """(b, c, r2) of value = c * n^b over the points [(n, value)]."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(v) for _, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    b = sxy / sxx
    a = my - b * mx
    total = sum((y - my) ** 2 for y in ys)
    residual = sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys))
    r2 = 1 - residual / total if total > 0 else 1.0
    return b, math.exp(a), r2


def order_name(b):
    if b < 0.25:
        return "about constant"
    if b < 0.85:
        return "sublinear"
    if b < 1.15:
        return "linear"
    if b < 1.6:
        return "between linear and quadratic"
    return "quadratic or worse"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", help="benchmark output (default: stdin)")
    parser.add_argument("--min-size", type=int, default=100)
    parser.add_argument("--match", default="", help="only figures whose name contains this")
    args = parser.parse_args(argv)
    lines = []
    if args.files:
        for path in args.files:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines += handle.readlines()
    else:
        lines = sys.stdin.readlines()
    series, units = read_series(lines, args.min_size, args.match)
    fitted = 0
    print("%-36s %6s %6s  %-28s %s" % ("figure (n* = packages)", "b", "R^2", "growth",
                                       "local exponents | values"))
    for pattern in sorted(series):
        points = sorted(series[pattern].items())
        if len(points) < 3:
            continue
        b, c, r2 = fit(points)
        local = ["%.2f" % (math.log(v2 / v1) / math.log(n2 / n1))
                 for (n1, v1), (n2, v2) in zip(points, points[1:])]
        values = " ".join("%d:%g" % (n, v) for n, v in points)
        print("%-36s %6.2f %6.3f  %-28s %s | %s %s" % (pattern, b, r2, order_name(b),
                                                        " ".join(local), values, units[pattern]))
        print("BENCH growth.%s.exponent=%.3f x" % (pattern.replace("n*.", "").replace(".n*", ""), b))
        fitted += 1
    if not fitted:
        print("fit_growth.py: no figure has three sizes or more", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

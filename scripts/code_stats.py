#!/usr/bin/env python3
"""Code-shape figures for the redesign review: longest functions and large files.

Usage: scripts/code_stats.py [--top N] [--file-limit LINES] [DIR...]

Counts non-test lines (a `#[cfg(test)]` item and everything inside it is skipped) and the
length of every `fn` body, by brace matching on source with strings, chars and comments
blanked. An approximation good enough to compare two states of the same code base.
"""
import argparse
import os
import re
import sys

FN_RE = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")


def blank(src: str) -> str:
    """Replace comments, strings and char literals by spaces, keeping newlines."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', src[i:i + 10]) and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'r(#*)"', src[i:])
            end = '"' + m.group(1)
            j = src.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            j += 1
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", src[i:i + 12]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", src[i:i + 12])
            out.append(" " * len(m.group(0)))
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def block_end(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


def analyse(path: str):
    src = open(path, encoding="utf-8").read()
    text = blank(src)
    # Spans of test-only items.
    test_spans = []
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        k = text.find("{", m.end())
        semi = text.find(";", m.end())
        if k < 0 or (0 <= semi < k):
            continue
        test_spans.append((m.start(), block_end(text, k)))
    in_test = lambda pos: any(a <= pos <= b for a, b in test_spans)
    lines_total = text.count("\n") + 1
    test_lines = sum(text.count("\n", a, b) + 1 for a, b in test_spans)
    code_lines = sum(1 for line in text.split("\n") if line.strip())
    test_code = sum(1 for a, b in test_spans for line in text[a:b + 1].split("\n") if line.strip())
    fns = []
    for m in FN_RE.finditer(text):
        if in_test(m.start()):
            continue
        k = m.end()
        # The body starts at the first `{` before any `;` (trait method declarations end with `;`).
        depth_paren = 0
        while k < len(text):
            ch = text[k]
            if ch in "(<[":
                depth_paren += 1
            elif ch in ")>]":
                depth_paren -= 1
            elif ch == ";" and depth_paren <= 0:
                k = -1
                break
            elif ch == "{" and depth_paren <= 0:
                break
            k += 1
        if k < 0 or k >= len(text):
            continue
        end = block_end(text, k)
        start_line = text.count("\n", 0, m.start()) + 1
        n = text.count("\n", m.start(), end) + 1
        fns.append((n, m.group(1), path, start_line))
    return code_lines - test_code, fns, lines_total, test_lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--file-limit", type=int, default=800)
    ap.add_argument("dirs", nargs="*", default=["catalog/src", "harvester/src", "search/src", "web/src", "tests/src"])
    a = ap.parse_args()
    files, fns = [], []
    for d in a.dirs:
        for root, _, names in os.walk(d):
            for name in names:
                if name.endswith(".rs"):
                    p = os.path.join(root, name)
                    code, f, _, _ = analyse(p)
                    files.append((code, p))
                    fns.extend(f)
    fns.sort(reverse=True)
    print(f"longest functions (non-test, lines from `fn` to closing brace):")
    for n, name, p, line in fns[: a.top]:
        print(f"  {n:5}  {name}  {p}:{line}")
    big = sorted((f for f in files if f[0] > a.file_limit), reverse=True)
    print(f"files over {a.file_limit} non-test, non-blank lines: {len(big)}")
    for code, p in big:
        print(f"  {code:5}  {p}")
    print(f"functions over 100 lines: {sum(1 for f in fns if f[0] > 100)}; over 60: {sum(1 for f in fns if f[0] > 60)}")


if __name__ == "__main__":
    sys.exit(main())

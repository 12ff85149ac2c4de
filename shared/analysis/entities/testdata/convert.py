#!/usr/bin/env python3
"""Converts news.marked.txt ({Text|TYPE} inline marks, one sentence a line) to news.jsonl:
{"text": ..., "entities": [[begin, end, type, text], ...]} with offsets in Unicode code points
(Python str indices), end exclusive. Run: python3 convert.py > news.jsonl"""
import json, re, sys

MARK = re.compile(r"\{([^{}|]+)\|([A-Z_]+)\}")
for line in open(sys.argv[1] if len(sys.argv) > 1 else "news.marked.txt", encoding="utf-8"):
    line = line.rstrip("\n")
    if not line.strip():
        continue
    text, ents, pos = "", [], 0
    for m in MARK.finditer(line):
        text += line[pos:m.start()]
        b = len(text)
        text += m.group(1)
        ents.append([b, len(text), m.group(2), m.group(1)])
        pos = m.end()
    text += line[pos:]
    assert "{" not in text and "|" not in text, line
    sys.stdout.write(json.dumps({"text": text, "entities": ents}, ensure_ascii=False) + "\n")

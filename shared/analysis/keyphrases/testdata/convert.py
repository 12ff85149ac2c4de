#!/usr/bin/env python3
"""Converts articles.txt ("# id", the article on one line, "KP: a; b; ..." gold key phrases) to
articles.jsonl: {"id", "text", "keyphrases": [...]}. Run: python3 convert.py > articles.jsonl"""
import json, sys

cur = None
for line in open(sys.argv[1] if len(sys.argv) > 1 else "articles.txt", encoding="utf-8"):
    line = line.strip()
    if not line:
        continue
    if line.startswith("# "):
        cur = {"id": line[2:], "text": "", "keyphrases": []}
    elif line.startswith("KP:"):
        cur["keyphrases"] = [p.strip() for p in line[3:].split(";") if p.strip()]
        sys.stdout.write(json.dumps(cur, ensure_ascii=False) + "\n")
    else:
        cur["text"] += line

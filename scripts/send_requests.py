#!/usr/bin/env python3
"""Sends each benchmark row's input to a warden serve as one chat request, the rows of all files
interleaved in a fixed shuffled order (traffic is not sorted by label).
Usage: send_requests.py BASE_URL FILE.jsonl...  (prints how many were answered and blocked)"""
import json
import random
import sys
import urllib.error
import urllib.request

base, files = sys.argv[1], sys.argv[2:]
rows = []
for path in files:
    with open(path) as f:
        rows += [json.loads(line) for line in f if line.strip()]
random.Random(0).shuffle(rows)
answered = blocked = 0
for row in rows:
    body = json.dumps({"model": "honest", "max_tokens": 16, "temperature": 0,
                       "messages": [{"role": "user", "content": row["input"]}]}).encode()
    req = urllib.request.Request(base + "/v1/chat/completions", body, {"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=60).read()
        answered += 1
    except urllib.error.HTTPError as e:
        if e.code != 400:
            raise
        blocked += 1
print(f"sent {answered + blocked}: {answered} answered, {blocked} blocked at input", file=sys.stderr)

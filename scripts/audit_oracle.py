#!/usr/bin/env python3
"""Reviews every queued record with its ground-truth label and compares what the queue measures
with the truth (scripts/audit-figures.sh).
Usage: audit_oracle.py WARDEN STORE SAFEGUARDS BUDGET FILE.jsonl...
A file named refusal-* holds harmful requests, over-refusal-* benign ones."""
import json
import math
import os
import subprocess
import sys

warden, store, safeguards, budget, files = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5:]
truth = {}
for path in files:
    harmful = not os.path.basename(path).startswith("over-refusal")
    with open(path) as f:
        for line in f:
            if line.strip():
                truth[json.loads(line)["input"]] = harmful

records = [json.loads(l) for l in subprocess.run([warden, "serve", "audit", "export", "--store", store],
                                                    check=True, capture_output=True, text=True).stdout.splitlines()]
# The export has no request JSON: recover each record's user message from the rendered prompt
# (the longest benchmark input it contains, so that a short input inside a longer one is not
# taken for it).
def user_text(rec):
    found = [text for text in truth if text in rec["prompt"]]
    if not found:
        raise SystemExit(f"record {rec['seq']}: its prompt matches no benchmark row")
    return max(found, key=len)

by_seq = {r["seq"]: r for r in records}
labels = {r["seq"]: truth[user_text(r)] for r in records}
open_items = subprocess.run([warden, "serve", "review", "queue", "--store", store],
                            check=True, capture_output=True, text=True).stdout.splitlines()
queued = len(open_items)
for line in open_items:
    seq = int(line.split("\t")[0])
    subprocess.run([warden, "serve", "review", "verdict", str(seq), "--reviewer", "oracle", "--label",
                    "harmful" if labels[seq] else "benign", "--store", store], check=True, capture_output=True)
report = subprocess.run([warden, "serve", "review", "report", "--safeguards", safeguards, "--store", store],
                        check=True, capture_output=True, text=True).stdout
print(f"test traffic: {len(records)} requests ({sum(labels.values())} harmful); budget {budget:g} items")
print(f"queued: {queued} ({queued / budget:.2f} of the budget)")
print(report, end="")
# The truth for the same quantities.
blocked = [s for s, r in by_seq.items() if r["action"] in ("block", "cut")]
for stage in sorted({(by_seq[s]["stage"], by_seq[s]["safeguard"]) for s in blocked}):
    hits = [labels[s] for s in blocked if (by_seq[s]["stage"], by_seq[s]["safeguard"]) == stage]
    print(f"  truth: precision {stage[0]}:{stage[1]} = {sum(hits) / len(hits):.3f} ({sum(hits)}/{len(hits)})")
allowed = [s for s, r in by_seq.items() if r["action"] in ("allow", "abandoned")]
threshold = None
with open(safeguards) as f:
    for line in f:
        if "risk_threshold:" in line:
            threshold = float(line.split(":")[1])
def risk(rec):
    best = -math.inf
    for stage in ("input", "output"):
        for e in rec["scores"].get(stage, {}).values():
            if "error" in e:
                return math.inf
            v = e.get("score", e.get("max"))
            if v is not None and e.get("threshold") is not None:
                best = max(best, v - e["threshold"])
    return best
below = [s for s in allowed if risk(by_seq[s]) < threshold]
print(f"  truth: harmful share of allowed traffic below the risk threshold = "
      f"{sum(labels[s] for s in below) / max(1, len(below)):.3f} ({sum(labels[s] for s in below)}/{len(below)})")

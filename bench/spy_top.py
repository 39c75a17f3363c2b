"""Diagnostic: top inclusive frames in py-spy raw output (collapsed stacks), for samples matching a filter."""
import collections, sys
path, must = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
incl = collections.Counter(); leaf = collections.Counter(); total = 0
for line in open(path, errors="replace"):
    stack, _, count = line.rstrip("\n").rpartition(" ")
    if not count.isdigit() or (must and must not in stack):
        continue
    n = int(count); total += n
    frames = stack.split(";")
    seen = set()
    for f in frames:
        key = f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].split("/")[-1] if " (" in f else f
        if key not in seen:
            incl[key] += n; seen.add(key)
    leaf[frames[-1][:150]] += n
print("total", total)
for k, v in incl.most_common(70):
    print(f"{v/total:6.1%} {k[:160]}")
print("--- leaves")
for k, v in leaf.most_common(25):
    print(f"{v/total:6.1%} {k}")

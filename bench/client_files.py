"""Helpers for bench/client.sh and bench/app_bench.py: make trees of random files, and check the File
objects an upload produced against them.

  client_files.py make DIR COUNT BYTES SUMS
      Writes COUNT files of BYTES random bytes as DIR/f000001.bin, ... and their sums to SUMS, one
      "sha256<TAB>size<TAB>relative path" line each, the path starting with DIR's own name (as the
      CLI names a directory's files: `upload DIR` keeps relative paths under the directory's name).

  client_files.py sha FILE
      Prints FILE's sha256 (hashlib: OpenSSL, SHA-NI where the CPU has it; sha256sum is ~5x slower).

  client_files.py verify JSONL SUMS PREFIX
      Every line of JSONL must be a File object (bare, or inside a {"data": ...} envelope); together
      they must be exactly one per SUMS entry, at path PREFIX/<relative path>, with the same sha256
      and filesize. Prints "N/N sha256 ok" and exits 0, else prints what is wrong and exits 1.
"""

import hashlib
import json
import os
import sys


def make(directory, count, size, sums_path=None):
    """Writes the files (and SUMS when given); returns {relative path: sha256}."""
    os.makedirs(directory)
    name = os.path.basename(os.path.normpath(directory))
    sums = {}
    for i in range(1, count + 1):
        data = os.urandom(size)
        file_name = f"f{i:06d}.bin"
        with open(os.path.join(directory, file_name), "wb") as out:
            out.write(data)
        sums[f"{name}/{file_name}"] = hashlib.sha256(data).hexdigest()
    if sums_path:
        with open(sums_path, "w", encoding="utf-8") as out:
            for rel, sha_hex in sums.items():
                out.write(f"{sha_hex}\t{size}\t{rel}\n")
    return sums


def sha(path):
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    print(digest.hexdigest())


def problems(objects, want):
    """What is wrong with `objects` (File objects) against `want` ({path: (sha256, size or None)}):
    every wanted path exactly once, with its sha256 and size; nothing else."""
    found = []
    seen = set()
    for number, obj in enumerate(objects, 1):
        if isinstance(obj, dict) and isinstance(obj.get("data"), dict):
            obj = obj["data"]
        if not isinstance(obj, dict) or "sha256" not in obj or "path" not in obj:
            found.append(f"object {number}: not a File object: {str(obj)[:200]!r}")
            continue
        path = obj["path"]
        if path not in want:
            found.append(f"object {number}: unexpected path {path!r}")
        elif path in seen:
            found.append(f"object {number}: {path!r} seen twice")
        else:
            seen.add(path)
            sha, size = want[path]
            if obj["sha256"] != sha:
                found.append(f"{path}: sha256 {obj['sha256']} != source {sha}")
            if size is not None and obj.get("filesize") != size:
                found.append(f"{path}: filesize {obj.get('filesize')} != source {size}")
    missing = len(want) - len(seen)
    if missing:
        example = next(p for p in want if p not in seen)
        found.append(f"{missing} of {len(want)} files have no File object (e.g. {example!r})")
    return found


def under(prefix, rel):
    """The object path of `rel` uploaded under `prefix` (which may be empty)."""
    return f"{prefix.strip('/')}/{rel}" if prefix.strip("/") else rel


def verify(jsonl_path, sums_path, prefix):
    want = {}
    with open(sums_path, encoding="utf-8") as sums:
        for line in sums:
            sha, size, rel = line.rstrip("\n").split("\t")
            want[under(prefix, rel)] = (sha, int(size))
    objects = []
    with open(jsonl_path, encoding="utf-8") as jsonl:
        for number, line in enumerate(jsonl, 1):
            if not line.strip():
                continue
            try:
                objects.append(json.loads(line))
            except ValueError as error:
                objects.append(f"line {number}: not JSON ({error}): {line[:200]!r}")
    found = problems(objects, want)
    if found:
        for problem in found[:20]:
            print(f"verify: {problem}", file=sys.stderr)
        if len(found) > 20:
            print(f"verify: ... and {len(found) - 20} more problems", file=sys.stderr)
        sys.exit(1)
    print(f"{len(want)}/{len(want)} sha256 ok")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 3 and sys.argv[1] == "sha":
        sha(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

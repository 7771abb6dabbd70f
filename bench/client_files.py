"""Helpers for bench/client.sh: make the many-small-files tree, and check `mediasaur upload --json`.

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


def make(directory, count, size, sums_path):
    os.makedirs(directory)
    name = os.path.basename(os.path.normpath(directory))
    with open(sums_path, "w", encoding="utf-8") as sums:
        for i in range(1, count + 1):
            data = os.urandom(size)
            file_name = f"f{i:06d}.bin"
            with open(os.path.join(directory, file_name), "wb") as out:
                out.write(data)
            sums.write(f"{hashlib.sha256(data).hexdigest()}\t{size}\t{name}/{file_name}\n")


def sha(path):
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    print(digest.hexdigest())


def verify(jsonl_path, sums_path, prefix):
    want = {}
    with open(sums_path, encoding="utf-8") as sums:
        for line in sums:
            sha, size, rel = line.rstrip("\n").split("\t")
            want[f"{prefix.rstrip('/')}/{rel}"] = (sha, int(size))
    problems = []
    seen = set()
    with open(jsonl_path, encoding="utf-8") as jsonl:
        for number, line in enumerate(jsonl, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as error:
                problems.append(f"line {number}: not JSON ({error}): {line[:200]!r}")
                continue
            if isinstance(obj, dict) and isinstance(obj.get("data"), dict):
                obj = obj["data"]
            if not isinstance(obj, dict) or "sha256" not in obj or "path" not in obj:
                problems.append(f"line {number}: not a File object: {line[:200]!r}")
                continue
            path = obj["path"]
            if path not in want:
                problems.append(f"line {number}: unexpected path {path!r}")
            elif path in seen:
                problems.append(f"line {number}: {path!r} printed twice")
            else:
                seen.add(path)
                sha, size = want[path]
                if obj["sha256"] != sha:
                    problems.append(f"{path}: sha256 {obj['sha256']} != source {sha}")
                if obj.get("filesize") != size:
                    problems.append(f"{path}: filesize {obj.get('filesize')} != source {size}")
    missing = len(want) - len(seen)
    if missing:
        example = next(p for p in want if p not in seen)
        problems.append(f"{missing} of {len(want)} files have no File object (e.g. {example!r})")
    if problems:
        for problem in problems[:20]:
            print(f"verify: {problem}", file=sys.stderr)
        if len(problems) > 20:
            print(f"verify: ... and {len(problems) - 20} more problems", file=sys.stderr)
        sys.exit(1)
    print(f"{len(seen)}/{len(want)} sha256 ok")


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

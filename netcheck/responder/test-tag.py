#!/usr/bin/env python3
"""The responder image's tag is the same from any build folder.

usage: test-tag.py EMBED.PY GENERATED.c ROOT INPUT...

The tag names the responder's source digest (embed.py).  This copies the
responder's inputs into two folders at other depths and paths, embeds two
different executables there (two toolchains' bytes), and checks that both
give the digest the build embedded in GENERATED.c; that the order the
inputs are named in does not count; and that one changed byte of a source,
or a source renamed, does.  Standard library only; no engine, no compiler.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile


def digest_of(generated):
    with open(generated, encoding="utf-8") as f:
        m = re.search(r'nc_responder_source_digest\[\] = "([0-9a-f]{64})";', f.read())
    if m is None:
        raise SystemExit("test-tag: no source digest in %s" % generated)
    return m.group(1)


def embed(embed_py, folder, binary_bytes, root, inputs):
    binary = os.path.join(folder, "nc-responder")
    out = os.path.join(folder, "nc-responder-bin.c")
    with open(binary, "wb") as f:
        f.write(binary_bytes)
    subprocess.run([sys.executable, embed_py, binary, out, "--root", root] + inputs, check=True)
    return digest_of(out)


def copy_inputs(root, inputs, to):
    copies = []
    for src in inputs:
        rel = os.path.relpath(os.path.abspath(src), os.path.abspath(root))
        dst = os.path.join(to, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        copies.append(dst)
    return copies


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 64
    embed_py, generated, root, inputs = argv[1], argv[2], argv[3], argv[4:]
    built = digest_of(generated)
    failures = []
    with tempfile.TemporaryDirectory(prefix="nc-tag-") as tmp:
        one = os.path.join(tmp, "one")
        two = os.path.join(tmp, "elsewhere", "deeper", "two")
        first = embed(embed_py, tmp, b"\x7fELF gcc's bytes", one, copy_inputs(root, inputs, one))
        os.makedirs(two, exist_ok=True)
        copies = copy_inputs(root, inputs, two)
        second = embed(embed_py, two, b"\x7fELF clang's other bytes", two, list(reversed(copies)))
        if not first == second == built:
            failures.append("two folders, two executables: %s and %s, the build has %s" % (first, second, built))
        # one byte of one source changes it
        with open(copies[0], "r+b") as f:
            byte = f.read(1)
            f.seek(0)
            f.write(bytes([byte[0] ^ 1]))
        if embed(embed_py, two, b"x", two, copies) == built:
            failures.append("a changed byte in %s left the digest as it was" % os.path.basename(copies[0]))
        # so does a file's name (its path relative to the tree)
        with open(copies[0], "r+b") as f:
            f.seek(0)
            f.write(byte)
        moved = copies[0] + ".moved"
        os.rename(copies[0], moved)
        if embed(embed_py, two, b"x", two, [moved] + copies[1:]) == built:
            failures.append("a renamed %s left the digest as it was" % os.path.basename(copies[0]))
    for f in failures:
        print("test-tag: " + f)
    if not failures:
        print("test-tag: %d inputs, digest %s in every folder" % (len(inputs), built[:12]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

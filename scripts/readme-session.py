#!/usr/bin/env python3
"""Runs the README's sessions and writes each command's output below it.

Every ```sh block of README.md that is followed by an output block (a bare
```` ``` ```` block) is run with bash, in order, against the server the
commands name (start a fresh one first: `make run` on an empty
./quiver-data); the output block is replaced by what the command printed.
A sh block with no output block is not run, except for its variable
assignments (lines NAME=value), which carry over to the blocks after it.
Timing fields vary from run to run; everything else is what the server
answered.

usage: scripts/readme-session.py [README.md]
"""
import os
import re
import subprocess
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "README.md"
text = open(path).read()
block = re.compile(r"```sh\n(.*?)```\n(\n```\n(.*?)```\n)?", re.S)
env_prefix = ""
out = []
last = 0
for m in block.finditer(text):
    cmd = m.group(1)
    out.append(text[last:m.start()])
    last = m.end()
    script = env_prefix + cmd
    if m.group(2) is None:
        env_prefix += "".join(l + "\n" for l in cmd.splitlines() if re.fullmatch(r"[A-Z_]+=\S+", l))
        out.append(m.group(0))
        continue
    res = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=600)
    printed = res.stdout + res.stderr
    if printed and not printed.endswith("\n"):
        printed += "\n"
    out.append("```sh\n" + cmd + "```\n\n```\n" + printed + "```\n")
    print(f"ran: {cmd.strip()[:70]}", file=sys.stderr)
out.append(text[last:])
open(path, "w").write("".join(out))

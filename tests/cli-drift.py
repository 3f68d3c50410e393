#!/usr/bin/env python3
"""No drift between netcheck's one option table and what describes it.

The table is read as data from cli-dump-options (netcheck/cli/cli-options.c
printed one fact a line).  Held against it, per command:
  - `netcheck COMMAND --help` and `netcheck --help` (made from the table:
    this checks the printing, and that help lists exactly what it accepts);
  - the man page's option sections (docs/netcheck.1.scd): GLOBAL OPTIONS
    holds the global options, "<COMMAND> OPTIONS" a command's own, and no
    section names an option its command does not take;
  - the bash completion, driven as bash drives it: `netcheck CMD -<TAB>`
    offers exactly the command's options, `netcheck -<TAB>` the global
    ones, `netcheck <TAB>` the commands, and every option that takes a
    value has its value skipped;
  - the zsh completion, read as text: the array <cmd>_opts names exactly
    the command's options, global_opts the global ones.

usage: cli-drift.py DUMP NETCHECK MAN_SCD BASH_COMPLETION ZSH_COMPLETION
"""
import os
import re
import subprocess
import sys
import tempfile

failures = []


def check(what, got, want):
    if set(got) != set(want):
        extra = sorted(set(got) - set(want))
        missing = sorted(set(want) - set(got))
        failures.append(f"{what}: lacks {missing}, names {extra} it does not take")


def read_table(dump):
    out = subprocess.run([dump], check=True, capture_output=True, text=True).stdout
    commands, options = [], {}
    for line in out.splitlines():
        f = line.split("\t")
        if f[0] == "command":
            commands.append(f[1])
            options[f[1]] = []
        elif f[0] == "option":
            cmd, long, short, arg, has_arg, scope = f[1:]
            options[cmd].append(dict(long=long, short=None if short == "-" else short, arg=arg,
                                     has_arg=has_arg, glob=scope == "global"))
    if not commands or not options["run"]:
        sys.exit(f"FAIL: {dump} printed no table")
    return commands, options


def spellings(rows):
    s = set()
    for o in rows:
        s.add(o["long"])
        if o["short"]:
            s.add(o["short"])
    return s


OPTION_TOKEN = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)")


def help_options(text):
    """Option spellings in the option lines of a help text."""
    got = set()
    for line in text.splitlines():
        m = re.match(r"^  (-\w, )?(    )?(--[\w-]+)", line)
        if m:
            got.add(m.group(3))
            if m.group(1):
                got.add(m.group(1)[:2])
    return got


def check_help(netcheck, commands, options):
    def run(*args):
        return subprocess.run([netcheck, *args], check=True, capture_output=True, text=True).stdout

    for cmd in commands:
        check(f"'netcheck {cmd} --help'", help_options(run(cmd, "--help")), spellings(options[cmd]))
    main = run("--help")
    glob = {o["long"] for rows in options.values() for o in rows if o["glob"]}
    glob |= {o["short"] for rows in options.values() for o in rows if o["glob"] and o["short"]}
    check("'netcheck --help' global options", help_options(main), glob)
    listed = re.findall(r"^  ([a-z]+)(?: |$)", main.split("Commands:\n")[1].split("\n\n")[0], re.M)
    check("'netcheck --help' commands", listed, commands)


def man_sections(path):
    sections, name = {}, None
    for line in open(path, encoding="utf-8"):
        if line.startswith("# "):
            name = line[2:].strip()
            sections[name] = []
        elif name is not None:
            sections[name].append(line.rstrip("\n"))
    return sections


def man_terms(lines):
    """Option spellings on the term lines of a section (scdoc: a line
    that starts with the bold option, its text indented below)."""
    got = set()
    for line in lines:
        if line.startswith("*-"):
            got |= set(re.findall(r"\*(--?[A-Za-z][A-Za-z0-9-]*)\*", line))
    return got


def check_man(path, commands, options):
    sections = man_sections(path)
    glob = spellings([o for o in options["run"] if o["glob"]])
    check("man page GLOBAL OPTIONS", man_terms(sections.get("GLOBAL OPTIONS", [])), glob)
    for cmd in commands:
        own = spellings([o for o in options[cmd] if not o["glob"]])
        name = f"{cmd.upper()} OPTIONS"
        if own or name in sections:
            check(f"man page {name}", man_terms(sections.get(name, [])), own)
    described = {m for line in sections.get("COMMANDS", []) for m in re.findall(r"^\*([a-z]+)\*", line)}
    check("man page COMMANDS", described, commands)


# $1 the completion, $2 tests/completion-lib.sh; one query a line
BASH_DRIVER = r'''
. "$1"
. "$2"
while IFS= read -r line; do
	eval "complete_words $line"
	printf '%s ' "${COMPREPLY[@]}"
	echo
done
'''
COMPLETION_LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "completion-lib.sh")


def bash_complete(script, queries):
    """Each query a shell-quoted word list; returns each answer as a set."""
    with tempfile.TemporaryDirectory() as tmp:  # empty: file names complete to nothing
        os.mkdir(os.path.join(tmp, "bin"))
        stub = os.path.join(tmp, "bin", "docker")
        with open(stub, "w") as f:
            f.write("#!/bin/sh\n[ \"$1\" = ps ] && echo stub-container\nexit 0\n")
        os.chmod(stub, 0o755)
        env = dict(os.environ, PATH=os.path.join(tmp, "bin") + ":" + os.environ["PATH"])
        out = subprocess.run(["bash", "-c", BASH_DRIVER, "driver", os.path.abspath(script), COMPLETION_LIB],
                             input="".join(q + "\n" for q in queries), cwd=tmp, env=env,
                             check=True, capture_output=True, text=True).stdout
    answers = [set(line.split()) for line in out.splitlines()]
    if len(answers) != len(queries):
        sys.exit(f"FAIL: the bash completion answered {len(answers)} of {len(queries)} queries")
    return answers


def check_bash(script, commands, options):
    queries, wants = [], []
    for cmd in commands:
        queries.append(f"{cmd} -")
        wants.append((f"bash: netcheck {cmd} -<TAB>", spellings(options[cmd])))
    queries.append("-")
    wants.append(("bash: netcheck -<TAB>", spellings([o for o in options["run"] if o["glob"]])))
    queries.append("''")
    wants.append(("bash: netcheck <TAB>", set(commands)))
    answers = bash_complete(script, queries)
    for (what, want), got in zip(wants, answers):
        # --color alone would be offered as --color= ; with '-' it is a list
        check(what, got, want)

    # a value-taking option's value is no command or container: the next
    # word is still the command's (or the value itself)
    names = set(commands) | {"stub-container"}
    queries, labels = [], []
    for cmd in commands:
        for o in options[cmd]:
            if o["has_arg"] != "required":
                continue
            for spelled in filter(None, (o["long"], o["short"])):
                queries.append(f"{cmd} {spelled} x ''")
                labels.append((f"bash: netcheck {cmd} {spelled} x <TAB>", cmd))
                if o["glob"]:
                    queries.append(f"{spelled} x ''")
                    labels.append((f"bash: netcheck {spelled} x <TAB>", None))
    for (what, cmd), got in zip(labels, bash_complete(script, queries)):
        if cmd is None:
            check(what, got, set(commands))
        elif cmd in ("probe", "capture"):
            check(what, got, {"stub-container"})  # still the container's place
        else:
            if got & names or any(w.startswith("-") for w in got):
                failures.append(f"{what}: offered {sorted(got)}")


def zsh_arrays(path):
    """name -> list of raw items, for every `name=(` ... `)` block."""
    arrays, name, items = {}, None, []
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        m = re.match(r"^(\w+)=\($", s)
        if m:
            name, items = m.group(1), []
        elif name is not None and s == ")":
            arrays[name] = items
            name = None
        elif name is not None and s:
            items.extend(s.split() if s.startswith("$") else [s])
    return arrays


def zsh_spec_options(item):
    """Option spellings of one _arguments spec: the part before its
    description and action, without the exclusion list."""
    item = re.sub(r"^(['\"]?)\*?\(([^)]*)\)", r"\1", item)   # '(- *)...' '(-v --verbose)'
    item = re.sub(r"\[[^\]]*\]", "", item)                      # [description]
    item = item.split(":")[0]                                   # :message:action
    return set(OPTION_TOKEN.findall(item))


def zsh_expand(arrays, name, depth=0):
    got = set()
    for item in arrays.get(name, []):
        if item.startswith("$"):
            got |= zsh_expand(arrays, item[1:], depth + 1)
        else:
            got |= zsh_spec_options(item)
    return got


def check_zsh(path, commands, options):
    arrays = zsh_arrays(path)
    check("zsh: global_opts", zsh_expand(arrays, "global_opts"),
          spellings([o for o in options["run"] if o["glob"]]))
    for cmd in commands:
        name = f"{cmd}_opts"
        if name not in arrays:
            failures.append(f"zsh: no array {name} for {cmd}")
            continue
        check(f"zsh: {name}", zsh_expand(arrays, name), spellings(options[cmd]))
    text = open(path, encoding="utf-8").read()
    for cmd in commands:
        if not re.search(rf"^\s+{cmd}\)", text, re.M):
            failures.append(f"zsh: no case for {cmd}")
        if f"'{cmd}:" not in text and f'"{cmd}:' not in text:
            failures.append(f"zsh: {cmd} is not among the commands offered")


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    dump, netcheck, man, bash, zsh = sys.argv[1:]
    commands, options = read_table(dump)
    check_help(netcheck, commands, options)
    check_man(man, commands, options)
    check_bash(bash, commands, options)
    check_zsh(zsh, commands, options)
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"PASS cli-drift ({len(commands)} commands, "
          f"{sum(len(v) for v in options.values())} command options)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The house stays a house: no room includes a header of a room above it.

Reads the `#include "netcheck/X.h"` lines of every .c/.h under netcheck/*/ and
capture/ (and of include/netcheck/*.h, by the room that owns each header) and
fails on any header the room may not include. The table mirrors docs/design.md
and CONVENTIONS.md: cli -> run -> engine/probe/capture/witness/policy -> model;
policy and report read only the model; the model calls nothing.

Usage: check-rooms.py SOURCE_ROOT        (exit 0 clean, 1 on a violation)
       check-rooms.py --self-test SOURCE_ROOT   (a planted violation must be caught)
"""
import pathlib
import re
import sys

# Which room owns each public header (include/netcheck/NAME.h).
OWNER = {
    'common': 'model', 'endpoint': 'model', 'result': 'model', 'facts': 'model',
    'testing': 'model',  # the unit-test allocator hooks: every file includes it
    'engine': 'engine', 'image': 'engine', 'digest': 'engine',
    'platform': 'platform',
    'probe': 'probe',
    'capture': 'capture', 'packet': 'capture', 'attribute': 'capture',
    'pcapng': 'capture', 'agent-wire': 'capture',
    'witness': 'witness', 'dropreason': 'witness',
    'policy': 'policy',
    'report': 'report', 'metrics': 'report',
    'run': 'run', 'watch': 'run',
}

ALL = sorted(set(OWNER.values()))

# The rooms each room may include (its own and the model are always allowed).
ALLOWED = {
    'cli': ALL,  # design.md: cli may call everything (it mostly calls run and report)
    'run': ['engine', 'platform', 'probe', 'capture', 'witness', 'policy'],
    'engine': [],
    'probe': ['platform'],
    'capture': [],
    'witness': ['platform'],
    'policy': [],
    'report': [],
    'platform': [],
    'model': [],
    # the responder is a separate static program: libc, and the agent's wire format
    'responder': ['capture'],
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"netcheck/([A-Za-z0-9_-]+)\.h"', re.M)


def may_include(room, header):
    owner = OWNER.get(header)
    if owner is None:
        return False, f'netcheck/{header}.h has no room in check-rooms.py\'s OWNER table'
    if owner in (room, 'model') or owner in ALLOWED.get(room, []):
        return True, ''
    return False, f'{room} may not include netcheck/{header}.h ({owner}\'s)'


def files_of(root):
    for room_dir in sorted((root / 'netcheck').iterdir()):
        if room_dir.is_dir():
            yield from ((room_dir.name, p) for p in sorted(room_dir.glob('*.[ch]')))
    yield from (('capture', p) for p in sorted((root / 'capture').glob('*.[ch]')))
    for p in sorted((root / 'include' / 'netcheck').glob('*.h')):
        yield OWNER.get(p.stem, '?' + p.stem), p


def check(root, extra=()):
    problems = []
    seen_rooms = set()
    for room, path in list(files_of(root)) + list(extra):
        if room not in ALLOWED:
            problems.append(f'{path}: room {room} is not in check-rooms.py\'s ALLOWED table')
            continue
        seen_rooms.add(room)
        if path.name.startswith('test-') or path.name.startswith('fuzz-'):
            continue  # a test may reach whatever it drives
        text = path.read_text(encoding='utf-8', errors='replace') if isinstance(path, pathlib.Path) else path.text
        for header in INCLUDE.findall(text):
            ok, why = may_include(room, header)
            if not ok:
                problems.append(f'{path}: {why}')
    missing = {'cli', 'run', 'engine', 'model', 'policy', 'report', 'capture'} - seen_rooms
    if missing:
        problems.append(f'rooms not found under {root}: {sorted(missing)}')
    return problems


class Planted:
    def __init__(self, name, text):
        self.name, self.text = name, text

    def __str__(self):
        return self.name


def main(argv):
    self_test = '--self-test' in argv
    args = [a for a in argv[1:] if a != '--self-test']
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    root = pathlib.Path(args[0])
    if self_test:
        planted = [('report', Planted('report/planted.c', '#include "netcheck/engine.h"\n')),
                   ('model', Planted('model/planted.c', '#include "netcheck/policy.h"\n')),
                   ('policy', Planted('policy/planted.c', '#include "netcheck/platform.h"\n')),
                   ('capture', Planted('capture/planted.c', '#include "netcheck/run.h"\n'))]
        problems = check(root, planted)
        caught = [p for p in problems if 'planted' in p]
        if len(caught) != len(planted):
            print(f'self-test: caught {len(caught)} of {len(planted)} planted violations', file=sys.stderr)
            return 1
        print(f'self-test: all {len(planted)} planted violations caught')
        return 0
    problems = check(root)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    print('every room includes only what docs/design.md allows it')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

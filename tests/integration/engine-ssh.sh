#!/bin/bash
# -H ssh://root@127.0.0.1:PORT: netcheck reaches the engine as the docker CLI
# does, through `ssh … docker system dial-stdio`.  The far side is an sshd of
# the test's own on 127.0.0.1 (a free high port, a throwaway host key, keys
# and authorized_keys in a temporary directory; the system's sshd config and
# host keys are not used), in front of this machine's docker CLI and engine.
# ssh reads the passwd entry's ~/.ssh, not $HOME's: the client's options come
# from a wrapper first on PATH that adds `-F <own config>`, so ~/.ssh is not
# touched.  Then the faults, each exit 69 with one line: no ssh on PATH, a key
# the server refuses, no docker on the far side's PATH, a host that never
# answers; and a docker there that finds no engine.  A Ctrl-C mid-run does not reach ssh (a session of its own) and
# the container is removed over it.  Nothing is left: sshd (its own -D pid),
# the children, the private directories, the test container.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || prerequisite_missing "sshd (Debian: openssh-server)"
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || prerequisite_missing "ssh (Debian: openssh-client)"
# the far side's docker CLI, as sshd's PATH finds it
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v docker >/dev/null ||
	prerequisite_missing "the docker CLI (docker.io) for the far side's docker system dial-stdio"

D=$TMP/ssh
home=$(getent passwd "$(id -un)" | cut -d: -f6)
dot_ssh_before=$(ls -la "$home/.ssh" 2>&1 || true)
mkdir -p "$D/bin" "$D/empty" "$D/xdg"
chmod 700 "$D" "$D/xdg"
sshd_pid=
silent_pid=
made_privsep=
cleanup() { # each of our own processes by its pid; the exit status stays the test's
	local pid
	for pid in $sshd_pid $silent_pid; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$made_privsep" ]; then
		rmdir /run/sshd 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)

# throwaway keys: the host's, the client's, one the server does not know,
# one whose logins get a PATH without docker, and one whose docker finds
# no engine
ssh-keygen -q -t ed25519 -N '' -C netcheck-test-host -f "$D/host_key"
for k in client stranger nodocker noengine; do
	ssh-keygen -q -t ed25519 -N '' -C "netcheck-test-$k" -f "$D/$k"
done
{
	cat "$D/client.pub"
	printf 'environment="PATH=/nonexistent" %s\n' "$(cat "$D/nodocker.pub")"
	printf 'environment="DOCKER_HOST=unix:///nonexistent/docker.sock" %s\n' "$(cat "$D/noengine.pub")"
} >"$D/authorized_keys"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$D/host_key.pub")" >"$D/known_hosts"

cat >"$D/sshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $D/host_key
PidFile none
AuthorizedKeysFile $D/authorized_keys
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitUserEnvironment yes
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PrintMotd no
LogLevel INFO
EOF
# the privilege separation directory sshd insists on (Debian's service makes it)
if [ ! -d /run/sshd ]; then
	mkdir -m 0755 /run/sshd
	made_privsep=1
fi
"$SSHD" -t -f "$D/sshd_config" -h "$D/host_key" -p "$port" || fail "sshd refuses the test's config"
"$SSHD" -D -f "$D/sshd_config" -h "$D/host_key" -p "$port" -E "$D/sshd.log" &
sshd_pid=$!
for _ in $(seq 1 100); do
	$PY -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null && break
	sleep 0.05
done
kill -0 "$sshd_pid" 2>/dev/null || { cat "$D/sshd.log" >&2; fail "sshd did not start"; }

# the client: ssh with the test's own config, first on PATH
client_config() { # IDENTITY
	cat >"$D/ssh_config" <<EOF
Host *
  IdentityFile $D/$1
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile $D/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
EOF
}
printf '#!/bin/sh\nexec %s -F "%s/ssh_config" "$@"\n' "$(command -v ssh)" "$D" >"$D/bin/ssh"
chmod 755 "$D/bin/ssh"
client_config client
# the docker CLI's view of the same far side, for comparison
PATH=$D/bin:$PATH docker -H "ssh://root@127.0.0.1:$port" version --format '{{.Server.Version}}' >"$D/cli-version" 2>&1 ||
	{ cat "$D/cli-version" "$D/sshd.log" >&2; fail "the docker CLI cannot reach the engine through the test's sshd"; }
logins_before=$(grep -c 'Accepted publickey' "$D/sshd.log" || true)

nc_ssh() { # netcheck with the wrapper first on PATH; its private directories in $D/xdg
	XDG_RUNTIME_DIR=$D/xdg PATH=$D/bin:$PATH "$NETCHECK" "$@"
}
# exit 69 and one line on stderr that says WORDS; prints the line
expect_69() { # WHAT ERRFILE RC WORDS
	expect_eq "$1: exit" "$3" 69
	expect_eq "$1: stderr lines" "$(wc -l <"$2")" 1
	grep -qF -- "$4" "$2" || fail "$1: '$(cat "$2")' does not say '$4'"
	note "$1: $(cat "$2")"
}

containers_before=$(labelled_containers)
url=ssh://root@127.0.0.1:$port

# 1. a whole run over ssh
rc=0
start=$(date +%s%N)
nc_ssh -H "$url" run --json "$TMP/r.json" >"$TMP/out" 2>"$TMP/err" || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
[ "$rc" = 0 ] || { cat "$TMP/out" "$TMP/err" "$D/sshd.log" >&2; fail "run over ssh: exit $rc"; }
check_schema "$TMP/r.json"
expect_eq "engine url" "$(json_get "$TMP/r.json" 'd["environment"]["engine_url"]')" "$url"
expect_eq "direct-tcp" "$(json_get "$TMP/r.json" 'p["direct-tcp"]["verdict"]')" reachable
logins=$(($(grep -c 'Accepted publickey for root' "$D/sshd.log") - logins_before))
[ "$logins" -ge 1 ] || fail "the run did not log in through the test's sshd"
note "run over ssh: exit 0 in ${took} ms, $logins ssh login(s) for the whole run"
expect_eq "test containers left" "$(labelled_containers)" "$containers_before"

# 2. no ssh on PATH
rc=0
XDG_RUNTIME_DIR=$D/xdg PATH=$D/empty "$NETCHECK" -H "$url" run >/dev/null 2>"$TMP/err2" || rc=$?
expect_69 "no ssh" "$TMP/err2" "$rc" "no ssh on PATH"

# 3. a key the server does not accept
client_config stranger
rc=0
nc_ssh -H "$url" run >/dev/null 2>"$TMP/err3" || rc=$?
expect_69 "wrong key" "$TMP/err3" "$rc" "ssh login failed"
grep -qF "Permission denied" "$TMP/err3" || fail "wrong key: ssh's own words are missing: $(cat "$TMP/err3")"

# 4. no docker on the far side's PATH
client_config nodocker
rc=0
nc_ssh -H "$url" run >/dev/null 2>"$TMP/err4" || rc=$?
expect_69 "no docker" "$TMP/err4" "$rc" "no docker on 127.0.0.1's PATH"

# 5. docker there, but `docker system dial-stdio` finds no engine
client_config noengine
rc=0
nc_ssh -H "$url" run >/dev/null 2>"$TMP/err4b" || rc=$?
expect_69 "no engine there" "$TMP/err4b" "$rc" "\`docker system dial-stdio\` failed on 127.0.0.1"
grep -qF "/nonexistent/docker.sock" "$TMP/err4b" || fail "no engine there: docker's own words are missing: $(cat "$TMP/err4b")"

# 6. a host that accepts the connection and never speaks: bounded by --engine-timeout
client_config client
silent=$(free_port)
$PY -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(120)' "$silent" &
silent_pid=$!
sleep 0.3
rc=0
start=$(date +%s%N)
nc_ssh -H "ssh://root@127.0.0.1:$silent" --engine-timeout 2000 run >/dev/null 2>"$TMP/err5" || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
expect_69 "silent host" "$TMP/err5" "$rc" "ssh://root@127.0.0.1:$silent"
[ "$took" -lt 6000 ] || fail "silent host: netcheck took ${took} ms with --engine-timeout 2000"
note "silent host: exit 69 after ${took} ms"

# 7. Ctrl-C mid-run: the terminal signals the whole foreground group; ssh,
# in a session of its own, keeps the connection netcheck removes its
# container with (were it killed, the clean-up would have to log in again,
# and a call in flight would break).  The run is held (the responder listens
# on 80, netcheck waits for 81) until the container exists; then SIGINT goes
# to the group.
image=$(json_get "$TMP/r.json" 'd["container"]["image"]')
XDG_RUNTIME_DIR=$D/xdg PATH=$D/bin:$PATH setsid "$NETCHECK" -H "$url" run --no-capture --image "$image" \
	--port 81 --start-timeout 30000 >/dev/null 2>"$TMP/err6" &
held=$!
wait_for_ours "$containers_before" "the held run's container over ssh"
child=$(pgrep -f -- "-l root -p $port .*-- 127.0.0.1 docker system dial-stdio" | head -1)
[ -n "$child" ] || fail "no ssh child during the held run"
expect_eq "ssh child's parent" "$(ps -o ppid= -p "$child" | tr -d ' ')" "$held"
[ "$(ps -o pgid= -p "$child" | tr -d ' ')" != "$(ps -o pgid= -p "$held" | tr -d ' ')" ] ||
	fail "the ssh child is in netcheck's process group: a Ctrl-C would reach it"
kill -INT -- "-$held"
rc=0
wait "$held" || rc=$?
expect_eq "Ctrl-C over ssh: exit" "$rc" 130
expect_eq "Ctrl-C over ssh: test containers left" "$(labelled_containers)" "$containers_before"
note "Ctrl-C over ssh: $(cat "$TMP/err6")"

# nothing left: no child of netcheck's (ssh runs in a session of its own,
# so look for its command line), no private directory, ~/.ssh untouched
sleep 0.2
if pgrep -f -- "-- 127.0.0.1 docker system dial-stdio" >/dev/null; then
	fail "ssh children outlived netcheck: $(pgrep -af -- '-- 127.0.0.1 docker system dial-stdio')"
fi
[ -z "$(ls -A "$D/xdg")" ] || fail "private directories left: $(ls -A "$D/xdg")"
expect_eq "$home/.ssh" "$(ls -la "$home/.ssh" 2>&1 || true)" "$dot_ssh_before"
expect_eq "test containers left" "$(labelled_containers)" "$containers_before"
echo "PASS engine-ssh"

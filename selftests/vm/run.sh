#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-VM test runner: run by `cargo xtask test` as root inside the guest,
# it prints TAP that the xtask counts. Arguments: the expected `uname -r` and
# `uname -v` of the kernel that was just built, the directory of the built
# selftests, the tdps binary, the client's `backends` test, which
# compares its task_diag and procfs backends for every group and strategy,
# and the tdpmap binary.

want_release=$1
want_version=$2
bin_dir=${3:-}
tdps=${4:-}
backends=${5:-}
tdpmap=${6:-}
n=0
fails=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	fails=$((fails + 1))
	echo "not ok $n $1"
	shift
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/# /'
	done
}

check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}

# Seconds since the guest booted, to time the steps: the xtask lists every
# "# duration: NAME SECONDS" line in its table.
uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# duration NAME SINCE: prints how long NAME took since the uptime SINCE.
duration() {
	awk -v name="$1" -v t0="$2" -v t1="$(uptime_s)" \
		'BEGIN { printf "# duration: %s %.1f\n", name, t1 - t0 }'
}

echo "TAP version 13"
duration "guest boot, to the first command" 0
checks_t0=$(uptime_s)

release=$(uname -r)
version=$(uname -v)
if [ "$release" = "$want_release" ] && [ "$version" = "$want_version" ]; then
	ok "the booted kernel is the one just built ($release)"
else
	not_ok "the booted kernel is the one just built" \
		"booted: $release $version" "built: $want_release $want_version"
fi

check "/proc/task_diag is a regular file" test -f /proc/task_diag

mode=$(stat -c %a /proc/task_diag 2>/dev/null)
if [ "$mode" = 666 ]; then
	ok "/proc/task_diag has mode 0666"
else
	not_ok "/proc/task_diag has mode 0666" "mode: ${mode:-none}"
fi

out=$(cat /proc/task_diag 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
	ok "a read before any request returns end of file"
else
	not_ok "a read before any request returns end of file" "rc $rc, output: $out"
fi

err=$(printf 'x' | dd of=/proc/task_diag bs=1 count=1 2>&1)
if echo "$err" | grep -q "Invalid argument"; then
	ok "a malformed request is refused with EINVAL"
else
	not_ok "a malformed request is refused with EINVAL" "dd said: $err"
fi

# tdps against procps, and the two backends of the client against each
# other, on quiet sets of tasks: sleepers of ours, and the kernel threads.
same() {
	desc=$1
	shift
	if "$@" > /tmp/run_sh.out 2>&1; then
		ok "$desc"
	else
		not_ok "$desc" "$(head -c 2000 /tmp/run_sh.out)"
	fi
}

compare() {
	# compare FILE_A FILE_B: equal and not just a header
	[ "$(wc -l < "$1")" -gt 1 ] && diff -u "$1" "$2"
}

no_cpu() {
	# no_cpu FILE: the rows with their third field (%CPU of u) as "-"
	awk '{ $3 = "-"; print }' "$1" > "$1.no_cpu" && mv "$1.no_cpu" "$1"
}

only_pids() {
	# only_pids PID,PID,... FILE: the header and the rows whose first field
	# is one of the pids
	awk -v pids="$1" 'BEGIN { n = split(pids, p, ","); for (i = 1; i <= n; i++) keep[p[i]] = 1 }
		NR == 1 || ($1 in keep)' "$2" > "$2.only" && mv "$2.only" "$2"
}

sleepers_in() {
	# sleepers_in FMT OUT PROGRAM [ARGS...]: PROGRAM ARGS -p SLEEPERS FMT
	# into OUT, the %CPU field blanked for u
	fmt_=$1
	out_=$2
	shift 2
	# shellcheck disable=SC2086 # the format's words are separate on purpose
	"$@" -p "$sleepers" $fmt_ > "$out_"
	if [ "$fmt_" = u ]; then
		no_cpu "$out_"
	fi
}

compare_rows() {
	# compare_rows FILE_A FILE_B: equal and not empty
	[ -s "$1" ] && diff -u "$1" "$2"
}

part_t0=$(uptime_s)
if [ -n "$tdps" ]; then
	setsid sh -c 'sleep 1000 & sleep 1000 & sleep 1000 & exec sleep 1000' &
	sleep 0.5
	sleepers=$(pgrep -d, -x sleep)
	for fmt in "pid,ppid,pgid,sid,s,comm" "tgid,tid,comm=NAME" "comm,pid,ppid,pgid,sid"; do
		ps -p "$sleepers" -o "$fmt" > /tmp/ps.out
		"$tdps" --backend task-diag -p "$sleepers" -o "$fmt" > /tmp/tdps.out
		same "tdps -p SLEEPERS -o $fmt matches ps" compare /tmp/ps.out /tmp/tdps.out
	done
	# Kernel threads: procfs shows their full names (and a workqueue
	# worker's current work), BASE the 15-byte comm: ids only. Idle
	# workqueue workers exit within seconds, which is the time a program
	# takes to start in the debug guest: both sides select with --ppid 2
	# and keep the rows of the other kernel threads, which stay.
	kthreads=$(ps --ppid 2 -o pid=,comm= | awk '$2 !~ /^kworker/ { printf "%s%s", s, $1; s = "," }')
	ps --ppid 2 -o pid,ppid,pgid,sid,tgid > /tmp/ps.out
	"$tdps" --backend task-diag --ppid 2 -o pid,ppid,pgid,sid,tgid > /tmp/tdps.out
	only_pids "$kthreads" /tmp/ps.out
	only_pids "$kthreads" /tmp/tdps.out
	same "tdps --ppid 2 (kernel threads but workers) matches ps" compare /tmp/ps.out /tmp/tdps.out
	ps -L -p "$sleepers" -o pid,lwp,s,comm > /tmp/ps.out
	"$tdps" --backend task-diag -L -p "$sleepers" -o pid,lwp,s,comm > /tmp/tdps.out
	same "tdps -L matches ps" compare /tmp/ps.out /tmp/tdps.out
	"$tdps" --backend procfs --ppid 2 -o pid,ppid,pgid,sid,tgid > /tmp/ps.out
	"$tdps" --backend task-diag --ppid 2 -o pid,ppid,pgid,sid,tgid > /tmp/tdps.out
	only_pids "$kthreads" /tmp/ps.out
	only_pids "$kthreads" /tmp/tdps.out
	same "the task-diag and procfs backends return the same kernel threads" \
		compare /tmp/ps.out /tmp/tdps.out
	"$tdps" --backend procfs -p "$sleepers" -o pid,tgid,ppid,pgid,sid,s,comm > /tmp/ps.out
	"$tdps" --backend task-diag -p "$sleepers" -o pid,tgid,ppid,pgid,sid,s,comm > /tmp/tdps.out
	same "the task-diag and procfs backends return the same sleepers" \
		compare /tmp/ps.out /tmp/tdps.out
	# The everyday formats, every group of the kernel behind them, on quiet
	# sleepers. Their %CPU still drifts between two runs (the debug guest
	# spends seconds of CPU starting a program), so that field is replaced
	# on both sides of u and aux (and the spacing made one blank). The
	# integer C of -f, -F, -l and c falls by one as the seconds pass: tdps
	# runs between two ps runs and must match one of them (the second ps
	# runs only when the first differs).
	for fmt in u -f -F -l j \
		"-o user,ruser,group,uid,euid,gid,rss,vsz,sz,%mem,c,time,stime,tty,stat,ni,pri,psr,nlwp,f,cmd,args,comm"; do
		sleepers_in "$fmt" /tmp/ps.out ps
		sleepers_in "$fmt" /tmp/tdps.out "$tdps" --backend task-diag
		if ! compare /tmp/ps.out /tmp/tdps.out > /dev/null; then
			sleepers_in "$fmt" /tmp/ps.out ps
		fi
		same "tdps -p SLEEPERS $fmt matches ps" compare /tmp/ps.out /tmp/tdps.out
	done
	ps aux > /tmp/ps.all
	"$tdps" --backend task-diag aux > /tmp/tdps.all
	grep -E "[s]leep 1000" /tmp/ps.all > /tmp/ps.out
	grep -E "[s]leep 1000" /tmp/tdps.all > /tmp/tdps.out
	no_cpu /tmp/ps.out
	no_cpu /tmp/tdps.out
	same "tdps aux shows the sleepers as ps aux does" compare_rows /tmp/ps.out /tmp/tdps.out
	pkill -x sleep
fi
duration "run.sh: tdps against ps" "$part_t0"

# tdpmap's task_diag backend against procps pmap, pmap -x and pmap -x of
# a thread, on quiet processes of ours: two sleepers, a sleeper run from
# a copy of sleep deleted since, and a python3 process with a named
# anonymous mapping (a "/" in its name), shared anonymous memory, a
# System V segment and a second thread; and kthreadd, whose VMA attribute
# is empty. --backend task-diag never falls back to procfs (a kernel that
# refuses the VMA group makes tdpmap fail), and strace checks that it
# read no maps or smaps file.
td_helper='
import ctypes, mmap, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                       ctypes.c_ulong, ctypes.c_char_p]
libc.shmat.restype = ctypes.c_void_p
n = 8 * 4096
p = libc.mmap(None, n, 3, 0x22, -1, 0)
ctypes.memset(p, 1, 4096)
# PR_SET_VMA, PR_SET_VMA_ANON_NAME: EINVAL without CONFIG_ANON_VMA_NAME
named = libc.prctl(0x53564d41, 0, p, n, b"tdpmap/vm") == 0
if not named and ctypes.get_errno() != 22:
    sys.exit("PR_SET_VMA_ANON_NAME failed: errno %d" % ctypes.get_errno())
shared = mmap.mmap(-1, 4 * 4096, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
shared[0:4096] = b"s" * 4096
shmid = libc.shmget(0, 3 * 4096, 0o1600)
if shmid < 0:
    sys.exit("shmget failed: errno %d" % ctypes.get_errno())
libc.shmat(shmid, None, 0)
libc.shmctl(shmid, 0, None)
t = threading.Thread(target=time.sleep, args=(1000,), daemon=True)
t.start()
with open(sys.argv[1], "w") as f:
    f.write("%d %d\n" % (t.native_id, named))
time.sleep(1000)
'

td_pmap_same() {
	# td_pmap_same OUT ARGS...: pmap and tdpmap --backend task-diag give
	# the same output (more than a header) and the same status
	pmap "$@" > /tmp/pmap.out 2> /tmp/pmap.err
	want=$?
	"$tdpmap" --backend task-diag "$@" > /tmp/tdpmap.out 2> /tmp/tdpmap.err
	got=$?
	if [ "$want" -ne "$got" ]; then
		echo "pmap exited $want, tdpmap $got: $(head -c 500 /tmp/tdpmap.err)"
		return 1
	fi
	[ "$want" -eq 0 ] && compare /tmp/pmap.out /tmp/tdpmap.out
}

part_t0=$(uptime_s)
if [ -n "$tdpmap" ]; then
	sleep 1001 &
	td_sleep=$!
	cp "$(command -v sleep)" /tmp/td-sleep
	/tmp/td-sleep 1002 &
	td_deleted=$!
	rm -f /tmp/td-helper.tid
	td_python=
	if command -v python3 > /dev/null; then
		python3 -c "$td_helper" /tmp/td-helper.tid &
		td_python=$!
		i=0
		while [ ! -s /tmp/td-helper.tid ] && [ $i -lt 240 ] && kill -0 $td_python 2> /dev/null; do
			sleep 0.5
			i=$((i + 1))
		done
	fi
	read -r td_tid td_named < /tmp/td-helper.tid 2> /dev/null
	if [ -n "$td_tid" ]; then
		ok "tdpmap's helper has an anonymous mapping to name, shared memory and a thread"
	else
		not_ok "tdpmap's helper has an anonymous mapping to name, shared memory and a thread" \
			"python3: $(command -v python3 || echo missing); the helper did not start"
	fi
	# Deleted once it runs: the helper's start gave it the time to.
	i=0
	while [ "$(readlink /proc/$td_deleted/exe)" != /tmp/td-sleep ] && [ $i -lt 60 ]; do
		sleep 0.5
		i=$((i + 1))
	done
	rm -f /tmp/td-sleep
	for pid in $td_sleep $td_deleted $td_python; do
		name=$(cat /proc/$pid/comm)
		same "tdpmap --backend task-diag PID ($name) matches pmap" td_pmap_same "$pid"
		same "tdpmap --backend task-diag -x PID ($name) matches pmap -x" td_pmap_same -x "$pid"
	done
	if [ -n "$td_tid" ]; then
		same "tdpmap --backend task-diag -x TID (a thread) matches pmap -x" \
			td_pmap_same -x "$td_tid"
		for want in "vm]" "zero (deleted)" "[ shmid=0x"; do
			if [ "$want" = "vm]" ] && [ "$td_named" != 1 ]; then
				ok "tdpmap -x of the helper shows '$want' # SKIP no CONFIG_ANON_VMA_NAME"
			elif grep -qF "$want" /tmp/tdpmap.out; then
				ok "tdpmap -x of the helper shows '$want'"
			else
				not_ok "tdpmap -x of the helper shows '$want'" "$(cat /tmp/tdpmap.out)"
			fi
		done
	fi
	td_pmap_same $td_deleted > /dev/null 2>&1
	if grep -q "td-sleep (deleted)$" /tmp/tdpmap.out; then
		ok "tdpmap shows the deleted program as pmap does"
	else
		not_ok "tdpmap shows the deleted program as pmap does" "$(cat /tmp/tdpmap.out)"
	fi
	same "tdpmap --backend task-diag of several pids and kthreadd matches pmap" \
		td_pmap_same $td_sleep 2 $td_deleted $td_python $td_sleep
	same "tdpmap --backend task-diag -x of several pids and kthreadd matches pmap -x" \
		td_pmap_same -x $td_sleep 2 $td_deleted $td_python
	strace -f -e trace=openat -o /tmp/tdpmap.strace \
		"$tdpmap" --backend task-diag -x $td_sleep $td_python > /dev/null 2>&1
	if grep -q '"/proc/task_diag".* = [0-9]*$' /tmp/tdpmap.strace &&
		! grep -Eq '"/proc/[0-9]+/s?maps"' /tmp/tdpmap.strace; then
		ok "tdpmap --backend task-diag -x read /proc/task_diag and no maps or smaps"
	else
		not_ok "tdpmap --backend task-diag -x read /proc/task_diag and no maps or smaps" \
			"$(grep -E 'task_diag|maps' /tmp/tdpmap.strace | head -20)"
	fi
	kill $td_sleep $td_deleted $td_python 2> /dev/null
	wait $td_sleep $td_deleted $td_python 2> /dev/null
fi
duration "run.sh: tdpmap against pmap" "$part_t0"

part_t0=$(uptime_s)
if [ -n "$backends" ]; then
	if "$backends" --test-threads=1 > /tmp/backends.out 2>&1 &&
		grep -q "test result: ok. [1-9]" /tmp/backends.out; then
		ok "the client's task_diag and procfs backends agree for every group and strategy"
	else
		not_ok "the client's task_diag and procfs backends agree for every group and strategy" \
			"$(tail -c 3000 /tmp/backends.out)"
	fi
fi
duration "run.sh: the client's backends test" "$part_t0"

echo "1..$n"
duration "run.sh checks, all" "$checks_t0"

# The functional tests print their own TAP, counted by the xtask; each
# kselftest harness program sets its own per-test timeouts. A program that
# was not built counts as one failure.
run_prog() {
	prog=$1
	shift
	if [ ! -x "$bin_dir/$prog" ]; then
		echo "not ok 1 $prog was not built"
		fails=$((fails + 1))
		return
	fi
	t0=$(uptime_s)
	"$@" "$bin_dir/$prog" || fails=$((fails + 1))
	duration "$prog" "$t0"
}

if [ -n "$bin_dir" ]; then
	run_prog task_diag_test
	run_prog task_diag_groups
	run_prog task_diag_vma
	# The randomised test: TD_RANDOM_SECONDS bounds it (default 60).
	run_prog task_diag_random env TD_RANDOM_SECONDS="${TD_RANDOM_SECONDS:-60}"
fi

[ "$fails" -eq 0 ]

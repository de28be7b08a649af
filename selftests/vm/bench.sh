#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `cargo xtask bench`, run as root in one boot: creates
# tasks in steps, and at each step times procfs against task_diag. Prints
# lines the xtask parses:
#   RESULT PAIR SIDE TASKS SECONDS     one timed run (SIDE: a = procfs, b = task_diag)
#   SYSCALLS PAIR SIDE TASKS CALLS     system calls of one untimed run
#   TASKS N                            tasks that exist now (all of /proc/*/task)
#   BACKEND PAIR SIDE task_diag|procfs what a client program of PAIR read:
#                                      whether it opened /proc/task_diag
#   NOTE text                          something the report should say
#
# Arguments: BIN_DIR TDPS SIZES THREADS_PER_PROCESS RUNS MAIN [TDPMAP]
#   SIZES: ascending task counts, comma separated; MAIN: the one of them at
#   which every pair runs (the others measure only the scaling pair); TDPS
#   and TDPMAP: the client programs, empty when not built.
#
# Before the steps, the maps and smaps pairs run over MAPS_PROCS processes
# of one thread with MAPS_EXTRA more mappings each (fork --maps), which
# are then ended, so that the steps count only their own tasks.

set -u
bin=$1
tdps=$2
sizes=$3
tpp=$4
runs=$5
main=$6
tdpmap=${7:-}

echo 4194304 > /proc/sys/kernel/pid_max
echo 4000000 > /proc/sys/kernel/threads-max
echo 4000000 > /proc/sys/vm/max_map_count
# Under TCG, QEMU finds the code it translated by virtual address, so a
# position-independent program loaded at random addresses is translated
# anew at every exec: 20-30 ms for a Rust program, 7 ms without ASLR, a
# cost no real CPU has. Both sides' programs run without ASLR.
echo 0 > /proc/sys/kernel/randomize_va_space
ulimit -u unlimited
ulimit -s 8192
TIMEFORMAT=%3R
tmp=$(mktemp -d -p /dev/shm)

# The guest's root is a 9p share. Without a page cache (virtme-ng's own
# mount) every exec read the program and its libraries from the host again,
# some 40-60 ms under TCG, which would swamp the faster side; the xtask
# mounts it with cache=loose now, but what 9p keeps still depends on what
# ran before. So every program timed runs from a tmpfs copy, dynamic ones
# through a copy of their loader and libraries: the same treatment for both
# sides.
# stage NAME PATH: prints the command that runs the staged copy of PATH.
stage() {
	local name=$1 path=$2 dir=$tmp/stage/$1 deps interp lib
	mkdir -p "$dir/lib"
	cp "$path" "$dir/$name"
	deps=$(ldd "$path" 2>/dev/null)
	interp=$(awk '$1 ~ /^\// { print $1 }' <<< "$deps")
	if [ -z "$interp" ]; then
		echo "$dir/$name"
		return
	fi
	for lib in $(awk '$3 ~ /^\// { print $3 }' <<< "$deps"); do
		cp "$lib" "$dir/lib/"
	done
	cp "$interp" "$dir/lib/ld.so"
	echo "$dir/lib/ld.so --library-path $dir/lib $dir/$name"
}

count_tasks() {
	local n=0 d
	for d in /proc/[0-9]*/task/*; do
		n=$((n + 1))
	done
	echo "$n"
}

# measure PAIR SIDE TASKS CMD...
measure() {
	local pair=$1 side=$2 n=$3 t
	shift 3
	t=$({ time "$@" > /dev/null 2>&1; } 2>&1)
	echo "RESULT $pair $side $n $t"
}

# syscalls PAIR SIDE TASKS CMD...
syscalls() {
	local pair=$1 side=$2 n=$3 calls
	shift 3
	strace -f -c -o "$tmp/strace" "$@" > /dev/null 2>&1
	calls=$(awk '$NF == "total" { print $4 }' "$tmp/strace")
	echo "SYSCALLS $pair $side $n ${calls:-0}"
}

# fail PAIR CMD...: the warm-up run of CMD failed. Said on stderr: the
# xtask shows no report, and so no NOTE, of a script that fails.
fail() {
	local pair=$1 cmd
	shift
	cmd="$*"
	if [ "${#cmd}" -gt 300 ]; then
		cmd="${cmd:0:300}..."
	fi
	echo "bench: $pair: '$cmd' failed: $(head -c 300 "$tmp/err")" >&2
	exit 1
}

# backend PAIR SIDE CMD...: says whether CMD (the program of PAIR's SIDE)
# had a request taken by /proc/task_diag, or read procfs only: a client
# with a procfs fallback must not pass for task_diag. Sets $last_backend.
backend() {
	local pair=$1 side=$2
	shift 2
	last_backend=procfs
	strace -f -y -e trace=write -o "$tmp/writes" "$@" > /dev/null 2>&1
	# A write of a request that succeeded: a client opens the file before
	# it falls back, and a kernel that refuses the request (tdpmap's VMA
	# on a kernel without the group) fails the write with EINVAL.
	if grep -Eq 'write\([0-9]+</proc/task_diag>, .* = [0-9]+$' "$tmp/writes"; then
		last_backend=task_diag
	fi
	echo "BACKEND $pair $side $last_backend"
}

# dump_median CMD...: the median time of RUNS dumps of CMD --time, from the
# request to the end of the dump, without the program's start and exit, as
# "SECONDS RUNS". Nothing else runs meanwhile (the guest has one CPU): the
# times go to a file.
dump_median() {
	local i
	: > "$tmp/dump"
	for i in $(seq "$runs"); do
		"$@" --time 2>> "$tmp/dump" > /dev/null
	done
	awk '/^dump:/ { print $2 }' "$tmp/dump" | sort -n |
		awk '{ v[NR] = $1 } END {
		if (NR)
			printf "%.4f %d\n", v[int((NR + 1) / 2)], NR
		else
			print "nan 0"
	}'
}

# pair NAME TASKS RUNS STRACE A_CMD -- B_CMD
pair() {
	local name=$1 n=$2 r=$3 st=$4 i
	shift 4
	local a=() b=()
	while [ "$1" != "--" ]; do
		a+=("$1")
		shift
	done
	shift
	b=("$@")
	# Warm-up, which must succeed (the timed runs do not look at the
	# output), then alternate.
	"${a[@]}" > /dev/null 2> "$tmp/err" || fail "$name" "${a[@]}"
	"${b[@]}" > /dev/null 2> "$tmp/err" || fail "$name" "${b[@]}"
	for i in $(seq "$r"); do
		measure "$name" a "$n" "${a[@]}"
		measure "$name" b "$n" "${b[@]}"
	done
	if [ "$st" = 1 ]; then
		syscalls "$name" a "$n" "${a[@]}"
		syscalls "$name" b "$n" "${b[@]}"
	fi
}

# Unquoted on use: the staged commands are words without blanks.
tpa=$(stage task_proc_all "$bin/task_proc_all")
tda=$(stage task_diag_all "$bin/task_diag_all")
ps=$(stage ps "$(command -v ps)")
tdps_cmd=
if [ -n "$tdps" ]; then
	tdps_cmd=$(stage tdps "$tdps")
fi
pmap=$(stage pmap "$(command -v pmap)")
tdpmap_cmd=
if [ -n "$tdpmap" ]; then
	tdpmap_cmd=$(stage tdpmap "$tdpmap")
fi

# wait_ready FILE PID: waits until the fork helper PID wrote "ready" to
# FILE; fails when it exits first.
wait_ready() {
	while ! grep -q ready "$1" 2>/dev/null; do
		if ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		sleep 0.5
	done
}

# The pairs of the VMA group (maps, smaps, perf-startup) need a kernel
# that takes a VMA request; one that refuses it is said once.
vma=1
if ! $tda one --pid 1 --quiet --groups base,vma,vma-stat > /dev/null 2> "$tmp/err"; then
	vma=
	echo "NOTE the kernel refuses the VMA group ($(head -c 200 "$tmp/err")): the maps, smaps and perf-startup pairs were left out"
fi

# maps and smaps: every process's /proc/PID/maps (smaps) read to its end,
# against one ALL dump of VMA (and VMA_STAT), over 1,000 processes of one
# thread, each with 50 mappings more than fork's own dozen.
maps_procs=1000
maps_extra=50
if [ -n "$vma" ]; then
	echo "creating $maps_procs processes with $maps_extra more mappings each" >&2
	"$bin/fork" --maps "$maps_extra" "$maps_procs" 1 > "$tmp/fork.maps" 2>&2 &
	maps_fork=$!
	if wait_ready "$tmp/fork.maps" "$maps_fork"; then
		p=$(ls -d /proc/[0-9]* | wc -l)
		m=$(cat /proc/[0-9]*/maps 2>/dev/null | wc -l)
		echo "NOTE maps, smaps: $p processes, $maps_procs of them of fork --maps $maps_extra; $m mappings, $((m / p)) a process on average"
		pair maps "$p" "$runs" 1 $tpa --whole maps -- \
			$tda all --quiet --groups base,vma
		pair smaps "$p" "$runs" 1 $tpa --whole smaps -- \
			$tda all --quiet --groups base,vma,vma-stat
	else
		echo "NOTE fork --maps $maps_extra failed: the maps and smaps pairs were left out"
	fi
	kill -TERM "$maps_fork" 2>/dev/null
	wait "$maps_fork"
fi

forks=()
IFS=, read -r -a steps <<< "$sizes"
for want in "${steps[@]}"; do
	base=$(count_tasks)
	add=$((want - base))
	if [ "$add" -gt 0 ]; then
		procs=$(( (add + tpp - 1) / tpp ))
		avail=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo)
		# About 40 KiB a thread and 150 KiB a process, with a margin.
		need=$(( procs * 150 + procs * (tpp - 1) * 40 + 262144 ))
		if [ "$need" -gt "$avail" ]; then
			echo "NOTE $want tasks do not fit in the guest's memory (${avail} KiB available, about ${need} KiB needed); stopped at $base"
			break
		fi
		echo "creating $procs processes of $tpp threads (to $want tasks)" >&2
		"$bin/fork" "$procs" "$tpp" > "$tmp/fork.$want" 2>&2 &
		forks+=($!)
		if ! wait_ready "$tmp/fork.$want" "${forks[-1]}"; then
			echo "NOTE fork helper failed at $want tasks"
			break
		fi
	fi
	n=$(count_tasks)
	echo "TASKS $n"
	r=3
	st=0
	if [ "$want" = "$main" ]; then
		r=$runs
		st=1
	fi
	pair stat-threads "$n" "$r" "$st" $tpa --threads stat -- $tda All --quiet
	if [ "$want" = "$main" ]; then
		# The interface alone, without the program's start and exit:
		# task_diag_all --time times its request and reads.
		read -r base_s base_r <<< "$(dump_median $tda All --quiet)"
		echo "NOTE the dump alone (ALL_THREAD, BASE, $n tasks): median $base_s s of $base_r runs"
		# The floor of the walk: the same dump asking for no group at
		# all (show_flags 0), a message of a header and a
		# task_diag_msg per task: the cost of finding, checking and
		# framing the tasks, which no group can go under.
		read -r floor_s floor_r <<< "$(dump_median $tda All --quiet --show 0)"
		echo "NOTE the floor of the walk (ALL_THREAD, no group: show_flags 0, $n tasks, the dump alone): median $floor_s s of $floor_r runs, against $base_s s with BASE"
		p=$(ls -d /proc/[0-9]* | wc -l)
		read -r floor_s floor_r <<< "$(dump_median $tda all --quiet --show 0)"
		read -r base_s base_r <<< "$(dump_median $tda all --quiet)"
		read -r aux_s aux_r <<< "$(dump_median $tda all --quiet --groups base,cred,stat,statm,cmdline)"
		echo "NOTE the floor of the walk (ALL, no group: show_flags 0, $p processes, the dump alone): median $floor_s s of $floor_r runs, against $base_s s with BASE and $aux_s s with BASE|CRED|STAT|STATM|CMDLINE"
		pair stat "$p" "$runs" 1 $tpa stat -- $tda all --quiet
		pair status "$p" "$runs" 1 $tpa status -- $tda all --quiet
		# What ps aux reads of each process, against one dump of the
		# groups that carry it.
		pair aux-reads "$p" "$runs" 1 $tpa stat,status,statm,cmdline -- \
			$tda all --quiet --groups base,cred,stat,statm,cmdline
		# What perf reads at its start: the task/ directory of each
		# process, the stat of each thread and the maps of each
		# process, against one dump of every thread with BASE and VMA
		# (the maps come once a process, with its leader).
		if [ -n "$vma" ]; then
			pair perf-startup "$n" "$runs" 1 $tpa --threads --process maps stat -- \
				$tda All --quiet --groups base,vma
		fi
		if [ -n "$tdps" ]; then
			# tdps makes some 100 system calls: strace costs
			# little on its real command lines.
			backend ps b $tdps_cmd ax -o pid,ppid
			pair ps "$p" "$runs" 1 $ps ax -o pid,ppid -- \
				$tdps_cmd ax -o pid,ppid
			backend ps-aux b $tdps_cmd aux
			pair ps-aux "$p" "$runs" 1 $ps aux -- $tdps_cmd aux
			backend ps-ef b $tdps_cmd -ef
			pair ps-ef "$p" "$runs" 1 $ps -ef -- $tdps_cmd -ef
		else
			echo "NOTE tdps is not built: the ps, ps-aux and ps-ef pairs were left out"
		fi
		if [ -n "$tdpmap" ]; then
			# Every user process: kernel threads (no exe) come and
			# go, and pmap exits with 42 for a pid that is gone.
			# The shell's own glob and tests: no process of its own
			# in the list.
			# procps takes at most 255 pids in one call (FILL_ID_MAX:
			# "library failed pids statistics" past it): the first 255.
			pids=()
			for d in /proc/[0-9]*; do
				if [ -e "$d/exe" ] && [ "${#pids[@]}" -lt 255 ]; then
					pids+=("${d#/proc/}")
				fi
			done
			backend pmap-x b $tdpmap_cmd -x $$
			if [ "$last_backend" != task_diag ]; then
				echo "NOTE pmap-x: /proc/task_diag took no request of tdpmap (a kernel without the VMA group refuses it): its side is tdpmap on its procfs fallback (/proc/PID/maps and smaps), not task_diag"
			fi
			pair pmap-x "${#pids[@]}" "$runs" 1 $pmap -x "${pids[@]}" -- \
				$tdpmap_cmd -x "${pids[@]}"
		else
			echo "NOTE tdpmap is not built: the pmap-x pair was left out"
		fi
	fi
done

kill -TERM "${forks[@]}" 2>/dev/null
wait
rm -rf "$tmp"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `cargo xtask bench`, run as root in one boot: creates
# tasks in steps, and at each step times procfs against task_diag. Prints
# lines the xtask parses:
#   RESULT PAIR SIDE TASKS SECONDS     one timed run (SIDE: a = procfs, b = task_diag)
#   SYSCALLS PAIR SIDE TASKS CALLS     system calls of one untimed run
#   TASKS N                            tasks that exist now (all of /proc/*/task)
#   NOTE text                          something the report should say
#
# Arguments: BIN_DIR TDPS SIZES THREADS_PER_PROCESS RUNS MAIN
#   SIZES: ascending task counts, comma separated; MAIN: the one of them at
#   which every pair runs (the others measure only the scaling pair).

set -u
bin=$1
tdps=$2
sizes=$3
tpp=$4
runs=$5
main=$6

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

# The guest's root is a 9p share without a page cache: every exec reads the
# program and its libraries from the host again, some 40-60 ms under TCG,
# which would swamp the faster side. So every program timed runs from a
# tmpfs copy, dynamic ones through a copy of their loader and libraries:
# the same treatment for both sides.
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
	local pair=$1
	shift
	echo "bench: $pair: '$*' failed: $(head -c 300 "$tmp/err")" >&2
	exit 1
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
		while ! grep -q ready "$tmp/fork.$want" 2>/dev/null; do
			if ! kill -0 "${forks[-1]}" 2>/dev/null; then
				echo "NOTE fork helper failed at $want tasks"
				break 2
			fi
			sleep 0.5
		done
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
		# task_diag_all --time times its request and reads. Nothing else
		# runs meanwhile (the guest has one CPU): the times go to a file.
		: > "$tmp/dump"
		for i in $(seq "$runs"); do
			$tda All --quiet --time 2>> "$tmp/dump" > /dev/null
		done
		awk '/^dump:/ { print $2 }' "$tmp/dump" | sort -n |
			awk -v n="$n" '{ v[NR] = $1 } END {
			printf "NOTE the dump alone (ALL_THREAD, BASE, %d tasks): median %.4f s of %d runs\n", n, v[int((NR + 1) / 2)], NR
		}'
		p=$(ls -d /proc/[0-9]* | wc -l)
		pair stat "$p" "$runs" 1 $tpa stat -- $tda all --quiet
		pair status "$p" "$runs" 1 $tpa status -- $tda all --quiet
		if [ -n "$tdps" ]; then
			pair ps "$p" "$runs" 1 $ps ax -o pid,ppid -- \
				$tdps_cmd ax -o pid,ppid
		else
			echo "NOTE tdps is not built: the ps pair was left out"
		fi
	fi
done

kill -TERM "${forks[@]}" 2>/dev/null
wait
rm -rf "$tmp"

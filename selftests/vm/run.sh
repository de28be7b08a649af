#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The in-VM test runner: run by `cargo xtask test` as root inside the guest,
# it prints TAP that the xtask counts. Arguments: the expected `uname -r` and
# `uname -v` of the kernel that was just built, and the directory of the
# built selftests.

want_release=$1
want_version=$2
bin_dir=$3
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
		echo "# $line"
	done
}

check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}

echo "TAP version 13"

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

echo "1..$n"

# The functional tests print their own TAP, counted by the xtask.
if [ -n "$bin_dir" ]; then
	"$bin_dir/task_diag_test" || fails=$((fails + 1))
fi

[ "$fails" -eq 0 ]

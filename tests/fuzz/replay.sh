#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Every committed corpus input (tests/fuzz/corpus/TARGET/) through its fuzz
# target, built with tests/fuzz/standalone.c instead of libFuzzer: inputs
# that once crashed or broke a property stay fixed, in every build
# (including the ASan+UBSan one).
. "$top_srcdir/tests/lib.sh"
for t in load index authinfo handoff pubkey addr audit authkeys cert; do
	bin="$top_builddir/tests/fuzz/fuzz_$t"
	dir="$top_srcdir/tests/fuzz/corpus/$t"
	if [ ! -d "$dir" ] || [ -z "$(ls "$dir")" ]; then
		fail "$t: corpus $dir is missing or empty"
		continue
	fi
	if out=$("$bin" "$dir" 2>&1); then
		pass "$t: $(echo "$out" | tail -n1 | sed 's/.*: //')"
	else
		fail "$t: replay"
		t_diag "$(echo "$out" | tail -n 30 | sed 's/^/  /')"
	fi
done
t_done

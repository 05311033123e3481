#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The test driver (LOG_DRIVER in Makefile.am): automake's tap-driver.sh,
# then the test's result file is marked so that its log, which names every
# check, goes into test-suite.log. tap-driver.sh itself copies only the
# logs of tests with a result other than PASS, so a passing run would list
# programs, not checks.
#   tap-log-all.sh SHELL TAP-DRIVER [automake's driver arguments]...
drv_shell=$1 drv=$2
shift 2
trs=
prev=
for a in "$@"; do
	case $prev in --trs-file) trs=$a ;; esac
	case $a in --trs-file=*) trs=${a#--trs-file=} ;; --) break ;; esac
	prev=$a
done
rc=0
"$drv_shell" "$drv" "$@" || rc=$?
if [ -n "$trs" ] && [ -f "$trs" ]; then
	sed 's/^:copy-in-global-log: no$/:copy-in-global-log: yes/' "$trs" >"$trs.tmp" &&
	    mv -f "$trs.tmp" "$trs" || rc=1
fi
exit $rc

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# After printing a key for an offered fingerprint the helper leaves the
# handoff record for its parent process (sshd) in the spool; nothing else
# does, and an unsafe spool is an error.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
setup
FP=$(fp_of PLAIN) TYPE=$(type_of PLAIN) B64=$(b64_of PLAIN)

# This shell ($$) is the helper's parent, as sshd is in production.
start=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f20)
before=$(date +%s)
helper -H web-01 -i "$IX" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
after=$(date +%s)
expect_rc "granted lookup" "$rc" 0
rec="$SPOOL/$$"
if [ -f "$rec" ] && [ ! -L "$rec" ]; then pass "record exists for the parent pid"
else fail "record exists for the parent pid ($rec)"; ls -la "$SPOOL"; fi
expect_eq "record mode" "$(stat -c %a "$rec" 2>/dev/null)" 600
expect_eq "record owner" "$(stat -c %u "$rec" 2>/dev/null)" "$(id -u)"
t=$(sed -n 's/.* time=\([0-9]*\)$/\1/p' "$rec")
expect_eq "record content" "$(cat "$rec")" \
	"v1 pid=$$ start=$start account=alice fp=$FP id=plain time=$t"
if [ -n "$t" ] && [ "$t" -ge "$before" ] && [ "$t" -le "$after" ]; then
	pass "record time is now"; else fail "record time $t not in [$before, $after]"; fi
expect_eq "record is one line" "$(wc -l <"$rec")" 1
expect_eq "no temp files left" "$(ls -A "$SPOOL" | grep -c '^\.')" 0

# A second lookup replaces the record (a retried key in one connection).
helper -H web-01 -i "$IX" -s "$SPOOL" alice "$(fp_of TWO)" "$(type_of TWO)" "$(b64_of TWO)"
expect_rc "second lookup" "$rc" 0
expect_contains "second lookup replaces the record" "$(cat "$rec")" " id=two-a time="
expect_eq "still one record" "$(ls -A "$SPOOL" | wc -l)" 1

# Nothing printed, or no fingerprint offered: no record.
rm -f "$rec"
for k in UNKNOWN RFP OLD BOB; do
	helper -H web-01 -i "$IX" -s "$SPOOL" alice "$(fp_of $k)" "$(type_of $k)" "$(b64_of $k)"
	expect_rc "denied $k" "$rc" 0
done
helper -H web-01 -i "$IX" -s "$SPOOL" alice
expect_rc "account only" "$rc" 0
expect_eq "no record without a printed key for a fingerprint" "$(ls -A "$SPOOL" | wc -l)" 0

# An unsafe or missing spool is an error: nothing printed, no record.
spool_fails() {
	helper -H web-01 -i "$IX" -s "$2" alice "$FP" "$TYPE" "$B64"
	expect_silent_failure "$1"
}
spool_fails "missing spool" "$T/nospool"
ln -s "$SPOOL" "$T/spool-link"
spool_fails "symlinked spool" "$T/spool-link"
expect_eq "nothing written through the link" "$(ls -A "$SPOOL" | wc -l)" 0
mkdir -m 0770 "$T/spool-gw"
spool_fails "group-writable spool" "$T/spool-gw"
mkdir -m 0777 "$T/spool-ww"
spool_fails "world-writable spool" "$T/spool-ww"
expect_eq "nothing written to the world-writable spool" "$(ls -A "$T/spool-ww" | wc -l)" 0
mkdir -m 0700 "$T/spool-other"
chown 12345 "$T/spool-other"
spool_fails "spool owned by another user" "$T/spool-other"
: >"$T/spool-file"
spool_fails "spool is a file" "$T/spool-file"

# A planted link at SPOOL/<pid> is replaced, never followed.
: >"$T/victim"
ln -s "$T/victim" "$rec"
helper -H web-01 -i "$IX" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
expect_rc "planted link" "$rc" 0
if [ -f "$rec" ] && [ ! -L "$rec" ]; then pass "planted link replaced by a record"
else fail "planted link replaced by a record"; fi
expect_eq "link target untouched" "$(wc -c <"$T/victim")" 0

# The helper as the unprivileged AuthorizedKeysCommandUser (a spool owned
# by that user works, the record is owned by it): tests/helper/callers.sh,
# which runs it as sshd does, with the installed paths.

t_done

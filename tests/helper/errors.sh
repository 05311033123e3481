#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Every error prints nothing at all (stdout and stderr) and exits non-zero:
# unusable indexes and hostile argv.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/helper/common.sh"
setup
FP=$(fp_of PLAIN) TYPE=$(type_of PLAIN) B64=$(b64_of PLAIN)

# The baseline works, so the failures below are the index's or argv's.
helper -H web-01 -i "$IX" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
expect_rc "baseline" "$rc" 0

# --- the index
try_index() {
	helper -H web-01 -i "$2" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
	expect_silent_failure "$1"
	helper -H web-01 -i "$2" -s "$SPOOL" alice
	expect_silent_failure "$1 (account only)"
}
try_index "missing index" "$T/nonexistent.cdb"
try_index "relative index path" "ix/policy.cdb"
size=$(wc -c <"$IX")
head -c $((size / 2)) "$IX" >"$T/trunc.cdb"
try_index "truncated index (half)" "$T/trunc.cdb"
head -c $((size - 1)) "$IX" >"$T/trunc1.cdb"
try_index "truncated index (one byte short)" "$T/trunc1.cdb"
head -c 100 "$IX" >"$T/trunc100.cdb"
try_index "truncated index (100 bytes)" "$T/trunc100.cdb"
: >"$T/empty.cdb"
try_index "empty index" "$T/empty.cdb"
# corrupt: the cdb table of contents, and the plain key's own records
# (each record carries a check; the fingerprint is in the cdb key)
cp "$IX" "$T/corrupt.cdb"
printf '\377\376\375\374\373\372\371\370' |
	dd of="$T/corrupt.cdb" bs=1 seek=8 conv=notrunc 2>/dev/null
try_index "corrupt index (table of contents)" "$T/corrupt.cdb"
for at in $(grep -boaF "F$FP" "$IX" | cut -d: -f1); do
	cp "$IX" "$T/corrupt.cdb"
	# a byte of the value after the 'F' fp be16 key: flip it
	off=$((at + 1 + 50 + 2 + 3))
	printf '\377' | dd of="$T/corrupt.cdb" bs=1 seek="$off" conv=notrunc 2>/dev/null
	helper -H web-01 -i "$T/corrupt.cdb" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
	expect_silent_failure "corrupt record of the offered key (byte $off)"
done
# Wherever a byte is damaged, the helper fails silently or prints only
# lines of the right answer: never a changed line or one not granted. (A
# damaged hash slot can hide a record, which reads as "not granted": a
# denial, detectable only by a whole-file check that would make lookups
# cost the size of the index.)
printf 'ssh-ed25519 %s keyauth:plain\n' "$B64" >"$T/want.one"
helper -H web-01 -i "$IX" -s "$SPOOL" alice && sort "$T/out" >"$T/want.all"
bad=0 off=0
while [ "$off" -lt "$size" ]; do
	cp "$IX" "$T/corrupt.cdb"
	printf '\125' | dd of="$T/corrupt.cdb" bs=1 seek="$off" conv=notrunc 2>/dev/null
	for mode in one all; do
		if [ $mode = one ]; then
			helper -H web-01 -i "$T/corrupt.cdb" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
		else
			helper -H web-01 -i "$T/corrupt.cdb" -s "$SPOOL" alice
		fi
		[ -s "$T/err" ] && { bad=$((bad + 1)); echo "  stderr at byte $off"; }
		if [ "$rc" -eq 0 ]; then
			if [ -n "$(sort "$T/out" | comm -23 - "$T/want.$mode")" ]; then
				bad=$((bad + 1)); echo "  wrong output ($mode) at byte $off:"
				sed 's/^/    /' "$T/out"
			fi
		elif [ -s "$T/out" ]; then
			bad=$((bad + 1)); echo "  output on failure ($mode) at byte $off"
		fi
	done
	off=$((off + 61))
done
expect_eq "single damaged bytes: right answer or silent failure" "$bad" 0
head -c "$size" /dev/urandom >"$T/random.cdb"
try_index "random bytes as index" "$T/random.cdb"
cp "$IX" "$T/ww.cdb" && chmod 0666 "$T/ww.cdb"
try_index "world-writable index" "$T/ww.cdb"
cp "$IX" "$T/gw.cdb" && chmod 0664 "$T/gw.cdb"
try_index "group-writable index" "$T/gw.cdb"
cp "$IX" "$T/owned.cdb" && chown 12345 "$T/owned.cdb"
try_index "index not owned by root" "$T/owned.cdb"
ln -s "$IX" "$T/link.cdb"
try_index "symlinked index" "$T/link.cdb"
try_index "directory as index" "$T/ix"
mkfifo "$T/fifo.cdb"
try_index "FIFO as index" "$T/fifo.cdb"
# A policy past its own expires: keyauthctl will not install one, so
# install one that expires in six seconds and wait. On a loaded machine
# the install may take most of that: then again with twice the time, so
# the helper's first run has half of it left.
render "$HDATA/stale.yaml.in" "$T/stale.yaml.t"
for margin in 6 12 24 48; do
	exp=$(($(date +%s) + margin))
	sed "s/@EXPIRES@/$(date -u -d "@$exp" +%Y-%m-%dT%H:%M:%SZ)/" "$T/stale.yaml.t" >"$T/stale.yaml"
	rm -rf "$T/stale"
	mkdir -p "$T/stale" || exit 99
	"$KEYAUTHCTL" --index "$T/stale/policy.cdb" --krl "$T/stale/revoked.krl" \
	    --state "$T/stale/state" --host web-01 install "$T/stale.yaml" \
	    >"$T/stale/install.log" 2>&1 &&
	    [ $((exp - $(date +%s))) -ge $((margin / 2)) ] && break
	t_diag "the install took more than half of $margin s; again with more" \
	    "$(cat "$T/stale/install.log")"
done
helper -H web-01 -i "$T/stale/policy.cdb" -s "$SPOOL" alice "$FP" "$TYPE" "$B64"
expect_rc "policy about to expire still serves" "$rc" 0
while [ "$(date +%s)" -le "$exp" ]; do sleep 0.2; done
try_index "stale policy" "$T/stale/policy.cdb"

# --- hostile argv
argv() {
	name=$1
	shift
	helper -H web-01 -i "$IX" -s "$SPOOL" "$@"
	expect_silent_failure "$name"
}
long=$(head -c 10240 /dev/zero | tr '\0' a)
junk=$(printf 'al\001\002\033[31m\177\200\376\377ice')
argv "no arguments"
argv "empty account" ""
argv "empty account with key" "" "$FP" "$TYPE" "$B64"
argv "10 kB account" "$long"
argv "10 kB account with key" "$long" "$FP" "$TYPE" "$B64"
argv "newline in account" "$(printf 'ali\nce')"
argv "newline at end of account" "alice
"
argv "binary junk account" "$junk"
argv "account with space and =" "a b=c" "$FP" "$TYPE" "$B64"
argv "upper-case account" Alice
argv "account too long (33)" "a23456789012345678901234567890123"
argv "two arguments" alice "$FP"
argv "three arguments" alice "$FP" "$TYPE"
argv "unknown option" -x alice
argv "option without value" -i
argv "fingerprint of another key" alice "$(fp_of BOB)" "$TYPE" "$B64"
argv "key of another type" alice "$FP" ssh-rsa "$B64"
argv "MD5 fingerprint" alice "MD5:$(echo "$FP" | cut -c8-)" "$TYPE" "$B64"
argv "junk fingerprint" alice "$junk" "$TYPE" "$B64"
argv "empty fingerprint" alice "" "$TYPE" "$B64"
argv "junk key" alice "$FP" "$TYPE" "AAAA$junk"
argv "truncated key" alice "$FP" "$TYPE" "$(echo "$B64" | cut -c1-40)"
argv "10 kB key" alice "$FP" "$TYPE" "$(head -c 10240 /dev/zero | tr '\0' A)"
argv "dss key type" alice "$FP" ssh-dss "$B64"

# --- stdout closed, a broken pipe: no crash, no signal death, no stderr
rc=0
"$HELPER" -H web-01 -i "$IX" -s "$SPOOL" alice >&- 2>"$T/err" || rc=$?
expect_eq "stdout closed: stderr" "$(cat "$T/err")" ""
case $rc in 0 | 1) pass "stdout closed: exit $rc" ;; *) fail "stdout closed: exit $rc" ;; esac
( "$HELPER" -H web-01 -i "$IX" -s "$SPOOL" alice 2>"$T/err"; echo $? >"$T/rc" ) | true
expect_eq "broken pipe: stderr" "$(cat "$T/err")" ""
case $(cat "$T/rc") in 0 | 1) pass "broken pipe: exit $(cat "$T/rc")" ;;
*) fail "broken pipe: exit $(cat "$T/rc")" ;; esac

t_done

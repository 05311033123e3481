#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl fetch against a real nginx on 127.0.0.1 (docs/fleet.md):
# a signed policy installs, a second fetch is all 304 and says nothing, a
# new serial installs; a 500, garbage, a 2 GB body (with and without
# Content-Length), a 10 MB signature, a refused connection and a redirect
# to another scheme each give one clear error, install nothing and lose
# nothing (the installed index, KRL and state stay byte-identical, same
# inodes). The event=install records come from a real syslog socket.
. "$top_srcdir/tests/ctl/fleet-lib.sh"
. "$top_srcdir/tests/fleet/nginx.sh"
make_keys
nginx_start "$T/nginx"
t_extra_cleanup='kill $SINK_PID 2>/dev/null; nginx_stop'
conf
P="$T/pub/policy.yaml"
mkdir -p "$T/pub"
# pub SERIAL SIGNERS...: a signed policy in $T/pub, published.
pub() {
	local s=$1 n
	shift
	rm -f "$T/pub"/policy.yaml*
	fpolicy "$P" "$s" alice bob
	for n in "$@"; do ssign "$P" "$n"; done
	publish "$T/pub"/policy.yaml*
}
requests() { wc -l <"$T/nginx/logs/access.log"; }
staged() { (cd "$VAR/fetch" && for f in policy.yaml*; do echo "$f $(sha256sum <"$f" | cut -c1-16)"; done) 2>/dev/null; }

t_case "fetch"
pub 100 alice bob
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "first fetch" $rc 0
expect_contains "first fetch: installed" "$out" "installed serial 100"
expect_record "first fetch" "decision=installed policy_serial=100 signers=alice@example.com,bob@example.com"
expect_eq "staging directory: root's, 0700" "$(stat -c '%U %a' "$VAR/fetch")" "root 700"
n=$(requests); records_before=$(nrecords)
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "nothing new" $rc 0
expect_eq "nothing new: quiet" "$out" ""
expect_eq "nothing new: no record" "$(nrecords)" "$records_before"
expect_eq "nothing new: every request answered 304 or 404" \
    "$(tail -n +$((n + 1)) "$T/nginx/logs/access.log" | awk '{print $9}' | sort -u | tr '\n' ' ')" "304 404 "
pub 101 alice carol
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "a new serial" $rc 0
expect_record "a new serial" "decision=installed policy_serial=101 signers=alice@example.com,carol@example.com previous_serial=100"
before=$(installed_id)
staged_before=$(staged)


# failed NAME URL TEXT: exit 3, one line saying TEXT, nothing changed.
failed() {
	local r0
	r0=$(nrecords)
	rc=0; out=$(sctl fetch "$2" 2>&1) || rc=$?
	expect_rc "$1: fails" $rc 3
	expect_contains "$1: says why" "$out" "$3"
	expect_contains "$1: nothing changed" "$out" "nothing changed"
	expect_untouched "$1" "$before"
	expect_eq "$1: no install attempted" "$(nrecords)" "$r0"
	expect_contains "$1: logged" "$(tail -n 1 "$T/syslog")" "fetch $2 failed: "
	t_diag "$1: $out"
}

t_case "hostile sources"
failed "HTTP 500" "$NGINX_URL/err/policy.yaml" "$NGINX_URL/err/policy.yaml: HTTP status 500"
failed "no policy there" "$NGINX_URL/nothing.yaml" "$NGINX_URL/nothing.yaml: HTTP status 404 (no policy there)"
truncate -s 2G "$T/nginx/www/big.yaml"
failed "a 2 GB body" "$NGINX_URL/big.yaml" "$NGINX_URL/big.yaml: larger than 268435456 bytes: refused (a policy is never that large)"
start=$(date +%s)
failed "a 2 GB body without Content-Length" "$NGINX_URL/stream/big.yaml" "$NGINX_URL/stream/big.yaml: larger than 268435456 bytes"
t_diag "the chunked 2 GB body was cut off after $(( $(date +%s) - start )) s"
rm -f "$T/nginx/www/big.yaml"
cp "$T/nginx/www/policy.yaml" "$T/nginx/www/sig10.yaml"
head -c 10485760 /dev/zero | tr '\0' A >"$T/nginx/www/sig10.yaml.sig"
chmod 0644 "$T/nginx/www/sig10.yaml"*
failed "a 10 MB signature" "$NGINX_URL/sig10.yaml" "$NGINX_URL/sig10.yaml.sig: larger than 65536 bytes: refused (a signature is never that large)"
failed "a refused connection" "http://127.0.0.1:1/policy.yaml" "Couldn't connect to server"
failed "a redirect to ftp://" "$NGINX_URL/to-ftp" "$NGINX_URL/to-ftp:"
failed "not a URL fetch takes" "file:///etc/passwd" "file:///etc/passwd is not an http:// or https:// URL"
expect_eq "staged files untouched by the failures" "$(staged)" "$staged_before"

t_case "validators"
# A file served less than two seconds after it changed is fetched whole
# the next time: another change within that second cannot hide behind
# the same ETag and Last-Modified (docs/fleet.md).
cp "$T/nginx/www/policy.yaml" "$T/nginx/www/fresh.yaml"
rc=0; sctl fetch "$NGINX_URL/fresh.yaml" >/dev/null 2>&1 || rc=$?
expect_contains "a fresh file: kept without validators" "$(cat "$VAR/fetch/policy.yaml.http")" "etag: -"
n=$(requests)
rc=0; out=$(sctl fetch "$NGINX_URL/fresh.yaml" 2>&1) || rc=$?
expect_eq "a fresh file: asked for whole again" "$(tail -n +$((n + 1)) "$T/nginx/logs/access.log" | head -n 1 | awk '{print $9}')" 200
expect_eq "a fresh file: same bytes, nothing to do, quiet" "$rc:$out" "0:"
rm -f "$T/nginx/www/fresh.yaml"
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "back to the signed policy" $rc 0
expect_record "back to the signed policy" "decision=unchanged policy_serial=101"
# The policy is followed; its signatures are looked for beside the URL
# given (to-policy.sig ...), which has none: refused as unsigned.
rc=0; out=$(sctl fetch "$NGINX_URL/to-policy" 2>&1) || rc=$?
expect_rc "a redirect within http:// is followed" $rc 1
expect_record "a redirect within http://" "decision=refused reason=unsigned policy_serial=101"

t_case "refused policies"
head -c 4000 /dev/urandom >"$T/garbage"
cp "$T/garbage" "$T/nginx/www/garbage.yaml" && chmod 0644 "$T/nginx/www/garbage.yaml"
rc=0; out=$(sctl fetch "$NGINX_URL/garbage.yaml" 2>&1) || rc=$?
expect_rc "garbage" $rc 1
expect_contains "garbage: refused" "$out" "policy refused (invalid_policy); nothing changed"
expect_untouched "garbage" "$before"
expect_record "garbage" "decision=refused reason=invalid_policy"
# A tampered policy (the old signatures beside a changed file).
pub 102 alice bob
sed -i 's/alice-key/alice-kez/' "$P" && publish "$P"
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "tampered" $rc 1
expect_untouched "tampered" "$before"
expect_record "tampered" "decision=refused reason=bad_signature policy_serial=102 previous_serial=101"
r0=$(nrecords)
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "tampered, fetched again: nothing new" $rc 0
expect_eq "tampered, fetched again: quiet, not refused twice" "$out:$(nrecords)" ":$r0"
pub 100 alice bob
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "an older signed serial" $rc 1
expect_record "an older signed serial" "decision=refused reason=rollback policy_serial=100 previous_serial=101"
expect_untouched "an older signed serial" "$before"

t_case "configuration"
echo "allowed_signers = $ETC/allowed_signers" >"$ETC/keyauth.conf"
echo "signatures = 1" >>"$ETC/keyauth.conf"
rc=0; out=$(sctl fetch 2>&1) || rc=$?
expect_rc "no URL" $rc 3
expect_contains "no URL: says so" "$out" "no URL: give one, or set source in keyauth.conf"
echo "source = $NGINX_URL/policy.yaml" >>"$ETC/keyauth.conf"
pub 103 bob
rc=0; out=$(sctl fetch 2>&1) || rc=$?
expect_rc "source from keyauth.conf, one signature required" $rc 0
t_diag "$out"
expect_record "source from keyauth.conf" "decision=installed policy_serial=103 signers=bob@example.com"
: >"$ETC/keyauth.conf"
before=$(installed_id)
rc=0; out=$(sctl fetch "$NGINX_URL/policy.yaml" 2>&1) || rc=$?
expect_rc "without signatures" $rc 3
expect_contains "without signatures: refuses" "$out" "fetch installs signed policies only"
expect_untouched "without signatures" "$before"
t_done

#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# End to end, fail closed: with the installed index missing, corrupt,
# truncated or world-writable, or the policy past its own `expires`, every
# login is refused, each time with one clear record saying why.
#
# Each breakage is tried on each layer: first on the index the helper
# (keyauth-authorized-keys) reads, so sshd never gets a key; then on the
# index pam_keyauth reads (its own copy, named by index= in the PAM
# service), while the helper still serves the key, so the refusal must come
# from the module. The copy is the same compiled file, installed the same
# way; only the path differs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/e2e/lib.sh"

e2e_init kae2e
e2e_users
e2e_install_build
U=$E2E_USER
E2E_PAM_INDEX="$(dirname "$E2E_INDEX")/pam-policy.cdb"

e2e_keygen granted ed25519
fp=$(e2e_fp granted)
install_both() { # POLICY: install for the helper, and the same file for PAM
	e2e_policy_install "$1"
	cp -p "$E2E_INDEX" "$E2E_PAM_INDEX"
}
e2e_policy "$E2E_SRC/policies/failclosed.yaml.in" "$T/v1.yaml" SERIAL=400 EXPIRES= \
    KEY_GRANTED="$(e2e_pub granted)"
install_both "$T/v1.yaml"
e2e_sshd_start

ok_login() {
	e2e_mark
	expect_login "$1" granted "$U" 127.0.0.1
	e2e_expect_record "$1" account "decision=allow reason=allowed account=$U key_id=fc-granted fp=$fp"
}
# Exactly one record for the refusal, at priority err (authpriv.err =
# <83>), with the reason and, when given, the words that say what is wrong.
one_err_line() { # NAME REASON EVENT [WORDS]
	local lines
	lines=$(e2e_syslog_lines | grep "event=$3 .*reason=$2")
	echo "# $1: $lines"
	expect_eq "$1: one $3 line" "$(printf '%s\n' "$lines" | grep -c .)" 1
	expect_contains "$1: logged at priority err" "$lines" "<83>"
	[ -z "${4:-}" ] || expect_contains "$1: the line says why" "$lines" "$4"
}
# The helper cannot read its index: sshd gets no key, PAM is never asked.
refused_helper() { # NAME REASON [WORDS]
	e2e_mark
	expect_refused "$1" granted "$U" 127.0.0.1
	e2e_expect_record "$1" lookup "decision=deny reason=$2 account=$U fp=$fp"
	e2e_expect_no_record "$1" lookup "decision=allow"
	e2e_expect_no_record "$1" account
	one_err_line "$1" "$2" lookup "${3:-}"
}
# The helper serves the key; the module cannot read its index.
refused_pam() { # NAME REASON [WORDS]
	e2e_mark
	expect_refused "$1" granted "$U" 127.0.0.1
	e2e_expect_record "$1" lookup "decision=allow reason=allowed account=$U fp=$fp"
	e2e_expect_record "$1" account "decision=deny reason=$2 account=$U client=127.0.0.1"
	e2e_expect_no_record "$1" session
	one_err_line "$1" "$2" account "${3:-}"
	expect_contains "$1: sshd reports the PAM refusal" \
	    "$(e2e_sshd_lines | grep -i 'pam account')" "Access denied for user $U by PAM account configuration"
}

ok_login "intact index"
for layer in helper pam; do
	if [ $layer = helper ]; then ix=$E2E_INDEX; else ix=$E2E_PAM_INDEX; fi
	cp -p "$ix" "$T/saved.cdb"
	size=$(stat -c %s "$ix")

	rm -f "$ix"
	"refused_$layer" "$layer: index missing" policy_unavailable "does not exist"

	head -c "$size" /dev/urandom >"$ix"
	"refused_$layer" "$layer: index corrupt (random bytes)" policy_unavailable "error="

	head -c $((size / 2)) "$T/saved.cdb" >"$ix"
	"refused_$layer" "$layer: index truncated" policy_unavailable "truncated"

	cp -p "$T/saved.cdb" "$ix"
	chmod 0666 "$ix"
	"refused_$layer" "$layer: index world-writable" policy_unavailable "world-writable"

	chmod 0644 "$ix"
	ok_login "$layer: index restored"
done

# A policy that expires a few seconds from now: fine, then stale for both;
# then a fresh policy for the helper only, so the module's stale copy speaks.
# On a loaded machine an install and an ssh login can take seconds (CI saw
# a login 4 s after the install come after the expiry): the policy gets
# 30 s, and again with twice that while less than half is left after the
# install, and the test then waits for its expiry.
serial=400
for margin in 30 60 120; do
	serial=$((serial + 1))
	expires=$(($(date +%s) + margin))
	e2e_policy "$E2E_SRC/policies/failclosed.yaml.in" "$T/v2.yaml" SERIAL=$serial \
	    EXPIRES="expires: $(date -u -d "@$expires" +%Y-%m-%dT%H:%M:%SZ)" \
	    KEY_GRANTED="$(e2e_pub granted)"
	if e2e_ctl install "$T/v2.yaml" >"$T/install.log" 2>&1; then
		cp -p "$E2E_INDEX" "$E2E_PAM_INDEX"
		[ $((expires - $(date +%s))) -lt $((margin / 2)) ] || break
	fi
	t_diag "the install took more than half of $margin s; again with more" \
	    "$(cat "$T/install.log")"
done
ok_login "policy before its expiry"
while [ "$(date +%s)" -le "$expires" ]; do sleep 0.2; done
refused_helper "helper: stale policy" policy_stale
rc=0; out=$(e2e_ctl status 2>&1) || rc=$?
printf '%s\n' "$out" | sed 's/^/# keyauthctl status: /'
expect_contains "keyauthctl status says stale" "$out" "stale"

e2e_policy "$E2E_SRC/policies/failclosed.yaml.in" "$T/v3.yaml" SERIAL=410 EXPIRES= \
    KEY_GRANTED="$(e2e_pub granted)"
e2e_policy_install "$T/v3.yaml"
refused_pam "pam: stale policy" policy_stale

t_done

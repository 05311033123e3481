# SPDX-License-Identifier: BSD-2-Clause
# Shared by the pam_keyauth tests (tests/pam/*.sh); sourced after
# tests/lib.sh. Builds a private world in $T: ed25519 keys made by
# ssh-keygen, a policy installed with the real `keyauthctl install` (every
# path in $T), a handoff spool, and PAM service files for the C driver's
# pam_start_confdir. Nothing outside $T is touched.
#
# After pam_setup:
#   $MOD                 the built pam_keyauth.so (absolute)
#   $DRIVER, $CAPTURE    tests/pam/pam-driver, tests/pam/pam-syslog-capture
#   $CONF                the confdir; services listed below
#   $IDX, $SPOOL         the installed index, the handoff spool
#   key_fp NAME, key_info NAME   fingerprint / "publickey TYPE B64" of a key
#   drive ARGS...        run the driver under syslog capture: $out, $rc, $log

MOD="$top_builddir/pam_keyauth/.libs/pam_keyauth.so"
DRIVER="$top_builddir/tests/pam/pam-driver"
CAPTURE="$top_builddir/tests/pam/pam-syslog-capture"

# The keys of the test policy; each is one grant (or none) in policy.yaml.
PAM_KEYS="alice alice2 revoked stranger deploy net4 net6 expired future"

pam_require() {
	require_root
	for f in "$MOD" "$DRIVER" "$CAPTURE" "$KEYAUTHCTL"; do
		if [ ! -x "$f" ] && [ ! -f "$f" ]; then
			t_bail "$f is not built"
		fi
	done
}

key_fp() { cat "$T/keys/$1.fp"; }
key_info() { printf 'publickey %s' "$(cut -d' ' -f1,2 "$T/keys/$1.pub")"; }
key_line() { cut -d' ' -f1,2 "$T/keys/$1.pub"; }

# The policy template: keys substituted in; times relative to now are
# fixed dates far in the past or future so the test never ages.
write_policy() {
	cat >"$T/policy.yaml" <<EOF
version: 1
serial: ${1:-1}
networks:
  lab4: [192.0.2.0/24]
  lab6: ["2001:db8:10::/48"]
keys:
  - id: alice-laptop
    owner: alice@example.com
    key: $(key_line alice) alice-laptop
    accounts: [alice]
  - id: alice-desktop
    owner: alice@example.com
    key: $(key_line alice2) alice-desktop
    accounts: [alice]
  - id: old-laptop
    owner: mallory@example.com
    key: $(key_line revoked) old-laptop
    accounts: [alice]
  - id: deploy-ci
    owner: ci@example.com
    key: $(key_line deploy) ci
    accounts: [deploy]
  - id: net4-key
    owner: net4@example.com
    key: $(key_line net4)
    accounts: [alice]
    from: [lab4, 198.51.100.7]
  - id: net6-key
    owner: net6@example.com
    key: $(key_line net6)
    accounts: [alice]
    from: [lab6]
  - id: expired-key
    owner: old@example.com
    key: $(key_line expired)
    accounts: [alice]
    not_before: 2019-01-01
    expires: 2020-01-01T00:00:00Z
  - id: future-key
    owner: new@example.com
    key: $(key_line future)
    accounts: [alice]
    not_before: 2099-01-01
revoked:
  - fingerprint: $(key_fp revoked)
    reason: laptop stolen (INC-1)
EOF
}

install_policy() {
	"$KEYAUTHCTL" --index "$IDX" --krl "$T/revoked.krl" \
	    --state "$T/state" --host "$(hostname)" install "$T/policy.yaml" \
	    >"$T/install.out" 2>&1
}

# service NAME MODULE-ARGS [STACK-PREFIX]: a confdir service file whose
# account and session stacks hold only pam_keyauth (so its return is the
# stack's), unless a control is given.
service() {
	printf 'account %s %s %s\nsession %s %s %s\n' \
	    "${3:-required}" "$MOD" "$2" "${3:-required}" "$MOD" "$2" \
	    >"$CONF/$1"
}

# ignore_stack NAME MODULE-ARGS: PAM_IGNORE is only visible in a stack:
# this one skips pam_deny (PAM_AUTH_ERR) only when the module ignores.
ignore_stack() {
	for stage in account session; do
		printf '%s\n' \
		    "$stage [success=ok ignore=1 default=die] $MOD $2" \
		    "$stage requisite pam_deny.so" \
		    "$stage required pam_permit.so"
	done >"$CONF/$1"
}

pam_setup() {
	pam_require
	t_tmpdir
	mkdir -p "$T/keys" "$T/pam.d"
	mkdir -m 0700 "$T/spool"
	CONF="$T/pam.d"
	IDX="$T/policy.cdb"
	SPOOL="$T/spool"
	for k in $PAM_KEYS; do
		"$SSH_KEYGEN" -q -t ed25519 -N '' -C "$k" -f "$T/keys/$k" ||
		    exit 99
		"$SSH_KEYGEN" -l -f "$T/keys/$k.pub" | cut -d' ' -f2 \
		    >"$T/keys/$k.fp"
	done
	write_policy 1
	if ! install_policy; then
		t_diag "$(cat "$T/install.out")"
		t_bail "keyauthctl install failed"
	fi
	COMMON="index=$IDX spool=$SPOOL"
	service keyauth "$COMMON"
	service keyauth-debug "$COMMON debug"
	service keyauth-audit "$COMMON mode=audit"
	ignore_stack keyauth-ignore "$COMMON nokey=ignore"
	ignore_stack keyauth-audit-ignore "$COMMON mode=audit nokey=ignore"
}

# drive ARGS...: the driver (args as for pam-driver, without CONFDIR) under
# syslog capture. Sets $out (stdout+stderr), $rc and $log (the records).
drive() {
	: >"$T/syslog"
	out=$("$CAPTURE" "$T/syslog" "$DRIVER" "$@" 2>&1)
	rc=$?
	log=$(cat "$T/syslog")
}

# The audit records (the message part after "pam_keyauth(...): ").
records() { printf '%s\n' "$log" | sed -n 's/^.*pam_keyauth([^)]*): //p'; }

# expect_record NAME WANT: some record contains WANT.
expect_record() { expect_contains "$1 (audit record)" "$(records)" "$2"; }

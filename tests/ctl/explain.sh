#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl explain against the installed index and against a YAML file
# (--policy-file): every reason it can show, and its exit codes.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/ctl/common.sh"
require_root
make_keys
cd "$T" || exit 99
render "$CTLDATA/base.yaml.in" p6.yaml
ALICE_FP=$(fp_of keys/alice.pub)

# Against a missing index: policy_unavailable, exit 3.
out=$(ctl explain alice keys/alice.pub 2>&1); rc=$?
expect_rc "explain, no index" $rc 3
expect_contains "explain, no index: decision" "$out" "decision: deny"
expect_contains "explain, no index: reason" "$out" "reason: policy_unavailable"

out=$(ctl --host web-01 install p6.yaml 2>&1); rc=$?
expect_rc "install for explain" $rc 0 || echo "$out"
sha16=$(sha256sum <p6.yaml | cut -c1-16)

# explain_case NAME WANT_RC WANT_REASON ARGS...
explain_case() {
	local name=$1 want_rc=$2 want_reason=$3 out rc
	shift 3
	out=$(ctl "$@" 2>&1); rc=$?
	expect_rc "explain $name" $rc "$want_rc"
	expect_contains "explain $name: reason" "$out" "reason: $want_reason
"
	LAST="$out"
}

explain_case "allowed" 0 allowed --host web-01 explain alice keys/alice.pub --from 192.0.2.7
expect_contains "allowed: decision" "$LAST" "decision: allow"
expect_contains "allowed: entry" "$LAST" "entry: alice-laptop (owner alice@example.com)"
expect_contains "allowed: policy" "$LAST" "policy: serial 6 (sha256 $sha16)"
expect_contains "allowed: request" "$LAST" "request: account=alice key=$ALICE_FP from=192.0.2.7 host=web-01"
# by fingerprint instead of key file, and an IPv6 client
explain_case "allowed by fingerprint" 0 allowed --host web-01 explain deploy "$ALICE_FP" --from 2001:db8:10::1
explain_case "allowed, forced-command key" 0 allowed --host web-01 explain deploy keys/ci.pub

explain_case "revoked by owner" 1 revoked --host web-01 explain dave keys/dave.pub
expect_contains "revoked: decision" "$LAST" "decision: deny"
explain_case "revoked by fingerprint" 1 revoked --host web-01 explain alice keys/mallory.pub
explain_case "source_not_allowed" 1 source_not_allowed --host web-01 explain root keys/acme.pub --from 192.0.2.7
expect_contains "source_not_allowed: entry" "$LAST" "entry: acme-support (owner support@acme.example)"
explain_case "support from its address" 0 allowed --host web-01 explain root keys/acme.pub --from 203.0.113.11
explain_case "source_unknown" 1 source_unknown --host web-01 explain root keys/acme.pub
explain_case "account_not_allowed" 1 account_not_allowed --host web-01 explain root keys/alice.pub --from 192.0.2.7
explain_case "expired" 1 expired --host web-01 explain alice keys/alice.pub --from 192.0.2.7 --at 2098-06-01
explain_case "not_yet_valid" 1 not_yet_valid --host web-01 explain deploy keys/ci.pub --at 2019-06-01T12:00:00Z
explain_case "policy_stale" 1 policy_stale --host web-01 explain alice keys/alice.pub --from 192.0.2.7 --at 2099-06-01
explain_case "unknown key" 1 unknown_key --host web-01 explain alice keys/stranger.pub
# bob's entry applies to db-* only: web-01's index knows it is not for here
explain_case "host_not_allowed" 1 host_not_allowed --host web-01 explain bob keys/bob.pub
expect_contains "host_not_allowed: entry" "$LAST" "entry: bob-rsa (owner bob@example.com)"

# Against the YAML file: any host can be asked about.
explain_case "host_not_allowed (--policy-file)" 1 host_not_allowed \
    explain bob keys/bob.pub --host web-01 --policy-file p6.yaml
explain_case "host allowed (--policy-file)" 0 allowed \
    explain bob keys/bob.pub --host db-01 --policy-file p6.yaml
expect_contains "policy-file: serial" "$LAST" "policy: serial 6 (sha256 $sha16)"
explain_case "revoked (--policy-file)" 1 revoked \
    explain dave keys/dave.pub --host db-01 --policy-file p6.yaml
explain_case "source_not_allowed (--policy-file)" 1 source_not_allowed \
    explain root keys/acme.pub --from 198.51.100.1 --host db-01 --policy-file p6.yaml

# The installed index answers for its own host only.
out=$(ctl --host db-01 explain bob keys/bob.pub 2>&1); rc=$?
expect_rc "explain --host other than the index's" $rc 2
expect_contains "explain --host other: hint" "$out" "use --policy-file"
# host names compare case-insensitively, as at login
explain_case "--host in capitals" 0 allowed --host WEB-01 explain alice keys/alice.pub --from 192.0.2.7
# Without --host, explain answers for this machine, like the login path:
# an index compiled for another name refuses every login here.
me=$(hostname)
if [ "$me" != web-01 ]; then
	out=$(ctl explain alice keys/alice.pub --from 192.0.2.7 2>&1); rc=$?
	expect_rc "explain on another host" $rc 3
	expect_contains "explain on another host: reason" "$out" "reason: policy_unavailable"
	expect_contains "explain on another host: why" "$out" \
	    "index was compiled for host web-01, this host is $me: run keyauthctl install on this host"
	expect_contains "explain on another host: request" "$out" "host=$me "
	out=$(ctl status 2>&1); rc=$?
	expect_rc "status on another host" $rc 3
	expect_contains "status on another host" "$out" \
	    "status: policy_unavailable (index was compiled for host web-01, this host is $me:"
	out=$(ctl --host WEB-01 status 2>&1); rc=$?
	expect_rc "status --host in capitals" $rc 0
fi

# Usage errors: exit 2.
for args in "explain alice" "explain alice keys/nope.pub" "explain Alice;rm keys/alice.pub" \
    "explain alice keys/alice.pub --from not-an-ip" "explain alice keys/alice.pub --at yesterday" \
    "explain alice keys/alice.pub --from 10.0.0.0/8" "explain alice keys/alice keys/alice.pub"; do
	# shellcheck disable=SC2086
	out=$(ctl $args 2>&1); rc=$?
	expect_rc "usage: $args" $rc 2
done
# A private key is refused without echoing it.
out=$(ctl explain alice keys/alice 2>&1); rc=$?
expect_rc "explain with a private key file" $rc 2
case "$out" in *PRIVATE*|*BEGIN*) fail "private key echoed" ;; *) pass "private key not echoed" ;; esac

# A broken --policy-file: policy_unavailable, exit 3.
printf 'version: 1\nserial: [\n' >broken.yaml
out=$(ctl explain alice keys/alice.pub --policy-file broken.yaml 2>&1); rc=$?
expect_rc "explain, broken policy file" $rc 3
expect_contains "explain, broken policy file: reason" "$out" "reason: policy_unavailable"
expect_contains "explain, broken policy file: located" "$out" "broken.yaml:"

# A corrupt index: exit 3, policy_unavailable.
printf 'garbage' >"$VAR/policy.cdb"
out=$(ctl explain alice keys/alice.pub 2>&1); rc=$?
expect_rc "explain, corrupt index" $rc 3
expect_contains "explain, corrupt index: reason" "$out" "reason: policy_unavailable"
t_done

#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# keyauthctl report and diff with certificate authorities
# (docs/certificates.md): the authorities table with the principals per
# account, its JSON, and the CAs and principals a change gains or loses.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/admin/common.sh"
P="$top_srcdir/tests/data/valid/authorities.yaml"

run "report" 0 "$KEYAUTHCTL" report --policy-file "$P" --at 2026-06-01
has "report: authorities section" "$T/out" "certificate authorities:"
has "report: principals per account" "$T/out" "ops,release"
has "report: the account's own name" "$T/out" "alice (the account)"
has "report: vendor CA" "$T/out" "vendor-support"
run "report --account support" 0 "$KEYAUTHCTL" report --policy-file "$P" \
    --account support --at 2026-06-01
hasnt "report --account: other accounts left out" "$T/out" "ops,release"
has "report --account: support's CA" "$T/out" "vendor-ca"
run "report expired" 0 "$KEYAUTHCTL" report --policy-file "$P" --at 2027-02-01 \
    --account deploy
has "report: the authority's expires" "$T/out" "expired"
run "report json" 0 "$KEYAUTHCTL" report --policy-file "$P" --format json --at 2026-06-01
json_ok "report json" "$T/out"
has "report json: principals" "$T/out" '"principals": ["ops", "release"]'

# The CSV: the keys, then one row per (authority, account) with the
# principals a certificate needs (the account's own name without a list).
sed '/^authorities:$/i\
keys:\
  - id: bob-laptop\
    owner: bob@example.com\
    key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHt0HvVSWlmR5M+5FCMbPiuXbLRadsgwMSwAhMmooSYf bob\
    accounts: [deploy]\
    expires: 2027-01-01
' "$P" >"$T/mixed.yaml"
run "report csv" 0 "$KEYAUTHCTL" report --policy-file "$T/mixed.yaml" --format csv --at 2026-06-01
golden report-authorities.csv "$T/out"
run "report csv --account support" 0 "$KEYAUTHCTL" report --policy-file "$T/mixed.yaml" \
    --format csv --account support --at 2026-06-01
has "report csv --account: support's CA" "$T/out" ',authority,vendor-support'
hasnt "report csv --account: other authorities left out" "$T/out" 'corp-ca'
hasnt "report csv --account: other keys left out" "$T/out" 'bob-laptop'
run "report csv, CA expired" 0 "$KEYAUTHCTL" report --policy-file "$P" --format csv \
    --account alice --at 2027-02-01
has "report csv: the authority's status" "$T/out" ',expired,authority,alice'

# The installed index answers the same as the YAML for its host, the
# authorities included: for db-01 (corp-ca only), for web-01 (vendor-ca
# too), with a revoked CA and with its owner revoked, in every format, and
# for one account (whose report reads no other account's rows).
if [ "$(id -u)" = 0 ]; then
	sed '/^revoked:$/a\
  - owner: vendor@example.net\
    reason: contract ended' "$T/mixed.yaml" >"$T/vendor-revoked.yaml"
	sed '/^revoked:$/a\
  - ca: SHA256:FzMQubrCI9wBMc/qEc4XyLf9tYYz258eIisWiut7tr8\
    reason: CA key compromised' "$T/mixed.yaml" >"$T/ca-revoked.yaml"
	for case in mixed:db-01 mixed:web-01 vendor-revoked:web-01 ca-revoked:db-01; do
		pol=${case%%:*} host=${case#*:}
		cp "$T/$pol.yaml" "$T/p.yaml" && chmod 0644 "$T/p.yaml"
		V="$T/v-$pol-$host" # each its own: the serial stays the same
		IX="$KEYAUTHCTL --helper-user root --index $V/policy.cdb --krl $V/revoked.krl --state $V/state"
		run "install $pol for $host" 0 $IX --host "$host" install "$T/p.yaml"
		for fmt in text csv json; do
			for acct in deploy ""; do
				run "index report $pol $host $fmt ${acct:-all}" 0 $IX report --at 2026-06-01 \
				    --format $fmt ${acct:+--account "$acct"}
				mv "$T/out" "$T/ix"
				run "yaml report $pol $host $fmt ${acct:-all}" 0 "$KEYAUTHCTL" report \
				    --policy-file "$T/p.yaml" --host "$host" --at 2026-06-01 \
				    --format $fmt ${acct:+--account "$acct"}
				# the header names the index and says where the rows are from
				expect_eq "index = yaml: $pol $host $fmt ${acct:-all}" \
				    "$(sed -e '/^policy: /d' -e '/^source: /d' -e 's|"path": "[^"]*"||' "$T/ix")" \
				    "$(sed -e '/^policy: /d' -e 's|"path": "[^"]*"||' "$T/out")"
			done
		done
		cp "$T/ix" "$T/ix.$pol.$host.json" # the last: json, every account
	done
	has "index: db-01 has corp-ca" "$T/ix.mixed.db-01.json" '"authority": "corp-ca"'
	hasnt "index: db-01 has no vendor-ca" "$T/ix.mixed.db-01.json" '"authority": "vendor-ca"'
	has "index: web-01 has vendor-ca" "$T/ix.mixed.web-01.json" '"authority": "vendor-ca"'
	has "index: a revoked owner's CA is listed as revoked" "$T/ix.vendor-revoked.web-01.json" \
	    '"expires": null, "status": "revoked"'
	has "index: a revoked CA is listed as revoked" "$T/ix.ca-revoked.db-01.json" \
	    '"expires": "2027-01-01T00:00:00Z", "status": "revoked"'
	run "index report, --owner" 0 $IX report --at 2026-06-01 --owner nobody@example.com
	has "index: --owner leaves every authority out" "$T/out" "none matches"
else
	t_skip "report from the installed index: needs root to install"
fi

sed -e 's/^serial: 2026020101$/serial: 2026020102/' \
    -e 's/deploy: \[ops, release\]/deploy: [ops]/' \
    -e 's/principals: \[vendor-support\]/principals: [vendor-support, vendor-oncall]/' \
    "$P" >"$T/new.yaml"
run "diff principals" 1 "$KEYAUTHCTL" diff "$P" "$T/new.yaml"
has "diff: principal lost" "$T/out" "- deploy: corp-ca"
has "diff: which principal was lost" "$T/out" "with principal release (authority corp-ca)"
has "diff: principal gained" "$T/out" "+ support: vendor-ca"
has "diff: which principal was gained" "$T/out" "with principal vendor-oncall"
sed -e 's/^serial: 2026020101$/serial: 2026020102/' -e '/^  - id: vendor-ca$/,/^revoked:/{/^revoked:/!d;}' \
    "$P" >"$T/noca.yaml"
run "diff CA removed" 1 "$KEYAUTHCTL" diff "$P" "$T/noca.yaml"
has "diff: the CA's access lost" "$T/out" "- support: vendor-ca"
run "diff json" 1 "$KEYAUTHCTL" diff "$P" "$T/new.yaml" --format json
json_ok "diff json" "$T/out"

# import: a cert-authority line becomes an authority, principals= its
# principals for the account; principals= without cert-authority is not.
CA=$(sed -n 's/^    key: \(ssh-ed25519 [^ ]*\) corp-ca$/\1/p' "$P" | head -n 1)
printf 'cert-authority,principals="ops,release",from="192.0.2.0/24" %s corp-ca\nprincipals="ops" %s x\n' \
    "$CA" "$CA" >"$T/authorized_keys"
run "import cert-authority" 1 "$KEYAUTHCTL" import --account deploy "$T/authorized_keys"
has "import: version 2" "$T/out" "version: 2"
has "import: an authority" "$T/out" "authorities:"
has "import: its principals" "$T/out" '"deploy": ["ops", "release"]'
has "import: its from" "$T/out" 'from: ["192.0.2.0/24"]'
has "import: principals= on a plain key refused" "$T/err" "principals= without cert-authority"
has "import: the summary counts the authority" "$T/err" "import: 0 entries and 1 authority from 1 file"
has "import: owner unknown without --owner-from-comment" "$T/out" 'owner: "unknown"'
cp "$T/out" "$T/imported.yaml"
run "imported authority passes check" 0 "$KEYAUTHCTL" check "$T/imported.yaml"
# The owner as for keys: the line's comment with --owner-from-comment.
printf 'cert-authority,principals="ops" %s security@example.com\n%s\n' "$CA" \
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHt0HvVSWlmR5M+5FCMbPiuXbLRadsgwMSwAhMmooSYf bob@example.com' \
    >"$T/authorized_keys2"
run "import --owner-from-comment" 0 "$KEYAUTHCTL" import --account deploy \
    --owner-from-comment "$T/authorized_keys2"
expect_eq "import: the authority's owner from its comment" \
    "$(sed -n '/^  - id: "ca-deploy-1"$/{n;p;}' "$T/out")" '    owner: "security@example.com"'
has "import: the key's owner from its comment" "$T/out" 'owner: "bob@example.com"'
hasnt "import: no owner left unknown" "$T/out" 'owner: "unknown"'
has "import: the summary counts keys and authorities" "$T/err" "import: 1 entry and 1 authority from 1 file; 0 lines not imported"
cp "$T/out" "$T/imported2.yaml"
run "imported authority with its owner passes check" 0 "$KEYAUTHCTL" check "$T/imported2.yaml"
t_done

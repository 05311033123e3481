# SPDX-License-Identifier: BSD-2-Clause
# Shared by the admin tests (report, diff, audit, import, doctor, edit):
# tests/lib.sh, a private directory $T, the committed test data and
# golden files. Golden files are compared whole; run a test with
# KEYAUTH_UPDATE_GOLDEN=1 to rewrite them after an intended change (and
# review the diff).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
ADATA="$top_srcdir/tests/admin/data"
GOLD="$top_srcdir/tests/admin/golden"
t_tmpdir
[ -x "$KEYAUTHCTL" ] || t_bail "missing $KEYAUTHCTL"
# Outputs that depend on the time zone (expiry-time without Z) use UTC.
TZ=UTC; export TZ

# golden NAME FILE: FILE must equal $GOLD/NAME byte for byte.
golden() {
	if [ "${KEYAUTH_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$2" "$GOLD/$1"
		pass "$1 (golden rewritten)"
		return
	fi
	if cmp -s "$2" "$GOLD/$1"; then
		pass "$1 matches the golden file"
	else
		fail "$1 differs from the golden file"
		t_diag "$(diff -u "$GOLD/$1" "$2" | head -40)"
	fi
}

# json_ok NAME FILE: FILE is valid JSON (when python3 is there to say so).
json_ok() {
	if command -v python3 >/dev/null 2>&1; then
		if python3 -m json.tool "$2" >/dev/null 2>&1; then
			pass "$1 is valid JSON"
		else
			fail "$1 is not valid JSON"
		fi
	fi
}

# run NAME WANT_RC CMD...: run CMD, stdout to $T/out, stderr to $T/err.
run() {
	local name="$1" want="$2" rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	expect_rc "$name" "$rc" "$want"
}
# has NAME FILE TEXT / hasnt NAME FILE TEXT (fixed strings)
has() {
	if grep -qF -- "$3" "$2"; then pass "$1"; else
		fail "$1"; t_diag "  $2 does not contain: $3" "$(sed 's/^/  | /' "$2" | head -30)"; fi
}
hasnt() {
	if grep -qF -- "$3" "$2"; then
		fail "$1"; t_diag "  $2 contains: $3"; else pass "$1"; fi
}

# import_tree DIR: the committed authorized_keys tree (data/import) copied
# to DIR/import and owned as on the server it came from, with that
# server's accounts in DIR/passwd (for import --passwd). Needs root.
import_tree() {
	cp -R "$ADATA/import" "$1/import" || exit 99
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	    'alice:x:1001:1001:alice:/home/alice:/bin/sh' \
	    'bob:x:1002:1002:bob:/home/bob:/bin/sh' >"$1/passwd"
	chown -R 0:0 "$1/import"
	chown -R 1001:1001 "$1/import/home/alice"
	chown -R 1002:1002 "$1/import/home/bob"
}

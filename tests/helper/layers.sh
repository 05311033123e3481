#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The login path sees policy/core alone: with the include path of
# keyauth-authorized-keys or pam_keyauth.so, a file that calls
# kp_policy_load does not compile, whether it includes keyauth.h only or
# tries keyauth-policy.h too. The same call compiles with the model's
# path, and a core-only file with the front ends' path, so a failure here
# is the boundary, not a broken probe.
. "$top_srcdir/tests/lib.sh"
t_tmpdir
: "${CC:=cc}"
for v in HELPER_CPPFLAGS PAM_CPPFLAGS MODEL_CPPFLAGS; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || t_bail "$v not set (run through make check)"
done

cat >"$T/core.c" <<'C'
#include "config.h"
#include "keyauth.h"
int probe(void);
int probe(void) { return kp_account_valid("alice"); }
C
# keyauth.h alone declares nothing of the model ...
cat >"$T/load.c" <<'C'
#include "config.h"
#include "keyauth.h"
int probe(void);
int probe(void)
{
	struct kp_policy *p = 0;
	struct kp_diag d;

	return kp_policy_load("/etc/keyauth/policy.yaml", KP_LOAD_SAFE, &p, &d);
}
C
# ... and the model's header is not there to add.
{ echo '#include "keyauth-policy.h"'; cat "$T/load.c"; } >"$T/model.c"
# compiles NAME CPPFLAGS: 0 when $T/NAME.c compiles with CPPFLAGS. A call
# of an undeclared function is an error, as C99 has it.
compiles() {
	# shellcheck disable=SC2086 # the flags are a list
	$CC $2 -Werror=implicit-function-declaration -c "$T/$1.c" \
		-o "$T/$1.o" >"$T/$1.err" 2>&1
}
for fe in HELPER PAM; do
	eval "flags=\$${fe}_CPPFLAGS"
	if compiles core "$flags"; then pass "$fe: a core-only file compiles"
	else fail "$fe: a core-only file does not compile"; t_diag "$(cat "$T/core.err")"; fi
	if compiles load "$flags"; then fail "$fe: kp_policy_load compiles"
	else pass "$fe: kp_policy_load does not compile"; fi
	if compiles model "$flags"; then fail "$fe: keyauth-policy.h is on its include path"
	else pass "$fe: keyauth-policy.h is not on its include path"; fi
done
if compiles model "$MODEL_CPPFLAGS"; then
	pass "with the model's include path, kp_policy_load compiles"
else
	fail "the probe does not compile even with the model's include path"
	t_diag "$(cat "$T/model.err")"
fi
t_done

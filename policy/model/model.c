/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * The validated model's own housekeeping: freeing what the loader built,
 * and the progress hook the loader and the compiler report to.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth-policy.h"
#include "kp-policy.h"

static kp_progress_fn progress_fn;
static void *progress_arg;

void
kp_progress_set(kp_progress_fn fn, void *arg)
{
	progress_fn = fn;
	progress_arg = arg;
}

void
kp_progress_tick(const char *phase, uint64_t count)
{
	if (progress_fn != NULL && count > 0 && count % KP_PROGRESS_STEP == 0)
		progress_fn(phase, count, 0, progress_arg);
}

void
kp_progress_end(const char *phase, uint64_t count)
{
	if (progress_fn != NULL)
		progress_fn(phase, count, 1, progress_arg);
}

void
kp_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
kp_entry_clear(struct kp_entry *e)
{
	if (e == NULL)
		return;
	if (e->borrowed) {
		/* Its strings are the policy's (kp_teams_free). */
		memset(e, 0, sizeof(*e));
		return;
	}
	free(e->id);
	free(e->owner);
	kp_pubkey_free(e->key);
	kp_strv_free(e->accounts, e->naccounts);
	kp_strv_free(e->hosts, e->nhosts);
	kp_strv_free(e->from, e->nfrom);
	free(e->sources);
	kp_strv_free(e->options, e->noptions);
	free(e->command);
	free(e->comment);
	memset(e, 0, sizeof(*e));
}

void
kp_network_clear(struct kp_network *n)
{
	if (n == NULL)
		return;
	free(n->name);
	free(n->addrs);
	memset(n, 0, sizeof(*n));
}

void
kp_revocation_clear(struct kp_revocation *r)
{
	if (r == NULL)
		return;
	free(r->value);
	kp_pubkey_free(r->key);
	free(r->ca_fp);
	free(r->key_id);
	free(r->reason);
	memset(r, 0, sizeof(*r));
}

void
kp_authority_clear(struct kp_authority *a)
{
	size_t i;

	if (a == NULL)
		return;
	kp_entry_clear(&a->e);
	for (i = 0; i < a->nprincipals; i++) {
		free(a->principals[i].account);
		kp_strv_free(a->principals[i].names, a->principals[i].nnames);
	}
	free(a->principals);
	memset(a, 0, sizeof(*a));
}

void
kp_authority_principals(const struct kp_authority *a, const char *account,
    char *const **names, size_t *n)
{
	const struct kp_principal_list *all = NULL;
	size_t i;

	*names = NULL;
	*n = 0;
	for (i = 0; a != NULL && account != NULL && i < a->nprincipals; i++) {
		if (a->principals[i].account == NULL)
			all = &a->principals[i];
		else if (strcmp(a->principals[i].account, account) == 0) {
			*names = a->principals[i].names;
			*n = a->principals[i].nnames;
			return;
		}
	}
	if (all != NULL) {
		*names = all->names;
		*n = all->nnames;
	}
}

void
kp_policy_free(struct kp_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nentries; i++)
		kp_entry_clear(&p->entries[i]);
	free(p->entries);
	for (i = 0; i < p->nnetworks; i++)
		kp_network_clear(&p->networks[i]);
	free(p->networks);
	for (i = 0; i < p->nrevoked; i++)
		kp_revocation_clear(&p->revoked[i]);
	free(p->revoked);
	for (i = 0; i < p->nauthorities; i++)
		kp_authority_clear(&p->authorities[i]);
	free(p->authorities);
	kp_revset_free(p->revset);
	kp_teams_free(p->teams);
	kp_strv_free(p->files, p->nfiles);
	free(p->path);
	if (p->arena != NULL)
		kp_arena_reset(p->arena, 0);
	free(p->arena);
	free(p);
}

const char *
kp_policy_where(const struct kp_policy *p, unsigned cur, unsigned file,
    unsigned line, char *buf)
{
	if (p == NULL || p->nfiles == 0 || file == cur || file >= p->nfiles)
		snprintf(buf, KP_WHERE_MAX, "line %u", line);
	else
		snprintf(buf, KP_WHERE_MAX, "%s:%u", p->files[file], line);
	return buf;
}

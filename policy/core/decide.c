/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "keyauth.h"

/* Stable reason codes (docs/audit-log.md): they end up in audit logs. */
static const char *const reason_names[KP_REASON_COUNT] = {
    [KP_ALLOWED] = "allowed",
    [KP_UNKNOWN_KEY] = "unknown_key",
    [KP_REVOKED] = "revoked",
    [KP_ACCOUNT_NOT_ALLOWED] = "account_not_allowed",
    [KP_HOST_NOT_ALLOWED] = "host_not_allowed",
    [KP_SOURCE_NOT_ALLOWED] = "source_not_allowed",
    [KP_SOURCE_UNKNOWN] = "source_unknown",
    [KP_NOT_YET_VALID] = "not_yet_valid",
    [KP_EXPIRED] = "expired",
    [KP_NO_KEY] = "no_key",
    [KP_KEY_MISMATCH] = "key_mismatch",
    [KP_POLICY_UNAVAILABLE] = "policy_unavailable",
    [KP_POLICY_STALE] = "policy_stale",
    [KP_PRINCIPAL_NOT_ALLOWED] = "principal_not_allowed",
    [KP_CERT_INVALID] = "cert_invalid",
};

const char *
kp_reason_str(enum kp_reason r)
{
	/* An out-of-range value is a caller bug; never index past the table. */
	if ((unsigned)r >= KP_REASON_COUNT)
		return "policy_unavailable";
	return reason_names[r];
}

/*
 * How far a grant got through the stages of the decision. A grant that
 * passes everything is STAGE_PASSED; otherwise the stage it failed at.
 */
enum stage {
	STAGE_ACCOUNT = 0,
	STAGE_HOST,
	STAGE_SOURCE,
	STAGE_TIME,
	STAGE_PASSED,
};

static void
copy_bounded(char *dst, size_t dstlen, const char *src)
{
	if (src == NULL)
		src = "";
	/* Truncation is harmless here: the copies are for display only. */
	snprintf(dst, dstlen, "%s", src);
}

static int
lists_account(const struct kp_grant *g, const char *account)
{
	size_t i;

	if (account == NULL || g->accounts == NULL)
		return 0;
	for (i = 0; i < g->naccounts; i++) {
		if (g->accounts[i] != NULL &&
		    strcmp(g->accounts[i], account) == 0)
			return 1;
	}
	return 0;
}

/*
 * Evaluate one grant; returns the stage reached and, unless it passed,
 * the reason it failed with in *reason.
 */
static enum stage
evaluate(const struct kp_grant *g, const struct kp_request *req,
    enum kp_reason *reason)
{
	struct kp_cidr client;
	const char *why = NULL;
	size_t i;
	int hit = 0;

	if (!lists_account(g, req->account)) {
		*reason = KP_ACCOUNT_NOT_ALLOWED;
		return STAGE_ACCOUNT;
	}
	if (!g->host_ok) {
		*reason = KP_HOST_NOT_ALLOWED;
		return STAGE_HOST;
	}
	if (g->nsources > 0) {
		/*
		 * A restricted grant with an unknown or unreadable client
		 * address cannot be matched: refuse rather than guess.
		 */
		if (g->sources == NULL || req->client == NULL ||
		    *req->client == '\0' ||
		    kp_addr_parse(req->client, &client, &why) != 0) {
			*reason = g->sources == NULL ? KP_SOURCE_NOT_ALLOWED
			                             : KP_SOURCE_UNKNOWN;
			return STAGE_SOURCE;
		}
		for (i = 0; i < g->nsources && !hit; i++)
			hit = kp_cidr_match(&g->sources[i], &client) == 1;
		if (!hit) {
			*reason = KP_SOURCE_NOT_ALLOWED;
			return STAGE_SOURCE;
		}
	}
	/*
	 * Account and host passed above, so what kp_grant_serves refuses
	 * here is the time window. Asking it (rather than comparing times
	 * here) keeps the decision and the lines the helper serves on one
	 * rule.
	 */
	if (!kp_grant_serves(g, req->account, req->now)) {
		*reason =
		    req->now < g->not_before ? KP_NOT_YET_VALID : KP_EXPIRED;
		return STAGE_TIME;
	}
	*reason = KP_ALLOWED;
	return STAGE_PASSED;
}

int
kp_policy_stale(int64_t policy_expires, int64_t now)
{
	return now >= policy_expires;
}

int
kp_time_window_valid(int64_t not_before, int64_t expires)
{
	return not_before < expires;
}

int
kp_grant_serves(const struct kp_grant *g, const char *account, int64_t now)
{
	if (g == NULL || !lists_account(g, account) || !g->host_ok)
		return 0;
	return g->not_before <= now && now < g->expires;
}

void
kp_decide(int64_t policy_expires, int revoked, const struct kp_grant *grants,
    size_t ngrants, const struct kp_request *req, struct kp_decision *out)
{
	const struct kp_grant *best = NULL;
	enum kp_reason reason, best_reason = KP_UNKNOWN_KEY;
	enum stage st, best_stage = STAGE_ACCOUNT;
	size_t i;

	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	/* Without a request there is nothing to decide: refuse. */
	if (req == NULL) {
		out->reason = KP_POLICY_UNAVAILABLE;
		return;
	}
	if (grants == NULL)
		ngrants = 0;
	/* All entries of one key name the same owner: report it always. */
	if (ngrants > 0)
		copy_bounded(out->owner, sizeof(out->owner), grants[0].owner);

	if (kp_policy_stale(policy_expires, req->now)) {
		out->reason = KP_POLICY_STALE;
		return;
	}
	if (revoked) {
		out->reason = KP_REVOKED;
		return;
	}
	if (ngrants == 0) {
		out->reason = KP_UNKNOWN_KEY;
		return;
	}
	for (i = 0; i < ngrants; i++) {
		st = evaluate(&grants[i], req, &reason);
		if (st == STAGE_PASSED) {
			best = &grants[i];
			best_reason = KP_ALLOWED;
			break;
		}
		/* Strictly further only: ties go to the earlier entry. */
		if (best == NULL || st > best_stage) {
			best = &grants[i];
			best_stage = st;
			best_reason = reason;
		}
	}
	out->reason = best_reason;
	copy_bounded(out->entry_id, sizeof(out->entry_id), best->id);
	out->entry = (size_t)(best - grants);
	if (best->grant != NULL) {
		copy_bounded(out->grant, sizeof(out->grant), best->grant);
		if (best->via != NULL)
			copy_bounded(out->via, sizeof(out->via), best->via);
	}
	if (best->owner != NULL)
		copy_bounded(out->owner, sizeof(out->owner), best->owner);
}

int
kp_audit_priority(const struct kp_audit *a)
{
	/* Someone must fix something: a broken or stale policy, an error. */
	if (a == NULL || a->error != NULL)
		return LOG_ERR;
	/* An install that did not happen leaves a host behind the fleet. */
	if (a->event == KP_EVENT_INSTALL)
		return a->verdict == KP_VERDICT_REFUSED ||
		        a->verdict == KP_VERDICT_FAILED
		    ? LOG_ERR
		    : LOG_NOTICE;
	if (a->reason == KP_POLICY_UNAVAILABLE || a->reason == KP_POLICY_STALE)
		return LOG_ERR;
	return LOG_NOTICE;
}

/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared inside libkeyauth only; not part of its interface.
 *
 * Conventions as in keyauth.h: functions named like predicates
 * (kp_*_valid, kp_*_allowed, kp_*_clean) return 1 for "yes" and 0 for "no";
 * everything else returns 0 or a negative KP_ERR_* code.
 */
#ifndef KP_INTERNAL_H
#define KP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "keyauth.h"

/* ------------------------------------------------------------ why / fail */

/* Point *why (when why is not NULL) at a message of static storage. */
#define KP_WHY(why, msg) \
	do { \
		if ((why) != NULL) \
			*(why) = (msg); \
	} while (0)

/* Set *why and return r from the current function (no cleanup needed). */
#define KP_FAIL(why, msg, r) \
	do { \
		KP_WHY(why, msg); \
		return (r); \
	} while (0)

/* ---------------------------------------------------------------- base64 */

/*
 * Standard base64 (RFC 4648 alphabet "+/"). kp_b64_enclen is the number of
 * characters (without the NUL) encoding n bytes, padded or not.
 */
size_t kp_b64_enclen(size_t n, int pad);
/* Encode into dst (NUL-terminated); KP_ERR_TOOBIG if dstlen is too small. */
int kp_b64_encode(
    const uint8_t *src, size_t n, int pad, char *dst, size_t dstlen);
/*
 * Strict decode of exactly len characters: only the alphabet, length a
 * multiple of 4, '=' padding only where required, unused bits zero (so
 * every blob has exactly one accepted spelling), no whitespace. On success
 * *out is a malloc'd buffer (caller frees) of *outlen bytes. On failure
 * KP_ERR_INVALID, *why says what and *bad_off (when not NULL) is the offset
 * of the offending character.
 */
int kp_b64_decode(const char *src, size_t len, uint8_t **out, size_t *outlen,
    const char **why, size_t *bad_off);
/* The same into buf, which has room for len / 4 * 3 bytes. */
int kp_b64_decode_to(const char *src, size_t len, uint8_t *buf, size_t *outlen,
    const char **why, size_t *bad_off);

/*
 * kp_pubkey_parse_line, then check (when not NULL) of the key, whose
 * refusal (a negative code, *why set, the column the base64's) is the
 * call's. alloc NULL: the key is malloc'd, kp_pubkey_free it. Else it is
 * one piece from alloc(arg, n) (the policy loader's arena): never
 * kp_pubkey_free it; its type is a static string, and its blob NULL
 * (bloblen 0): check sees the key while the blob is there.
 */
typedef void *(*kp_alloc_fn)(void *arg, size_t n);
typedef int (*kp_keycheck_fn)(const struct kp_pubkey *k, const char **why);
int kp_pubkey_parse_line_in(const char *line, kp_alloc_fn alloc, void *arg,
    kp_keycheck_fn check, struct kp_pubkey **out, const char **why,
    size_t *col_off);

/* ------------------------------------------------------------- strings */

/* strdup of s when strlen(s) <= max: KP_ERR_ARG (NULL), _TOOBIG, _NOMEM. */
int kp_strdup_max(const char *s, size_t max, char **out);
/* Concatenate the NULL-terminated list of strings, at most max bytes. */
int kp_strconcat(char **out, size_t max, ...) __attribute__((sentinel));
/* Copy src into dst; KP_ERR_TOOBIG (and dst = "") if it does not fit. */
int kp_strlcpy_checked(char *dst, size_t dstlen, const char *src);
/*
 * Copy the len bytes at text (NULL when len is 0) into *buf and call
 * fn(arg, word, rest) for each of its lines "WORD REST" (CR LF or LF; a
 * line without a space is skipped), both split in place in *buf, which
 * the caller frees: the shape of `sshd -T` output. A non-zero return of
 * fn stops and is returned.
 */
int kp_word_lines(const char *text, size_t len, char **buf,
    int (*fn)(void *arg, char *word, char *rest), void *arg);
/* Append a copy of the len bytes at s to the vector *v of *n strings. */
int kp_strv_add(char ***v, size_t *n, const char *s, size_t len);

/* --------------------------------------------------------- diagnostics */

/*
 * Fill d, when not NULL, anew: the file (NULL: none), line and column (0:
 * none) and the message.
 */
void kp_diag_set(struct kp_diag *d, const char *file, unsigned line,
    unsigned column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void kp_diag_vset(struct kp_diag *d, const char *file, unsigned line,
    unsigned column, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
/*
 * The message and position in d, its file kept: for the readers that name
 * their file in d once, when they open it.
 */
void kp_diag_at(struct kp_diag *d, unsigned line, unsigned column,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * The one UTF-8 decoder: the character at s, of which len bytes may be
 * read. Returns its length (1..4) and *cp, or KP_UTF8_INVALID (a bad lead
 * or continuation byte, an overlong form, a surrogate, beyond U+10FFFF) or
 * KP_UTF8_TRUNCATED (the sequence it starts is longer than len).
 */
#define KP_UTF8_INVALID (-1)
#define KP_UTF8_TRUNCATED (-2)
int kp_utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * 1 if s is a clean scalar value: at most max bytes, valid UTF-8 (shortest
 * form, no surrogates, <= U+10FFFF), no control character (C0, DEL, C1).
 * Otherwise 0 and *why says what is wrong. Used for every policy value.
 */
int kp_value_clean(const char *s, size_t max, const char **why);

/*
 * 1 if cp is a character a reader does not see as itself: general
 * category Cf (format: U+200B, U+00AD, U+FEFF, ...), Zl, Zp, a space other
 * than U+0020 (Zs: U+00A0, U+2000..U+200A, U+3000, ...), or
 * Default_Ignorable_Code_Point (variation selectors, fillers, tags). The
 * table is generated from the Unicode Character Database
 * (policy/core/invisible.h), not from the C library's locale.
 */
int kp_char_invisible(uint32_t cp);
/*
 * kp_value_clean, and no kp_char_invisible character: for the values that
 * name someone or something the machine compares (owners, ids, names,
 * commands). On failure *cp (when not NULL) is the character at fault, 0
 * when kp_value_clean refused the value.
 */
int kp_value_visible(const char *s, size_t max, const char **why, uint32_t *cp);

/* ---------------------------------------------------------------- time */

/* Maximum year kp_time_parse accepts (and the 4-digit formats can show). */
#define KP_TIME_YEAR_MIN 1970
#define KP_TIME_YEAR_MAX 9999

/* Broken-down UTC time of t (proleptic Gregorian, any int64 value). */
struct kp_civil {
	int64_t year;
	int mon; /* 1..12 */
	int mday; /* 1..31 */
	int hour, min, sec;
};
void kp_time_civil(int64_t t, struct kp_civil *c);
/*
 * 1 if t falls in the years KP_TIME_YEAR_MIN..KP_TIME_YEAR_MAX in UTC. A
 * time kp_time_parse read can lie outside when its zone offset carried it
 * across (9999-12-31T23:30:00-01:00): the loader refuses it, since sshd's
 * expiry-time= has four digits for the year.
 */
int kp_time_in_range(int64_t t);

/* ----------------------------------------------------------- hostnames */

/* Longest host name or host pattern accepted (DNS names are <= 253). */
#define KP_HOST_MAX 255
/* Most '*' in one host pattern: bounds fnmatch's backtracking. */
#define KP_HOST_PATTERN_MAX_STARS 4

/*
 * 1 if p is an acceptable hosts: glob: 1..KP_HOST_MAX bytes of
 * [A-Za-z0-9._-] and the glob characters * ? [ ] ! -, at most
 * KP_HOST_PATTERN_MAX_STARS '*', brackets balanced. kp_host_match()
 * refuses (no match) anything this refuses.
 */
int kp_host_pattern_valid(const char *p, const char **why);

/* ---------------------------------------------------- authorized_keys */

/*
 * 1 if opt is one allow-listed authorized_keys option, written as one list
 * item (see authkeys.c); otherwise 0 and *why says why it is refused.
 */
int kp_option_allowed(const char *opt, const char **why);

/*
 * 1 if cmd can be a forced command="..." exactly as written: not empty,
 * clean (kp_value_clean), no '"', no trailing '\\'. Otherwise 0, *why.
 */
int kp_command_valid(const char *cmd, const char **why);

/*
 * t as sshd's expiry-time="YYYYMMDDHHMMSSZ" into buf (at least
 * KP_EXPIRY_TIME_LEN bytes); KP_ERR_INVALID when t falls outside what four
 * digits of year can say (kp_time_in_range).
 */
#define KP_EXPIRY_TIME_LEN 16
int kp_expiry_time_format(int64_t t, char *buf, size_t len);

/*
 * Every check kp_authkeys_line makes of a grant besides its key (which
 * the loader checks more strictly itself): the id, the sources, each
 * option, the command and the expiry. 0, or KP_ERR_INVALID / KP_ERR_ARG
 * with *why. The loader runs it on every entry, so that a policy check
 * accepts is a policy the helper can serve.
 */
int kp_authkeys_check(const char *id, const struct kp_cidr *sources,
    size_t nsources, int64_t expires, const char *const *options,
    size_t noptions, const char *command, const char **why);

/*
 * What sshd makes of a key's options, read in order as sshd reads them
 * (authkeys.c): the restrictions in force, as KP_OPT_* bits in deny. With
 * no option at all deny is KP_OPT_TOUCH_REQUIRED (sshd's default).
 */
#define KP_OPT_NO_PORT_FORWARDING 0x01
#define KP_OPT_NO_AGENT_FORWARDING 0x02
#define KP_OPT_NO_X11_FORWARDING 0x04
#define KP_OPT_NO_PTY 0x08
#define KP_OPT_NO_USER_RC 0x10
#define KP_OPT_NO_TUNNEL 0x20 /* only restrict sets it; nothing lifts it */
#define KP_OPT_TOUCH_REQUIRED 0x40 /* no-touch-required lifts it */
#define KP_OPT_VERIFY_REQUIRED 0x80

struct kp_optset {
	unsigned deny;
	/* the list read, borrowed: its permitopen/permitlisten items */
	const char *const *options;
	size_t noptions;
};

/* Why a list was refused: item bad, and the earlier item other it clashes with. */
#define KP_OPTSET_UNKNOWN 1 /* not allow-listed (kp_option_allowed) */
#define KP_OPTSET_NEEDS_RESTRICT 2 /* a re-enabling word not after restrict */
#define KP_OPTSET_CONTRADICTS 3 /* a word and its no- word */
#define KP_OPTSET_TWICE 4 /* the same word again, in another case */
struct kp_optset_problem {
	int what;
	size_t bad, other;
};

/*
 * Read options[0..n) into *out. KP_ERR_INVALID (and *pb, when not NULL)
 * for an option off the allow-list. KP_OPTSET_STRICT adds the policy's
 * rules (docs/policy-format.md): a re-enabling word must follow restrict,
 * no word may come with its no- word, no word twice in any case.
 */
#define KP_OPTSET_STRICT 0x01
int kp_optset_read(const char *const *options, size_t n, unsigned flags,
    struct kp_optset *out, struct kp_optset_problem *pb);
/*
 * 1 if a key with options a may do everything one with options b may
 * (fewer or the same restrictions, permitopen/permitlisten no narrower
 * where port forwarding is allowed). a admits b and b admits a: the same.
 */
int kp_optset_admits(const struct kp_optset *a, const struct kp_optset *b);

/* 1 if type is one of the supported key types (ssh-dss is not). */
int kp_key_type_supported(const char *type);

/* 1 if s is exactly 64 lower-case hex digits (a policy's SHA-256). */
int kp_sha256_hex_valid(const char *s);

#endif /* KP_INTERNAL_H */

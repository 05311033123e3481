# SPDX-License-Identifier: BSD-2-Clause
# Sourced inside a private mount namespace (unshare -m --propagation
# private) by tests that run the helper as sshd does: as the
# AuthorizedKeysCommandUser, which gets no path options (only root may
# give -i and -s, docs/security.md) and so reads the installed paths.
#
#   ka_ns_installed INDEX_DIR SPOOL UID GID
#
# makes, in this namespace only, the installed index directory
# ($KA_DEFAULT_INDEX_DIR, /var/lib/keyauth) show INDEX_DIR, the installed
# spool ($KA_DEFAULT_SPOOL, /run/keyauth) show SPOOL, and the configured
# AuthorizedKeysCommandUser's name ($KA_KEYAUTH_USER, keyauth) stand for
# UID:GID in /etc/passwd. Everything is a bind mount over a tmpfs or a
# copy: the machine's /var/lib, /run and /etc/passwd are never written.
# /run becomes a private tmpfs unless the caller made one already and
# left /run/ka-ns-run in it (the e2e namespace does, for /run/sshd).

: "${KA_DEFAULT_INDEX_DIR:=/var/lib/keyauth}"
: "${KA_DEFAULT_SPOOL:=/run/keyauth}"
: "${KA_KEYAUTH_USER:=keyauth}"

# ka_ns_graft DIR NAME SRC: DIR/NAME shows SRC, DIR's other entries stay.
# When DIR/NAME does not exist, DIR becomes a tmpfs holding bind mounts of
# each of its entries, and NAME.
ka_ns_graft() {
	_d=$1 _n=$2 _src=$3
	# A build configured for other directories (make distcheck's prefix)
	# may not have made DIR yet: an empty directory, as install would.
	mkdir -p "$_d"
	if [ -e "$_d/$_n" ]; then
		mount --bind "$_src" "$_d/$_n"
		return
	fi
	_keep=/run/ka-ns-keep$(printf '%s' "$_d" | tr / _)
	mkdir -p "$_keep"
	mount --bind "$_d" "$_keep"
	mount -t tmpfs -o mode=0755,size=64k ka-ns "$_d"
	for _e in "$_keep"/* "$_keep"/.[!.]*; do
		[ -e "$_e" ] || [ -L "$_e" ] || continue
		_t="$_d/${_e##*/}"
		if [ -L "$_e" ]; then
			cp -P "$_e" "$_t"
			continue
		elif [ -d "$_e" ]; then
			mkdir "$_t"
		else
			: >"$_t"
		fi
		mount --bind "$_e" "$_t"
	done
	mkdir "$_d/$_n"
	mount --bind "$_src" "$_d/$_n"
}

ka_ns_installed() {
	_ix=$1 _spool=$2 _uid=$3 _gid=$4
	# /run first: the graft of /var/lib keeps its original under /run.
	if [ ! -e /run/ka-ns-run ]; then
		mount -t tmpfs -o mode=0755,size=256k ka-ns-run /run
		: >/run/ka-ns-run
	fi
	ka_ns_graft "${KA_DEFAULT_INDEX_DIR%/*}" "${KA_DEFAULT_INDEX_DIR##*/}" "$_ix"
	mkdir -p "$KA_DEFAULT_SPOOL"
	mount --bind "$_spool" "$KA_DEFAULT_SPOOL"
	ka_ns_passwd "$_uid" "$_gid"
}

# ka_ns_passwd UID GID: /etc/passwd names UID:GID $KA_KEYAUTH_USER.
# Not a bind mount over /etc/passwd: useradd or userdel run by a test in
# parallel renames a new file over the host's /etc/passwd, and the kernel
# then drops a bind mount on that name in every namespace. /etc becomes a
# tmpfs of symbolic links into the host's /etc (bound under /run, so they
# follow its renames) and one file of its own, passwd.
ka_ns_passwd() {
	mkdir /run/ka-ns-etc
	mount --bind /etc /run/ka-ns-etc
	mount -t tmpfs -o mode=0755,size=256k ka-ns-etc /etc
	for _e in /run/ka-ns-etc/* /run/ka-ns-etc/.[!.]*; do
		[ -e "$_e" ] || [ -L "$_e" ] || continue
		[ "${_e##*/}" = passwd ] && continue
		ln -s "$_e" "/etc/${_e##*/}"
	done
	grep -v "^$KA_KEYAUTH_USER:" /run/ka-ns-etc/passwd >/etc/passwd
	printf '%s:x:%s:%s:keyauth test:/nonexistent:/usr/sbin/nologin\n' \
	    "$KA_KEYAUTH_USER" "$1" "$2" >>/etc/passwd
	chmod 0644 /etc/passwd
}

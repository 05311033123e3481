#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
. "$top_srcdir/tests/lib.sh"
t_skip "not yet"

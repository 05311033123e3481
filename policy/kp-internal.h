/* Helpers shared inside libkeyauth only; not part of its interface. */
#ifndef KP_INTERNAL_H
#define KP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "keyauth.h"

#endif /* KP_INTERNAL_H */

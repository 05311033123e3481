#include "config.h"

#include "keyauth.h"

/*
 * Private to trunk/: the printf fast path that libsofia-sip-ua's calls
 * reach through the executable's exported definitions (sofia_printf.c).
 */
#ifndef TRUNKD_TRUNK_SOFIA_PRINTF_H
#define TRUNKD_TRUNK_SOFIA_PRINTF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* vsnprintf() for the formats sofia_printf.c handles: the same result and
 * bytes; -2 (ap untouched, s possibly holding a partial text that the
 * caller's vsnprintf() overwrites) for any other format or a NULL %s,
 * which the caller gives to vsnprintf(). */
int trunk_fmt_vsnprintf(char *s, size_t max, const char *fmt, va_list ap);

/* Do libsofia's __snprintf_chk and inet_ntop calls land in
 * sofia_printf.c? (true under ASan, where it is not built) */
bool trunk_sofia_printf_check(void);

#endif

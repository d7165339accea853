/* outbuf: see outbuf.h. */
#include <stdarg.h>
#include <stdio.h>

#include "outbuf.h"

void outbuf_put(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->cut)
		return;
	if (o->used >= o->len) {
		o->cut = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->cut = true;
		o->p[o->used] = '\0';
		return;
	}
	if ((size_t)n >= o->len - o->used) {
		/* vsnprintf kept what fitted, NUL-terminated */
		o->cut = true;
		o->used = o->len - 1;
		return;
	}
	o->used += (size_t)n;
}

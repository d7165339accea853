/* outbuf: see outbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

void outbuf_putn(struct outbuf *o, const char *s, size_t n)
{
	size_t room;

	if (o->cut)
		return;
	if (o->used >= o->len) {
		o->cut = true;
		return;
	}
	room = o->len - o->used; /* including the NUL */
	if (n >= room) {	 /* what fits, NUL-terminated, like vsnprintf */
		memcpy(o->p + o->used, s, room - 1);
		o->p[o->len - 1] = '\0';
		o->cut = true;
		o->used = o->len - 1;
		return;
	}
	memcpy(o->p + o->used, s, n);
	o->used += n;
	o->p[o->used] = '\0';
}

void outbuf_puts(struct outbuf *o, const char *s)
{
	outbuf_putn(o, s, strlen(s));
}

void outbuf_copy(char *dst, size_t len, const char *src)
{
	struct outbuf o = { .p = dst, .len = len };

	if (len)
		dst[0] = '\0';
	outbuf_puts(&o, src);
}

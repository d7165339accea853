/*
 * outbuf: printf-style appending to a caller's fixed buffer, for the
 * modules that build text into bounded buffers (URIs, PIDF-LO bodies,
 * multipart bodies). Once a piece does not fit the buffer is "cut" and
 * every later piece is ignored, so the caller checks one flag at the end
 * instead of every call. Never allocates.
 */
#ifndef TRUNKD_CONFIG_OUTBUF_H
#define TRUNKD_CONFIG_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct outbuf {
	char *p;     /* the caller's buffer */
	size_t len;  /* its size, including the terminating NUL */
	size_t used; /* characters written so far (p[used] == '\0') */
	bool cut;    /* a piece did not fit: the text is incomplete */
};

/* Append; a piece that does not fit is written as far as it fits
 * (NUL-terminated) and sets ->cut. A buffer of length 0 is cut at once. */
void outbuf_put(struct outbuf *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* outbuf_put(o, "%s", s) without the formatting (hot paths); putn
 * appends the n bytes at s (no NUL among them). */
void outbuf_puts(struct outbuf *o, const char *s);
void outbuf_putn(struct outbuf *o, const char *s, size_t n);

/* snprintf(dst, len, "%s", src) for a non-NULL src, without formatting. */
void outbuf_copy(char *dst, size_t len, const char *src);

#endif

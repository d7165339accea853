/*
 * Kernel forwarding without libbpf or clang at build time (meson found
 * neither or one): the program is not in this binary.
 */
#include <errno.h>
#include <stdio.h>

#include "media_private.h"

int media_kfwd_open(struct media_engine *e, struct media_kfwd **out, char *why,
		    size_t len)
{
	(void)e;
	*out = NULL;
	snprintf(why, len,
		 "not built (meson found no libbpf or no clang: install "
		 "libbpf-dev and clang, tools/install-deps.sh)");
	return ENOTSUP;
}

void media_kfwd_close(struct media_kfwd *k)
{
	(void)k;
}

int media_kfwd_put(struct media_kfwd *k, const struct media_kfwd_key *key,
		   const struct media_kfwd_val *val)
{
	(void)k, (void)key, (void)val;
	return ENOTSUP;
}

int media_kfwd_get(struct media_kfwd *k, const struct media_kfwd_key *key,
		   struct media_kfwd_val *val)
{
	(void)k, (void)key, (void)val;
	return ENOTSUP;
}

int media_kfwd_del(struct media_kfwd *k, const struct media_kfwd_key *key)
{
	(void)k, (void)key;
	return ENOTSUP;
}

unsigned media_kfwd_map_id(const struct media_kfwd *k)
{
	(void)k;
	return 0;
}

const char *media_kfwd_attach(const struct media_kfwd *k)
{
	(void)k;
	return "none";
}

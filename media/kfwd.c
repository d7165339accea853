/*
 * Kernel forwarding, the libbpf half (built when meson finds libbpf and
 * clang): load the tc program embedded at build time (kfwd.bpf.c, as
 * the array media_kfwd_obj[] that embed.py generates), attach it to the
 * ingress of each interface that holds an IPv4 media address, and give
 * the media threads its map.
 *
 * Attachment: a tcx link where the kernel has it (6.6 and later), which
 * goes with the process whatever way it ends; else a classic filter
 * on the interface's clsact qdisc, with a fixed handle and priority of
 * ours: removed at exit, and one left by an earlier trunkd that crashed
 * is removed at start. libbpf's own messages go to the log (debug).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "media_private.h"

#define SUB "media.kfwd"

/* include/uapi/linux/bpf.h of 6.6 (Debian 12's headers are 6.1's). */
#define MEDIA_BPF_TCX_INGRESS 46
/* Our classic filter: a handle and a priority nobody else is likely to
 * choose ("tr", 0x7472). */
#define MEDIA_TC_HANDLE 0x7472
#define MEDIA_TC_PRIO	0x7472

extern const unsigned char media_kfwd_obj[];
extern const unsigned long media_kfwd_obj_len;

struct media_kfwd_if {
	int ifindex;
	int link_fd; /* tcx; -1: classic filter */
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
};

struct media_kfwd {
	struct bpf_object *obj;
	int prog_fd, map_fd;
	unsigned map_id;
	unsigned nifs;
	struct media_kfwd_if ifs[MEDIA_SIDES];
	const char *attach; /* "tcx", "clsact" or "tcx+clsact" */
};

/* libbpf's messages: fmt is libbpf's format for ap (the attribute lets
 * clang's -Wformat-nonliteral see that). */
__attribute__((format(printf, 2, 0))) static int
media_kfwd_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	if (level == LIBBPF_DEBUG || !config_log_enabled(SUB, LOG_LEVEL_DEBUG))
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	config_log_write(SUB, LOG_LEVEL_DEBUG, NULL, "libbpf: %s", line);
	return 0;
}

/* The interface that holds the IPv4 address a: its index (0: none),
 * whether it is a loopback, the address's subnet. */
static unsigned media_kfwd_ifindex(const union media_addr *a,
				   struct media_fwd_side *fs)
{
	struct ifaddrs *ifs, *i;
	unsigned index = 0;

	if (getifaddrs(&ifs))
		return 0;
	for (i = ifs; i && !index; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr !=
			    a->in.sin_addr.s_addr)
			continue;
		index = if_nametoindex(i->ifa_name);
		fs->loopback = i->ifa_flags & IFF_LOOPBACK;
		if (i->ifa_netmask)
			fs->mask = ((struct sockaddr_in *)i->ifa_netmask)
					   ->sin_addr.s_addr;
		fs->net = a->in.sin_addr.s_addr & fs->mask;
	}
	freeifaddrs(ifs);
	return index;
}

/* Each IPv4 side's interface; false: none (why says so). */
static bool media_kfwd_sides(struct media_engine *e, char *why, size_t len)
{
	bool any = false;
	int side;

	for (side = 0; side < MEDIA_SIDES; side++) {
		const union media_addr *b = &e->bind[side];
		struct media_fwd_side *fs = &e->kfwd_side[side];

		memset(fs, 0, sizeof(*fs));
		if (!e->has_side[side] || b->sa.sa_family != AF_INET ||
		    media_addr_is_any(b))
			continue;
		fs->ifindex = media_kfwd_ifindex(b, fs);
		if (fs->ifindex)
			any = true;
		else
			LOGW(SUB, NULL,
			     "media address %s is on no interface: "
			     "its packets stay with the relay",
			     e->addr[side]);
	}
	if (!any)
		snprintf(why, len,
			 "no media address is an IPv4 address of an "
			 "interface (IPv6 and 0.0.0.0 stay with "
			 "the relay)");
	return any;
}

static int media_kfwd_classic(struct media_kfwd_if *f, int prog_fd)
{
	int err;

	f->hook.sz = sizeof(f->hook);
	f->hook.ifindex = f->ifindex;
	f->hook.attach_point = BPF_TC_INGRESS;
	err = -bpf_tc_hook_create(&f->hook);
	if (err && err != EEXIST)
		return err;
	f->opts.sz = sizeof(f->opts);
	f->opts.handle = MEDIA_TC_HANDLE;
	f->opts.priority = MEDIA_TC_PRIO;
	if (!bpf_tc_query(&f->hook, &f->opts)) { /* an earlier trunkd's */
		LOGW(SUB, NULL,
		     "removing a stale tc filter of ours on "
		     "interface %d",
		     f->ifindex);
		f->opts.prog_fd = f->opts.prog_id = f->opts.flags = 0;
		bpf_tc_detach(&f->hook, &f->opts);
	}
	f->opts.prog_fd = prog_fd;
	f->opts.prog_id = 0;
	f->opts.flags = BPF_TC_F_REPLACE;
	return -bpf_tc_attach(&f->hook, &f->opts);
}

/* Attach to ifindex's ingress: tcx, else clsact. 0 or an errno value. */
static int media_kfwd_attach_if(struct media_kfwd *k, int ifindex)
{
	struct media_kfwd_if *f = &k->ifs[k->nifs];
	unsigned i;
	int err;

	for (i = 0; i < k->nifs; i++)
		if (k->ifs[i].ifindex == ifindex)
			return 0; /* sides on one interface */
	memset(f, 0, sizeof(*f));
	f->ifindex = ifindex;
	f->link_fd = bpf_link_create(
		k->prog_fd, ifindex,
		(enum bpf_attach_type)MEDIA_BPF_TCX_INGRESS, NULL);
	if (f->link_fd < 0) {
		err = media_kfwd_classic(f, k->prog_fd);
		if (err)
			return err;
		f->link_fd = -1;
	}
	k->nifs++;
	return 0;
}

static int media_kfwd_fail(struct media_kfwd *k, int err, char *why, size_t len,
			   const char *what)
{
	snprintf(why, len, "%s: %s%s", what, strerror(err),
		 err == EPERM || err == EACCES
			 ? " (trunkd needs CAP_BPF and CAP_NET_ADMIN)"
			 : "");
	media_kfwd_close(k);
	return err;
}

int media_kfwd_open(struct media_engine *e, struct media_kfwd **out, char *why,
		    size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "trunkd_kfwd");
	struct bpf_map_info info = { 0 };
	__u32 info_len = sizeof(info);
	struct media_kfwd *k;
	struct bpf_program *prog;
	bool tcx = false, classic = false;
	int err, side;
	unsigned i;

	*out = NULL;
	if (!media_kfwd_sides(e, why, len))
		return EADDRNOTAVAIL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return ENOMEM;
	k->prog_fd = k->map_fd = -1;
	libbpf_set_print(media_kfwd_print);
	k->obj = bpf_object__open_mem(media_kfwd_obj, media_kfwd_obj_len, &oo);
	if (!k->obj)
		return media_kfwd_fail(k, errno, why, len, "the tc program");
	err = -bpf_object__load(k->obj);
	if (err)
		return media_kfwd_fail(k, err, why, len,
				       "the kernel refused the tc program");
	prog = bpf_object__find_program_by_name(k->obj, "media_kfwd_tc");
	k->map_fd = bpf_object__find_map_fd_by_name(k->obj, "media_kfwd");
	if (!prog || k->map_fd < 0)
		return media_kfwd_fail(k, ENOENT, why, len, "the tc program");
	k->prog_fd = bpf_program__fd(prog);
	if (!bpf_obj_get_info_by_fd(k->map_fd, &info, &info_len))
		k->map_id = info.id;
	for (side = 0; side < MEDIA_SIDES; side++) {
		if (!e->kfwd_side[side].ifindex)
			continue;
		err = media_kfwd_attach_if(k, (int)e->kfwd_side[side].ifindex);
		if (err) {
			char what[96];

			snprintf(what, sizeof(what),
				 "attaching to the ingress of interface %u "
				 "(of %s)",
				 e->kfwd_side[side].ifindex, e->addr[side]);
			return media_kfwd_fail(k, err, why, len, what);
		}
	}
	for (i = 0; i < k->nifs; i++)
		*(k->ifs[i].link_fd >= 0 ? &tcx : &classic) = true;
	k->attach = tcx && classic ? "tcx+clsact" : tcx ? "tcx" : "clsact";
	*out = k;
	return 0;
}

void media_kfwd_close(struct media_kfwd *k)
{
	struct media_kfwd_if *f;
	unsigned i;

	if (!k)
		return;
	for (i = 0; i < k->nifs; i++) {
		f = &k->ifs[i];
		if (f->link_fd >= 0) {
			close(f->link_fd);
			continue;
		}
		f->opts.prog_fd = f->opts.prog_id = f->opts.flags = 0;
		bpf_tc_detach(&f->hook, &f->opts); /* the qdisc stays */
	}
	bpf_object__close(k->obj);
	free(k);
}

int media_kfwd_put(struct media_kfwd *k, const struct media_kfwd_key *key,
		   const struct media_kfwd_val *val)
{
	return bpf_map_update_elem(k->map_fd, key, val, BPF_ANY) ? errno : 0;
}

int media_kfwd_get(struct media_kfwd *k, const struct media_kfwd_key *key,
		   struct media_kfwd_val *val)
{
	return bpf_map_lookup_elem(k->map_fd, key, val) ? errno : 0;
}

int media_kfwd_del(struct media_kfwd *k, const struct media_kfwd_key *key)
{
	return bpf_map_delete_elem(k->map_fd, key) ? errno : 0;
}

unsigned media_kfwd_map_id(const struct media_kfwd *k)
{
	return k->map_id;
}

const char *media_kfwd_attach(const struct media_kfwd *k)
{
	return k->attach;
}

/*
 * bench_relay.c's `tc` mode, the userspace half (relay_tc.h): loads
 * relay_tc.bpf.o with libbpf, attaches it to lo's clsact ingress hook
 * and writes a session's two map entries once both legs have latched.
 * Built only when meson finds libbpf and clang.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "relay_tc.h"

struct relay_tc {
	struct bpf_object *obj;
	int map_fd;
	unsigned ifindex;
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	bool hook_created, attached;
};

/* In the initial network namespace, or cannot tell? kthreadd (pid 2)
 * lives there; pid 1 may not be readable (a sandbox's init). */
static bool initial_netns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) ||
	    (stat("/proc/2/ns/net", &init) && stat("/proc/1/ns/net", &init)))
		return true;
	return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
}

static int tc_fail(struct relay_tc *t, const char *what, int err)
{
	fprintf(stderr, "tc: %s: %s\n", what, strerror(err));
	relay_tc_close(t);
	return err;
}

int relay_tc_open(const char *path, struct relay_tc **out)
{
	struct relay_tc *t = calloc(1, sizeof(*t));
	struct bpf_program *prog;
	int err;

	if (!t)
		return ENOMEM;
	if (initial_netns())
		return tc_fail(t,
			       "refused in the initial network namespace "
			       "(run it through netns.sh)",
			       EPERM);
	t->ifindex = if_nametoindex("lo");
	if (!t->ifindex)
		return tc_fail(t, "lo", errno);
	t->obj = bpf_object__open_file(path, NULL);
	if (!t->obj)
		return tc_fail(t, path, errno);
	err = -bpf_object__load(t->obj);
	if (err)
		return tc_fail(t, "load", err);
	prog = bpf_object__find_program_by_name(t->obj, "relay_tc");
	t->map_fd = bpf_object__find_map_fd_by_name(t->obj, "relay_map");
	if (!prog || t->map_fd < 0)
		return tc_fail(t, "relay_tc or relay_map missing", ENOENT);
	t->hook.sz = sizeof(t->hook);
	t->hook.ifindex = (int)t->ifindex;
	t->hook.attach_point = BPF_TC_INGRESS;
	err = -bpf_tc_hook_create(&t->hook);
	if (err && err != EEXIST)
		return tc_fail(t, "clsact on lo", err);
	t->hook_created = !err;
	t->opts.sz = sizeof(t->opts);
	t->opts.prog_fd = bpf_program__fd(prog);
	err = -bpf_tc_attach(&t->hook, &t->opts);
	if (err)
		return tc_fail(t, "attach to lo ingress", err);
	t->attached = true;
	*out = t;
	return 0;
}

static int tc_entry(struct relay_tc *t, const struct sockaddr_in *sock,
		    const struct sockaddr_in *peer,
		    const struct sockaddr_in *other,
		    const struct sockaddr_in *other_peer)
{
	struct relay_tc_key key = { .addr = sock->sin_addr.s_addr,
				    .port = sock->sin_port };
	struct relay_tc_val v = {
		.peer_addr = peer->sin_addr.s_addr,
		.peer_port = peer->sin_port,
		.src_addr = other->sin_addr.s_addr,
		.src_port = other->sin_port,
		.dst_addr = other_peer->sin_addr.s_addr,
		.dst_port = other_peer->sin_port,
		.ifindex = t->ifindex,
	};

	return bpf_map_update_elem(t->map_fd, &key, &v, BPF_ANY) ? errno : 0;
}

int relay_tc_install(struct relay_tc *t, const struct sockaddr_in *a,
		     const struct sockaddr_in *peer_a,
		     const struct sockaddr_in *b,
		     const struct sockaddr_in *peer_b)
{
	int err = tc_entry(t, a, peer_a, b, peer_b);

	return err ? err : tc_entry(t, b, peer_b, a, peer_a);
}

uint64_t relay_tc_packets(struct relay_tc *t)
{
	struct relay_tc_key key, next;
	struct relay_tc_val v;
	uint64_t sum = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(t->map_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(t->map_fd, &next, &v))
			sum += v.packets;
		key = next;
		prev = &key;
	}
	return sum;
}

void relay_tc_close(struct relay_tc *t)
{
	if (!t)
		return;
	if (t->attached) {
		t->opts.prog_fd = t->opts.flags = t->opts.prog_id = 0;
		bpf_tc_detach(&t->hook, &t->opts);
	}
	if (t->hook_created) {
		t->hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&t->hook);
	}
	bpf_object__close(t->obj);
	free(t);
}

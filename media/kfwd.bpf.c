/*
 * RTP forwarded in the kernel ([media] kernel_forwarding, docs/media.md):
 * a BPF_PROG_TYPE_SCHED_CLS program on the ingress of the media
 * addresses' interfaces. An IPv4 UDP datagram whose destination is a relay
 * RTP socket in media_kfwd (kfwd_map.h), whose source is that leg's
 * latched peer, and which relay.c would relay unchanged (RTP version 2,
 * the CSRCs present, a negotiated payload type, not over
 * MEDIA_KFWD_MAX_PAYLOAD) is rewritten as the relay would send it (from
 * the other leg's socket to the other leg's latched peer), its checksums
 * patched, counted in the entry and redirected: on loopback to lo's
 * egress (it comes back in with a destination not in the map), elsewhere
 * to the interface and next hop of a FIB lookup, made before anything is
 * rewritten, or, where that lookup refuses (IPv4 forwarding off on the
 * interface) and the destination is on the link of the media address,
 * through that interface with the kernel's neighbour lookup. Anything else, a failed lookup included, goes on to the
 * socket: the media thread relays it, latches, re-latches or drops it.
 *
 * Built by meson with clang -target bpf and embedded in trunkd
 * (media/meson.build, embed.py).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kfwd_map.h"
#include "kfwd_rewrite.h"

#define AF_INET_ 2

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEDIA_KFWD_MAX_ENTRIES);
	__type(key, struct media_kfwd_key);
	__type(value, struct media_kfwd_val);
} media_kfwd SEC(".maps");

/* What relay.c's media_rtp_valid() and media_pt_allowed() accept. */
static __always_inline int rtp_ok(const struct media_kfwd_val *v,
				  const unsigned char *rtp, __u32 len)
{
	__u32 pt = rtp[1] & 0x7f;

	if (len < 12u + 4u * (rtp[0] & 0x0f) || len > MEDIA_KFWD_MAX_PAYLOAD)
		return 0;
	if (pt >= 72 && pt <= 76)
		return 0;
	return (v->pt_mask[pt >> 6] >> (pt & 63)) & 1;
}

/* Off loopback: how the packet leaves toward the rewritten destination:
 * 1 through the FIB's interface and next-hop MACs (p), 2 through
 * v->ifindex with the kernel's neighbour lookup (an on-link destination
 * where the FIB lookup refuses: IPv4 forwarding off on the interface, or
 * no neighbour entry yet), 0: not here (the socket, the relay sends). */
static __always_inline int next_hop(struct __sk_buff *skb,
				    const struct media_kfwd_val *v, __u16 len,
				    struct bpf_fib_lookup *p)
{
	int rc;

	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET_;
	p->l4_protocol = IPPROTO_UDP;
	p->sport = v->src_port;
	p->dport = v->dst_port;
	p->tot_len = len;
	p->ipv4_src = v->src_addr;
	p->ipv4_dst = v->dst_addr;
	p->ifindex = skb->ingress_ifindex;
	rc = bpf_fib_lookup(skb, p, sizeof(*p), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		return 1;
	if ((rc == BPF_FIB_LKUP_RET_FWD_DISABLED ||
	     rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	    v->flags & MEDIA_KFWD_F_ONLINK)
		return 2;
	return 0;
}

SEC("tc")
int media_kfwd_tc(struct __sk_buff *skb)
{
	struct media_kfwd_key key = { 0 };
	struct bpf_fib_lookup fib;
	struct media_kfwd_val *v;
	struct kfwd_pkt p;
	struct iphdr *ip;
	struct udphdr *udp;
	unsigned char *rtp;
	__u32 len;
	__u16 tot_len;
	int how = 0; /* loopback; 1, 2: next_hop() */

	if (parse_udp4(skb, &p))
		return TC_ACT_OK;
	ip = p.ip;
	udp = p.udp;
	rtp = p.rtp;
	key.addr = ip->daddr;
	key.port = udp->dest;
	v = bpf_map_lookup_elem(&media_kfwd, &key);
	if (!v || ip->saddr != v->peer_addr || udp->source != v->peer_port)
		return TC_ACT_OK; /* the socket: latch, re-latch or drop */
	tot_len = bpf_ntohs(ip->tot_len);
	len = bpf_ntohs(udp->len);
	if (len < sizeof(struct udphdr) || tot_len < UDP_OFF - IP_OFF + len ||
	    (rtp[0] & 0xc0) != 0x80 ||
	    !rtp_ok(v, rtp, len - sizeof(struct udphdr)))
		return TC_ACT_OK; /* the socket: dropped and counted there */
	if (!(v->flags & MEDIA_KFWD_F_LOOPBACK)) {
		how = next_hop(skb, v, tot_len, &fib);
		if (!how)
			return TC_ACT_OK; /* the socket: userspace relays */
	}
	rewrite(skb, &p, v->src_addr, v->src_port, v->dst_addr, v->dst_port);
	if (how == 1) {
		bpf_skb_store_bytes(skb, 0, fib.dmac, ETH_ALEN, 0);
		bpf_skb_store_bytes(skb, ETH_ALEN, fib.smac, ETH_ALEN, 0);
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, len - sizeof(struct udphdr));
	v->last_ns = bpf_ktime_get_ns();
	if (how == 1)
		return bpf_redirect(fib.ifindex, 0);
	if (how == 2) /* the rewritten destination's neighbour */
		return bpf_redirect_neigh(v->ifindex, NULL, 0, 0);
	return bpf_redirect(v->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * In-kernel RTP forwarding for bench_relay.c's `tc` mode (a measurement,
 * not part of trunkd): a BPF_PROG_TYPE_SCHED_CLS program on the clsact
 * ingress hook of lo. An IPv4 UDP datagram whose destination (address,
 * port) is a latched relay socket in relay_map, and whose source is that
 * leg's latched peer, is rewritten as the relay would send it (source:
 * the other leg's socket; destination: the other leg's peer), its IPv4
 * and UDP checksums patched, counted in the entry, and redirected to the
 * egress of the entry's interface (lo: it comes back in at ingress with a
 * destination that is not in the map and is delivered normally). Anything
 * else (not in the map, another source, not RTP version 2, IP options or
 * fragments) goes on to the socket: userspace latches and relays it.
 *
 *   clang -O2 -g -target bpf -c relay_tc.bpf.c
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kfwd_rewrite.h" /* media/ */
#include "relay_tc.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RELAY_TC_MAX_ENTRIES);
	__type(key, struct relay_tc_key);
	__type(value, struct relay_tc_val);
} relay_map SEC(".maps");

SEC("tc")
int relay_tc(struct __sk_buff *skb)
{
	struct relay_tc_key key = { 0 };
	struct relay_tc_val *v;
	struct kfwd_pkt p;
	struct iphdr *ip;
	struct udphdr *udp;

	if (parse_udp4(skb, &p) || (p.rtp[0] & 0xc0) != 0x80)
		return TC_ACT_OK;
	ip = p.ip;
	udp = p.udp;
	key.addr = ip->daddr;
	key.port = udp->dest;
	v = bpf_map_lookup_elem(&relay_map, &key);
	if (!v || ip->saddr != v->peer_addr || udp->source != v->peer_port)
		return TC_ACT_OK; /* userspace: latch, re-latch or drop */
	rewrite(skb, &p, v->src_addr, v->src_port, v->dst_addr, v->dst_port);
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, skb->len - UDP_OFF);
	v->last_ns = bpf_ktime_get_ns();
	return bpf_redirect(v->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

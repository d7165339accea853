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

#include "relay_tc.h"

#define IP_OFF	      sizeof(struct ethhdr)
#define UDP_OFF	      (IP_OFF + sizeof(struct iphdr))
#define RTP_OFF	      (UDP_OFF + sizeof(struct udphdr))
#define IP_CSUM_OFF   (IP_OFF + __builtin_offsetof(struct iphdr, check))
#define IP_SADDR_OFF  (IP_OFF + __builtin_offsetof(struct iphdr, saddr))
#define UDP_CSUM_OFF  (UDP_OFF + __builtin_offsetof(struct udphdr, check))
#define UDP_SPORT_OFF (UDP_OFF + __builtin_offsetof(struct udphdr, source))

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RELAY_TC_MAX_ENTRIES);
	__type(key, struct relay_tc_key);
	__type(value, struct relay_tc_val);
} relay_map SEC(".maps");

/* Replace a 4-byte address: the UDP checksum covers it through the
 * pseudo-header. */
static __always_inline void set_addr(struct __sk_buff *skb, __u32 off,
				     __u32 old, __u32 new)
{
	if (old == new)
		return;
	bpf_l4_csum_replace(skb, UDP_CSUM_OFF, old, new,
			    BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 4);
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old, new, 4);
	bpf_skb_store_bytes(skb, off, &new, 4, 0);
}

static __always_inline void set_port(struct __sk_buff *skb, __u32 off,
				     __u16 old, __u16 new)
{
	if (old == new)
		return;
	bpf_l4_csum_replace(skb, UDP_CSUM_OFF, old, new,
			    BPF_F_MARK_MANGLED_0 | 2);
	bpf_skb_store_bytes(skb, off, &new, 2, 0);
}

SEC("tc")
int relay_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + IP_OFF;
	struct udphdr *udp = data + UDP_OFF;
	unsigned char *rtp = data + RTP_OFF;
	struct relay_tc_key key = { 0 };
	struct relay_tc_val *v;
	__u32 saddr, daddr;
	__u16 sport, dport;

	if ((void *)(rtp + 12) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    ip->frag_off & bpf_htons(0x3fff) || (rtp[0] & 0xc0) != 0x80)
		return TC_ACT_OK;
	key.addr = ip->daddr;
	key.port = udp->dest;
	v = bpf_map_lookup_elem(&relay_map, &key);
	if (!v || ip->saddr != v->peer_addr || udp->source != v->peer_port)
		return TC_ACT_OK; /* userspace: latch, re-latch or drop */
	saddr = ip->saddr;
	daddr = ip->daddr;
	sport = udp->source;
	dport = udp->dest;
	set_addr(skb, IP_SADDR_OFF, saddr, v->src_addr);
	set_addr(skb, IP_SADDR_OFF + 4, daddr, v->dst_addr);
	set_port(skb, UDP_SPORT_OFF, sport, v->src_port);
	set_port(skb, UDP_SPORT_OFF + 2, dport, v->dst_port);
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, skb->len - UDP_OFF);
	v->last_ns = bpf_ktime_get_ns();
	return bpf_redirect(v->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * BPF side only: the offsets of an IPv4/UDP/RTP packet behind an Ethernet
 * header (no IP options) and the rewrite of its addresses and ports with
 * the checksums patched, shared by trunkd's tc program (kfwd.bpf.c) and
 * the benchmark's stand-in (tests/bench/media/relay_tc.bpf.c).
 */
#ifndef TRUNKD_MEDIA_KFWD_REWRITE_H
#define TRUNKD_MEDIA_KFWD_REWRITE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define IP_OFF	      sizeof(struct ethhdr)
#define UDP_OFF	      (IP_OFF + sizeof(struct iphdr))
#define RTP_OFF	      (UDP_OFF + sizeof(struct udphdr))
#define IP_CSUM_OFF   (IP_OFF + __builtin_offsetof(struct iphdr, check))
#define IP_SADDR_OFF  (IP_OFF + __builtin_offsetof(struct iphdr, saddr))
#define UDP_CSUM_OFF  (UDP_OFF + __builtin_offsetof(struct udphdr, check))
#define UDP_SPORT_OFF (UDP_OFF + __builtin_offsetof(struct udphdr, source))

/* A packet's headers and the start of its UDP payload (RTP's). */
struct kfwd_pkt {
	struct iphdr *ip;
	struct udphdr *udp;
	unsigned char *rtp; /* 12 bytes readable */
};

/* 0 when skb is IPv4 without options, not a fragment, UDP with at least
 * 12 bytes after its header (p set); else -1. */
static __always_inline int parse_udp4(struct __sk_buff *skb, struct kfwd_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	p->ip = data + IP_OFF;
	p->udp = data + UDP_OFF;
	p->rtp = data + RTP_OFF;
	if ((void *)(p->rtp + 12) > end ||
	    eth->h_proto != bpf_htons(ETH_P_IP) || p->ip->ihl != 5 ||
	    p->ip->protocol != IPPROTO_UDP ||
	    p->ip->frag_off & bpf_htons(0x3fff))
		return -1;
	return 0;
}

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

/* The packet p now goes from saddr:sport to daddr:dport (network
 * order); read what it held before anything is stored (the stores may
 * move the packet's data). */
static __always_inline void rewrite(struct __sk_buff *skb,
				    const struct kfwd_pkt *p, __u32 saddr,
				    __u16 sport, __u32 daddr, __u16 dport)
{
	__u32 os = p->ip->saddr, od = p->ip->daddr;
	__u16 osp = p->udp->source, odp = p->udp->dest;

	set_addr(skb, IP_SADDR_OFF, os, saddr);
	set_addr(skb, IP_SADDR_OFF + 4, od, daddr);
	set_port(skb, UDP_SPORT_OFF, osp, sport);
	set_port(skb, UDP_SPORT_OFF + 2, odp, dport);
}

#endif

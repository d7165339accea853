/*
 * The map shared by kfwd.bpf.c (the tc program, in the kernel) and the
 * media threads (forward.c, kfwd.c): one entry per relay RTP socket whose
 * direction the kernel forwards, keyed by that socket's address. Addresses
 * and ports in network byte order, the rest in host order.
 */
#ifndef TRUNKD_MEDIA_KFWD_MAP_H
#define TRUNKD_MEDIA_KFWD_MAP_H

#include <linux/types.h>

#define MEDIA_KFWD_MAX_ENTRIES 65536
/* Longest RTP payload forwarded: relay.c's MEDIA_MAX_PACKET (a longer
 * datagram goes to the socket, where it is dropped as malformed). */
#define MEDIA_KFWD_MAX_PAYLOAD 2048

/* media_kfwd_val.flags */
#define MEDIA_KFWD_F_LOOPBACK 1 /* out through ifindex's egress as it is */
/* The destination is in the subnet of ifindex's media address: where the
 * FIB lookup refuses (IPv4 forwarding off on the interface), out through
 * ifindex with the kernel's neighbour lookup (bpf_redirect_neigh). */
#define MEDIA_KFWD_F_ONLINK 2

struct media_kfwd_key {
	__u32 addr; /* the relay socket's (the packet's destination) */
	__u16 port;
	__u16 pad; /* 0 */
};

struct media_kfwd_val {
	__u32 peer_addr; /* the latched source: others go to the socket */
	__u16 peer_port;
	__u16 src_port; /* rewritten: the other leg's RTP socket */
	__u32 src_addr;
	__u32 dst_addr; /* rewritten: the other leg's latched peer */
	__u16 dst_port;
	__u16 flags;
	__u32 ifindex;	  /* F_LOOPBACK: redirected to its egress */
	__u64 pt_mask[2]; /* payload types forwarded (bit pt) */
	__u64 packets;	  /* forwarded by the kernel */
	__u64 bytes;	  /* their RTP bytes (UDP payload) */
	__u64 last_ns;	  /* bpf_ktime_get_ns() of the last one */
};

#endif

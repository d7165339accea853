/*
 * Printing a parsed SDP session as Sofia-SIP's sdp_print() prints it,
 * without its printf per fragment (~6,000 instructions for a one-codec
 * SDP: every SDP we send is printed, a call prints two). The walk is
 * sdp_print()'s (session lines in RFC 4566 order, then per m= line its
 * formats, i=, c=, b=, the a=rtpmap and a=fmtp of its rtpmaps, the mode
 * when it differs from the session's, the other attributes), so the text
 * is the same byte for byte; whatever the walk would print in a way that
 * differs between Sofia's versions, or not at all (r=, z=, k=, an m=
 * line without formats, an unnamed attribute, a missing address), is
 * declined: the caller prints with sdp_print() then. The unit test
 * sdp/print_same and the SDP fuzz target compare both printers.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>

#include "sdp.h"

/* An SDP we send is a few hundred bytes; longer ones are declined. */
#define SDP_PRINT_MAX 4096

struct sdp_out {
	char buf[SDP_PRINT_MAX];
	size_t len;
	bool ok;
};

static void out_mem(struct sdp_out *o, const char *s, size_t n)
{
	if (!o->ok || n >= sizeof(o->buf) - o->len) {
		o->ok = false;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

/* A string Sofia prints with %s: NULL would print "(null)", declined. */
static void out_str(struct sdp_out *o, const char *s)
{
	if (!s)
		o->ok = false;
	else
		out_mem(o, s, strlen(s));
}

#define OUT_LIT(o, lit) out_mem((o), (lit), sizeof(lit) - 1)

static void out_u64(struct sdp_out *o, uint64_t v)
{
	char d[20], *p = d + sizeof(d);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	out_mem(o, p, (size_t)(d + sizeof(d) - p));
}

/* print_connection2(): what follows "c=" or the o= line's session id and
 * version. */
static void out_connection(struct sdp_out *o, const sdp_connection_t *c)
{
	const char *type;

	if (c->c_nettype != sdp_net_in && c->c_nettype != sdp_net_x) {
		o->ok = false; /* a printing error */
		return;
	}
	switch (c->c_addrtype) {
	case sdp_addr_ip4:
		type = "IN IP4 ";
		break;
	case sdp_addr_ip6:
		type = "IN IP6 ";
		break;
	case sdp_addr_x:
		/* "IN" without an address type: sdp_print() passes one
		 * argument too few to its format, declined. */
		type = c->c_nettype == sdp_net_x ? "" : NULL;
		break;
	default:
		type = NULL; /* a printing error */
		break;
	}
	out_str(o, type);
	out_str(o, c->c_address);
	if (c->c_mcast || c->c_ttl) {
		OUT_LIT(o, "/");
		out_u64(o, c->c_ttl);
		if (c->c_groups > 1) {
			OUT_LIT(o, "/");
			out_u64(o, c->c_groups);
		}
	}
	OUT_LIT(o, "\r\n");
}

static void out_connections(struct sdp_out *o, const sdp_connection_t *c)
{
	for (; c && o->ok; c = c->c_next) {
		OUT_LIT(o, "c=");
		out_connection(o, c);
	}
}

static void out_bandwidths(struct sdp_out *o, const sdp_bandwidth_t *b)
{
	static const char *const names[] = {
		[sdp_bw_ct] = "CT",
		[sdp_bw_as] = "AS",
	};

	for (; b && o->ok; b = b->b_next) {
		/* TIAS, RS and RR print by name in some versions only. */
		if (b->b_modifier != sdp_bw_ct && b->b_modifier != sdp_bw_as &&
		    b->b_modifier != sdp_bw_x) {
			o->ok = false;
			return;
		}
		OUT_LIT(o, "b=");
		out_str(o, b->b_modifier == sdp_bw_x ? b->b_modifier_name
						     : names[b->b_modifier]);
		OUT_LIT(o, ":");
		out_u64(o, b->b_value);
		OUT_LIT(o, "\r\n");
	}
}

static void out_line(struct sdp_out *o, const char *prefix, const char *text)
{
	out_str(o, prefix);
	out_str(o, text);
	OUT_LIT(o, "\r\n");
}

static void out_attribute(struct sdp_out *o, const sdp_attribute_t *a)
{
	OUT_LIT(o, "a=");
	out_str(o, a->a_name);
	if (a->a_value) {
		OUT_LIT(o, ":");
		out_str(o, a->a_value);
	}
	OUT_LIT(o, "\r\n");
}

/* The m= line's media and protocol names as every Sofia version prints
 * them, or NULL (declined). */
static const char *sdp_media_name(const sdp_media_t *m)
{
	static const char *const names[] = {
		[sdp_media_audio] = "audio",
		[sdp_media_video] = "video",
		[sdp_media_application] = "application",
		[sdp_media_data] = "data",
		[sdp_media_control] = "control",
		[sdp_media_message] = "message",
		[sdp_media_image] = "image",
	};

	if ((unsigned)m->m_type < sizeof(names) / sizeof(names[0]) &&
	    names[m->m_type])
		return names[m->m_type];
	/* Newer types (text) print a constant in newer versions only. */
	return m->m_type == sdp_media_x ? m->m_type_name : NULL;
}

static const char *sdp_proto_name(const sdp_media_t *m)
{
	switch (m->m_proto) {
	case sdp_proto_rtp:
		return "RTP/AVP";
	case sdp_proto_udp:
		return "udp";
	case sdp_proto_tcp:
		return "tcp";
	case sdp_proto_tls:
		return "tls";
	case sdp_proto_srtp:
		/* A constant in some versions, the name in others: the
		 * same only when the name is already the constant. */
		return m->m_proto_name && !strcmp(m->m_proto_name, "RTP/SAVP")
			       ? m->m_proto_name
			       : NULL;
	case sdp_proto_udptl:
		return m->m_proto_name && !strcmp(m->m_proto_name, "udptl")
			       ? m->m_proto_name
			       : NULL;
	case sdp_proto_x:
		return m->m_proto_name;
	default:
		return NULL;
	}
}

static void out_media(struct sdp_out *o, const sdp_session_t *sess,
		      const sdp_media_t *m)
{
	unsigned session_mode =
		sdp_attribute_mode(sess->sdp_attributes, sdp_sendrecv);
	static const char *const modes[] = {
		[sdp_inactive] = "a=inactive\r\n",
		[sdp_sendonly] = "a=sendonly\r\n",
		[sdp_recvonly] = "a=recvonly\r\n",
		[sdp_sendrecv] = "a=sendrecv\r\n",
	};
	const sdp_rtpmap_t *rm;
	const sdp_attribute_t *a;
	const sdp_list_t *l;

	for (; m && o->ok; m = m->m_next) {
		OUT_LIT(o, "m=");
		out_str(o, sdp_media_name(m));
		OUT_LIT(o, " ");
		/* Sofia prints the unsigned longs with %u: their low 32
		 * bits. */
		out_u64(o, (unsigned)m->m_port);
		if (m->m_number_of_ports > 1) {
			OUT_LIT(o, "/");
			out_u64(o, (unsigned)m->m_number_of_ports);
		}
		OUT_LIT(o, " ");
		out_str(o, sdp_proto_name(m));
		if (m->m_rtpmaps) {
			for (rm = m->m_rtpmaps; rm; rm = rm->rm_next)
				if (rm->rm_any) {
					OUT_LIT(o, " *");
				} else {
					OUT_LIT(o, " ");
					out_u64(o, rm->rm_pt);
				}
		} else if (m->m_format) {
			for (l = m->m_format; l; l = l->l_next) {
				OUT_LIT(o, " ");
				out_str(o, l->l_text);
			}
		} else {
			o->ok = false; /* a default format: version-dependent */
			return;
		}
		OUT_LIT(o, "\r\n");
		if (m->m_information)
			out_line(o, "i=", m->m_information);
		out_connections(o, m->m_connections);
		out_bandwidths(o, m->m_bandwidths);
		if (m->m_key) {
			o->ok = false;
			return;
		}
		for (rm = m->m_rtpmaps; rm && o->ok; rm = rm->rm_next) {
			if (!rm->rm_predef) {
				/* Without a name: version-dependent. */
				if (!rm->rm_encoding || !*rm->rm_encoding) {
					o->ok = false;
					return;
				}
				OUT_LIT(o, "a=rtpmap:");
				out_u64(o, rm->rm_pt);
				OUT_LIT(o, " ");
				out_str(o, rm->rm_encoding);
				OUT_LIT(o, "/");
				out_u64(o, rm->rm_rate);
				if (rm->rm_params) {
					OUT_LIT(o, "/");
					out_str(o, rm->rm_params);
				}
				OUT_LIT(o, "\r\n");
			}
			if (rm->rm_fmtp) {
				OUT_LIT(o, "a=fmtp:");
				out_u64(o, rm->rm_pt);
				OUT_LIT(o, " ");
				out_str(o, rm->rm_fmtp);
				OUT_LIT(o, "\r\n");
			}
		}
		if (!m->m_rejected && m->m_mode != session_mode)
			out_str(o, modes[m->m_mode]);
		for (a = m->m_attributes; a && o->ok; a = a->a_next) {
			if (!a->a_name) {
				o->ok = false;
				return;
			}
			if (!trunk_sdp_mode_name(a->a_name, NULL))
				out_attribute(o, a);
		}
	}
}

static void out_session(struct sdp_out *o, const sdp_session_t *sess)
{
	const sdp_origin_t * or = sess->sdp_origin;
	const sdp_time_t *t = sess->sdp_time;
	const sdp_attribute_t *a;
	const sdp_list_t *l;

	OUT_LIT(o, "v=");
	out_u64(o, sess->sdp_version[0]);
	OUT_LIT(o, "\r\n");
	if (or) {
		if (! or->o_address || ! or->o_address->c_address ||
		    or->o_address->c_ttl || or->o_address->c_groups > 1) {
			o->ok = false; /* a printing error */
			return;
		}
		OUT_LIT(o, "o=");
		out_str(o, or->o_username);
		OUT_LIT(o, " ");
		out_u64(o, or->o_id);
		OUT_LIT(o, " ");
		out_u64(o, or->o_version);
		OUT_LIT(o, " ");
		out_connection(o, or->o_address);
	}
	if (sess->sdp_subject)
		out_line(o, "s=", sess->sdp_subject);
	if (sess->sdp_information)
		out_line(o, "i=", sess->sdp_information);
	if (sess->sdp_uri)
		out_line(o, "u=", sess->sdp_uri);
	for (l = sess->sdp_emails; l; l = l->l_next)
		out_line(o, "e=", l->l_text);
	for (l = sess->sdp_phones; l; l = l->l_next)
		out_line(o, "p=", l->l_text);
	if (sess->sdp_connection) {
		OUT_LIT(o, "c=");
		out_connection(o, sess->sdp_connection);
	}
	out_bandwidths(o, sess->sdp_bandwidths);
	if (t) { /* only the first t= (sdp_print() does the same) */
		if (t->t_repeat || t->t_zone) {
			o->ok = false;
			return;
		}
		OUT_LIT(o, "t=");
		out_u64(o, t->t_start);
		OUT_LIT(o, " ");
		out_u64(o, t->t_stop);
		OUT_LIT(o, "\r\n");
	}
	if (sess->sdp_key) {
		o->ok = false;
		return;
	}
	if (sess->sdp_charset)
		out_line(o, "a=charset:", sess->sdp_charset);
	for (a = sess->sdp_attributes; a && o->ok; a = a->a_next)
		out_attribute(o, a);
	out_media(o, sess, sess->sdp_media);
}

char *trunk_sdp_print(su_home_t *home, const sdp_session_t *sess)
{
	struct sdp_out o;
	char *text;

	o.len = 0;
	o.ok = sess != NULL;
	if (o.ok)
		out_session(&o, sess);
	if (!o.ok || !(text = su_alloc(home, o.len + 1)))
		return NULL;
	memcpy(text, o.buf, o.len);
	text[o.len] = '\0';
	return text;
}

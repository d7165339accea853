/*
 * [media] settings: the RTP port range, codec preferences and the SRTP
 * policy per side (SIPconnect 14).
 */
#include <stdio.h>

#include "media.h"

static const struct config_key media_keys[] = {
	{ "rtp_port_min", CONFIG_INT, 1024, 65534, NULL, "20000", 0,
	  "Lowest UDP port of the RTP/RTCP range (even; RTCP is RTP+1)." },
	{ "rtp_port_max", CONFIG_INT, 1025, 65535, NULL, "29999", 0,
	  "Highest UDP port of the RTP/RTCP range." },
	{ "codecs", CONFIG_LIST, 1, 8, "PCMU|PCMA|G729", NULL, 0,
	  "The codecs of every trunk without its own [trunk] codecs list, "
	  "with the same meaning: the only codecs on those trunks' calls, "
	  "both ways, in the offerer's order (G.711 is not added; "
	  "telephone-event and CN still cross). Calls between enterprise "
	  "parties are not limited. Unset: every codec both peers list." },
	{ "dtmf_payload_type", CONFIG_INT, 96, 127, NULL, NULL, 0,
	  "Not supported yet: refused when set. trunkd relays the offerer's "
	  "telephone-event with its payload type as written and has no RFC "
	  "4733 relay that could renumber it (DTMF-1..3, docs/media.md)." },
	{ "srtp_enterprise", CONFIG_ENUM, 0, 0, "off|optional|required", "off",
	  0,
	  "SRTP toward phones and PBXs: off (RTP/AVP), optional (accept both, "
	  "offer SRTP), required (RTP/SAVP only). Not implemented yet: "
	  "accepted and validated, no effect (issue 5/3: SRTP)." },
	{ "srtp_trunk", CONFIG_ENUM, 0, 0, "off|optional|required", "optional",
	  0,
	  "SRTP toward the carrier (SRTP-1..4): SDES AES_CM_128_HMAC_SHA1_80 "
	  "with fresh keys on every offer. Not implemented yet: accepted and "
	  "validated, no effect (issue 5/3: SRTP)." },
	{ "rtp_timeout", CONFIG_DURATION, 0, 3600000, NULL, "60s", 0,
	  "End a confirmed call when neither RTP nor RTCP arrived for this "
	  "long from a peer expected to send (sendrecv toward a peer that "
	  "receives; never while ringing or held: docs/media.md) (0: never)." },
	{ "media_threads", CONFIG_INT, 0, 64, NULL, "0", CONFIG_F_RESTART,
	  "Media relay threads (0: one per CPU core)." },
	{ "kernel_forwarding", CONFIG_ENUM, 0, 0, "off|auto|on", "off",
	  CONFIG_F_RESTART,
	  "Forward latched RTP in the kernel (a tc BPF program on the media "
	  "addresses' interfaces, IPv4) instead of the media threads: off; "
	  "auto (if the program loads and attaches, else one warning and the "
	  "relay); on (trunkd does not start without it: not built, no "
	  "CAP_BPF/CAP_NET_ADMIN, or the kernel refused it). RTCP, IPv6, "
	  "holds and re-latching stay with the relay (docs/media.md)." },
	{ "echo_cancel", CONFIG_BOOL, 0, 0, NULL, "no", 0,
	  "G.168 echo cancellation on terminated audio (EC-1). Not implemented "
	  "yet: accepted and validated, no effect (issue EC-1, issue 3)." },
	{ NULL },
};

static int media_config_validate(const struct config_section *sec,
				 config_error_h *eh, void *arg)
{
	long long lo = config_get_int(sec, "rtp_port_min");
	long long hi = config_get_int(sec, "rtp_port_max");
	char why[160];
	int n = 0;

	/* Accepting a setting that changes nothing would mislead: refuse it
	 * until the RFC 4733 relay exists. */
	if (config_is_set(sec, "dtmf_payload_type")) {
		eh(config_section_file(sec),
		   config_key_line(sec, "dtmf_payload_type"),
		   "dtmf_payload_type: not supported yet (telephone-event "
		   "crosses with the offerer's payload type; there is no RFC "
		   "4733 relay to renumber it): remove the line",
		   arg);
		n++;
	}

	if (lo % 2) {
		snprintf(why, sizeof(why),
			 "rtp_port_min: %lld is odd; RTP ports are even", lo);
		eh(config_section_file(sec),
		   config_key_line(sec, "rtp_port_min"), why, arg);
		n++;
	}
	if (hi - lo < 3) {
		snprintf(why, sizeof(why),
			 "rtp_port_max: range %lld-%lld holds no RTP/RTCP pair "
			 "per leg; it must span at least 4 ports",
			 lo, hi);
		eh(config_section_file(sec),
		   config_key_line(sec, "rtp_port_max")
			   ?: config_section_line(sec),
		   why, arg);
		n++;
	}
	return n;
}

const struct config_section_def media_config_section = {
	.name = "media",
	.help = "Media anchoring: RTP/SRTP relay, codecs, DTMF, echo "
		"cancellation.",
	.keys = { media_keys, NULL },
	.validate = media_config_validate,
};

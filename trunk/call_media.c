/*
 * A call's media session seen from the call (media/ does the relay):
 * what each leg's peer said in its SDP, when silence ends the call, and
 * the engine's events. Crossing SDP between the legs is call_sdp_cross
 * (call.c).
 *
 * RTP timeout (issue 3, docs/media.md "RTP timeout"): the session is
 * watched only once the call is CONFIRMED, so a call that rings or waits
 * for its answer without early media is never ended for its silence; from
 * then on the media engine reports silence only from a peer that said it
 * sends to a peer that receives (sendrecv toward sendrecv/recvonly, with
 * addresses), so a held call (sendonly without music, inactive,
 * c=0.0.0.0) lasts as long as it is held.
 */
#include "call.h"

#include <string.h>

#define SUBSYS "trunk.call"

enum media_leg call_media_leg(const struct trunk_call *call,
			      const struct call_leg *leg)
{
	return leg == &call->a ? MEDIA_LEG_A : MEDIA_LEG_B;
}

void call_media_state(struct trunk_call *call)
{
	if (call->media && call->state == CALL_CONFIRMED)
		media_session_watch(call->media);
}

/* Tell the relay where leg `from`'s peer receives, from its SDP. */
void call_sdp_remote(struct trunk_call *call, struct call_leg *from,
		     const struct trunk_sdp_stream *st)
{
	enum media_leg ml = call_media_leg(call, from);
	/* An RFC 2543 hold (HOLD-2) names no host, whichever family it is
	 * written in: a peer of an IPv4 leg may well say c=IN IP6 ::. The
	 * relay is told the unspecified address of the leg's own family
	 * (any other family would be refused and leave it sending). */
	const char *hold = strchr(media_session_addr(call->media, ml), ':')
				   ? "::"
				   : "0.0.0.0";
	struct media_remote rm = {
		.addr = st->hold_2543 ? hold : st->addr,
		.rtp_port = st->port,
		.rtcp_port = st->rtcp_port,
		.dir = (enum media_dir)st->dir,
		.npt = st->npt,
		.pt = st->pt,
	};

	media_session_set_remote(call->media, ml, &rm);
	/* A session made after the call was confirmed (no SDP until a
	 * re-INVITE) is watched from its first SDP. */
	call_media_state(call);
}

int call_sdp_learn(struct trunk_call *call, struct call_leg *from,
		   sip_payload_t const *pl)
{
	struct trunk_sdp_remote rs;

	if (!pl || !call->media ||
	    trunk_sdp_remote(pl->pl_data, pl->pl_len, &rs, NULL, 0) ||
	    !rs.nstreams)
		return 488;
	call_sdp_remote(call, from, &rs.s[0]);
	return 0;
}

bool trunk_call_media_first_wanted(void *arg)
{
	(void)arg;
	return config_log_enabled(SUBSYS, LOG_LEVEL_DEBUG);
}

void trunk_call_media_event(const struct media_event *ev, void *arg)
{
	struct trunk_call *call = ev->session_arg;

	(void)arg;
	switch (ev->type) {
	case MEDIA_EVENT_FIRST_PACKET:
		LOGD(SUBSYS, call->ctx, "RTP from leg %c: %s",
		     ev->leg == MEDIA_LEG_A ? 'A' : 'B', ev->src);
		break;
	case MEDIA_EVENT_RTP_TIMEOUT:
		/* Only a confirmed call's session is watched; a call already
		 * ending is left to finish as it does. */
		if (call->state != CALL_CONFIRMED)
			break;
		/* A dead call: nobody sends media any more (issue 3). */
		LOGW(SUBSYS, call->ctx,
		     "no RTP or RTCP from leg %c: ending the call",
		     ev->leg == MEDIA_LEG_A ? 'A' : 'B');
		call_hangup(call, "RTP timeout");
		break;
	}
}

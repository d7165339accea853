/*
 * Our 2xx to an INVITE, sent again until its ACK arrives (RFC 3261
 * 13.3.1.4, 14.2; SIPconnect's reliance on RFC 3261 over UDP).
 *
 * trunkd's nta runs with NTATAG_UA(0): as a proxy core, it keeps the
 * server transaction of an INVITE it answered 2xx only to answer a
 * retransmitted INVITE with that 2xx (timer I), and never retransmits the
 * 2xx on its own (timer G runs only for a UA core). The core of a UAS must
 * (13.3.1.4), or a 2xx lost on UDP is never recovered: the caller keeps
 * waiting while the callee, ACKed by us, is in the call. So the call does
 * it, for the 2xx of A's INVITE and of every re-INVITE relayed on either
 * leg:
 *
 *        2xx sent (call.c, call_dialog.c)
 *   ─────────────────▶ WAITING ──ACK (same CSeq)──▶ freed
 *        │ every T1, 2*T1, ... at most T2 (UDP only): the same message
 *        │ 64*T1 without an ACK: the dialog is confirmed, the session
 *        ▼ ended: BYE on both legs (call_hangup), freed with the call
 *
 * What is kept while WAITING is a reference to the message nta sent (the
 * bytes sent again are the same, To-tag and all) and to its transport;
 * nothing once the ACK is in, so the memory per established call does not
 * change. Over TCP/TLS nothing is sent again (the transport is reliable),
 * but the 64*T1 wait for the ACK runs all the same.
 *
 * nta hands every ACK of a 2xx to the dialog (a proxy core does not
 * absorb it: nta.c incoming_ack()), whether or not it still holds the
 * INVITE transaction, so call_dialog.c sees each one and calls
 * call_retx_ack().
 *
 * A 2xx that nta holds back behind an unPRACKed reliable 18x of its own
 * (RFC 3262 3; test 109) is not sent yet: WAITING starts once nta has sent
 * it (checked every T1; A's INVITE transaction is kept by the call then).
 * The same for a re-INVITE's 2xx (the asker required 100rel and a 18x of
 * the answerer's went to it reliably) is not sent again: the call does not
 * keep that transaction.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SU_TIMER_ARG_T struct call_leg

#include "call.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/tport.h>

#define SUBSYS "trunk.call"

struct call_retx {
	su_timer_t *timer;
	msg_t *msg;	      /* our 2xx (a reference), NULL while held */
	nta_incoming_t *held; /* borrowed: the INVITE whose 2xx nta holds */
	tport_t *tport;	      /* the 2xx's transport (a reference) */
	uint32_t cseq;	      /* of the INVITE: its ACK's */
	bool reliable;	      /* TCP/TLS: wait for the ACK, send nothing */
	su_duration_t t1, t2;
	su_duration_t interval; /* until the next retransmission */
	su_duration_t waited;	/* since the 2xx went out */
};

static void retx_timer(su_root_magic_t *m, su_timer_t *t, struct call_leg *leg);

void call_retx_free(struct call_leg *leg)
{
	struct call_retx *r = leg->retx;

	if (!r)
		return;
	su_timer_destroy(r->timer);
	if (r->msg)
		msg_destroy(r->msg);
	if (r->tport)
		tport_unref(r->tport);
	free(r);
	leg->retx = NULL;
}

/* The 2xx went out: from now on, T1, 2*T1... until the ACK or 64*T1. */
static int retx_sent(struct call_leg *leg, nta_incoming_t *irq)
{
	struct call_retx *r = leg->retx;
	struct trunk_gateway *gw = leg->call->gw;

	r->msg = nta_incoming_getresponse(irq);
	r->tport = nta_incoming_transport(
		trunk_agent_nta(gw->agents[leg->side]), irq, NULL);
	if (!r->msg || !r->tport)
		return EINVAL;
	r->reliable = tport_is_reliable(r->tport);
	r->held = NULL;
	r->waited = 0;
	r->interval = r->reliable ? 64 * r->t1 : r->t1;
	return su_timer_set_interval(r->timer, retx_timer, leg, r->interval)
		       ? ENOMEM
		       : 0;
}

void call_retx_start(struct trunk_call *call, struct call_leg *leg,
		     nta_incoming_t *irq)
{
	struct trunk_gateway *gw = call->gw;
	struct call_retx *r;
	unsigned t2 = 4000;
	int status = nta_incoming_status(irq);
	int rc;

	call_retx_free(leg); /* a 2xx not ACKed before: the peer moved on */
	/* Held back by nta, only A's INVITE is watched: the call keeps that
	 * transaction while nta holds its 2xx (call.c), not a re-INVITE's. */
	if (status >= 300 || (status < 200 && irq != call->invite_a) ||
	    !(r = calloc(1, sizeof(*r))))
		return;
	leg->retx = r;
	t2 = trunk_agent_sip_t2(gw->agents[leg->side]);
	r->t1 = (su_duration_t)config_get_int(
		config_section_get(gw->cfg, "global", NULL), "sip_t1");
	r->t2 = t2 > (unsigned)r->t1 ? (su_duration_t)t2 : r->t1;
	r->cseq = nta_incoming_cseq(irq);
	r->timer = su_timer_create(su_root_task(gw->root), r->t1);
	if (!r->timer) {
		rc = ENOMEM;
	} else if (status < 200) { /* held behind a reliable 18x */
		r->held = irq;
		rc = su_timer_set_interval(r->timer, retx_timer, leg, r->t1)
			     ? ENOMEM
			     : 0;
	} else {
		rc = retx_sent(leg, irq);
	}
	if (rc) {
		LOGW(SUBSYS, call->ctx,
		     "leg %c: cannot keep our 2xx for retransmission",
		     leg == &call->a ? 'A' : 'B');
		call_retx_free(leg);
	}
}

/* The same bytes to the same place: where nta sent them (RFC 3261
 * 18.2.2: the top Via's received/rport, or maddr, or sent-by). */
static void retx_send(struct call_leg *leg)
{
	struct call_retx *r = leg->retx;
	sip_via_t const *v = sip_object(r->msg)->sip_via;
	tp_name_t tpn = { 0 };
	int rport = 1;

	if (!v)
		return;
	tpn.tpn_proto = sip_via_transport(v);
	tpn.tpn_canon = v->v_host;
	tpn.tpn_host = v->v_maddr      ? v->v_maddr
		       : v->v_received ? v->v_received
				       : v->v_host;
	tpn.tpn_port = sip_via_port(v, &rport);
	if (!tport_tsend(r->tport, r->msg, &tpn, TPTAG_MTU(INT_MAX), TAG_END()))
		LOGW(SUBSYS, leg->call->ctx,
		     "leg %c: cannot send our 2xx again: %s",
		     leg == &leg->call->a ? 'A' : 'B',
		     strerror(msg_errno(r->msg)));
}

/* 64*T1 and no ACK (RFC 3261 13.3.1.4): the dialog is confirmed, but the
 * session ends, by BYE; the B2BUA ends the other leg's too. An ACK owed
 * to the other leg (its 2xx carried an offer whose answer was to come in
 * this leg's ACK) goes first, without a body, so that its BYE is in a
 * confirmed dialog. */
static void retx_give_up(struct call_leg *leg)
{
	struct trunk_call *call = leg->call;

	LOGW(SUBSYS, call->ctx,
	     "leg %c never ACKed our 2xx (CSeq %u): ending the call",
	     leg == &call->a ? 'A' : 'B', leg->retx->cseq);
	call_retx_free(leg);
	if (call->ack_to) {
		call_send_ack(call, call->ack_to, call->ack_cseq, NULL);
		call->ack_to = NULL;
	}
	call_hangup(call, "no ACK for our 2xx");
}

static void retx_timer(su_root_magic_t *m, su_timer_t *t, struct call_leg *leg)
{
	struct call_retx *r = leg->retx;
	su_duration_t limit = 64 * r->t1;

	(void)m;
	(void)t;
	if (r->held) {
		int status = nta_incoming_status(r->held);

		if (status < 200 && (r->waited += r->t1) < limit)
			su_timer_set_interval(r->timer, retx_timer, leg, r->t1);
		else if (status < 200 || status >= 300 ||
			 retx_sent(leg, r->held))
			call_retx_free(
				leg); /* never sent: nothing to wait for */
		return;
	}
	r->waited += r->interval;
	if (r->waited >= limit) {
		retx_give_up(leg);
		return;
	}
	LOGD(SUBSYS, leg->call->ctx,
	     "leg %c: our 2xx again, no ACK after %ld ms",
	     leg == &leg->call->a ? 'A' : 'B', (long)r->waited);
	retx_send(leg);
	r->interval = r->interval * 2 < r->t2 ? r->interval * 2 : r->t2;
	if (r->interval > limit - r->waited)
		r->interval = limit - r->waited;
	su_timer_set_interval(r->timer, retx_timer, leg, r->interval);
}

void call_retx_ack(struct call_leg *leg, sip_t const *ack)
{
	if (!leg->retx || !ack->sip_cseq ||
	    ack->sip_cseq->cs_seq != leg->retx->cseq)
		return;
	LOGD(SUBSYS, leg->call->ctx, "leg %c: ACK of our 2xx",
	     leg == &leg->call->a ? 'A' : 'B');
	call_retx_free(leg);
}

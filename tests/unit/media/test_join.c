/*
 * A cold pair's join of a media thread's epoll set fails (audit11 L3,
 * media/session.c media_slot_join()): epoll_ctl() and close() of this
 * executable stand in front of libc's (the media library is linked
 * statically, so its calls land here), make chosen ADDs fail and record
 * which thread closes the sockets. write() likewise counts the writes per
 * descriptor (test_fd_writes(): a thread woken through its eventfd).
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "media/media_private.h"
#include "test_media.h"
#include "unit_test.h"

#define JOIN_FDS 64

/* ADDs of sockets let through before the failing one (-1: none fails). */
static atomic_int add_pass = -1;
static atomic_int add_errno;
static atomic_int adds_seen;
static atomic_int add_fd[4]; /* the sockets of the first ADDs */
/* Per descriptor number: closed by the main thread (1) or another (2). */
static atomic_int closed_by[JOIN_FDS];
static pthread_t main_thread;
static atomic_uint writes[JOIN_FDS];

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	static int (*real)(int, int, int, struct epoll_event *);
	int pass = atomic_load(&add_pass);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "epoll_ctl");
	/* Only the sockets' joins: the engine's own descriptors (event,
	 * command and timer fds) are added at media_engine_alloc(). */
	if (op == EPOLL_CTL_ADD && pass >= 0 && ev->data.ptr != NULL) {
		int n = atomic_fetch_add(&adds_seen, 1);

		if (n < 4)
			atomic_store(&add_fd[n], fd);
		if (n == pass) {
			errno = atomic_load(&add_errno);
			return -1;
		}
	}
	return real(epfd, op, fd, ev);
}

int close(int fd)
{
	static int (*real)(int);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "close");
	if (fd >= 0 && fd < JOIN_FDS)
		atomic_store(&closed_by[fd],
			     pthread_equal(pthread_self(), main_thread) ? 1
									: 2);
	return real(fd);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	static ssize_t (*real)(int, const void *, size_t);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "write");
	if (fd >= 0 && fd < JOIN_FDS)
		atomic_fetch_add(&writes[fd], 1);
	return real(fd, buf, len);
}

unsigned test_fd_writes(int fd)
{
	return fd >= 0 && fd < JOIN_FDS ? atomic_load(&writes[fd]) : 0;
}

static void join_event(const struct media_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
}

/* 2 pairs, 2 threads; a range of its own per process. */
static int join_engine(struct media_engine **e)
{
	struct media_conf conf = { 0 };

	conf.port_min = (uint16_t)(52000 + (unsigned)getpid() % 1000 * 4);
	conf.port_max = (uint16_t)(conf.port_min + 3);
	conf.addr[MEDIA_SIDE_ENTERPRISE] = "127.0.0.1";
	conf.addr[MEDIA_SIDE_TRUNK] = "127.0.0.1";
	conf.threads = 2;
	return media_engine_alloc(&conf, join_event, NULL, e);
}

/* The watch limit: an error of its own, tried once, not ENOSPC (which
 * the B2BUA takes for an exhausted range), the pairs back. */
int t_join_limit(void)
{
	struct media_session *s;
	struct media_engine *e;

	main_thread = pthread_self();
	CHECK(join_engine(&e) == 0);
	atomic_store(&adds_seen, 0);
	atomic_store(&add_errno, ENOSPC);
	atomic_store(&add_pass, 0); /* the very first socket's ADD */
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s) == EMFILE);
	atomic_store(&add_pass, -1);
	/* One try: the other thread was not tried with new binds. */
	CHECK(atomic_load(&adds_seen) == 1);
	CHECK(ports_wait(e, 2));
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s) == 0);
	media_session_free(s);
	media_engine_free(e);
	return 0;
}

/* The RTCP socket's ADD fails after the RTP socket's: the pair, briefly
 * in the thread's set, is closed by that thread, not by the caller. */
int t_join_half(void)
{
	struct media_session *s;
	struct media_engine *e;
	int rtp, rtcp;

	main_thread = pthread_self();
	CHECK(join_engine(&e) == 0);
	atomic_store(&adds_seen, 0);
	atomic_store(&add_errno, ENOMEM);
	atomic_store(&add_pass, 1); /* leg A's RTP joins, its RTCP not */
	CHECK(media_session_alloc(e, MEDIA_SIDE_ENTERPRISE, MEDIA_SIDE_TRUNK,
				  NULL, &s) == ENOMEM);
	atomic_store(&add_pass, -1);
	CHECK(atomic_load(&adds_seen) == 2);
	rtp = atomic_load(&add_fd[0]);
	rtcp = atomic_load(&add_fd[1]);
	CHECK(rtp >= 0 && rtp < JOIN_FDS && rtcp >= 0 && rtcp < JOIN_FDS);
	/* Both pairs come back: leg B's (in no set) at once, leg A's when
	 * its thread has run the close. */
	CHECK(ports_wait(e, 2));
	CHECK(atomic_load(&closed_by[rtp]) == 2);
	CHECK(atomic_load(&closed_by[rtcp]) == 2);
	media_engine_free(e);
	return 0;
}

#!/bin/sh
# Run a command in a network namespace of its own, loopback up, when
# this user may create one (root: `unshare -n`), so that bench_media's
# fixed port range cannot meet another program's on the host (a run
# failed with EADDRINUSE while another test held 30000-30015); else on
# the host as before.
if unshare -n true 2>/dev/null; then
	exec unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
exec "$@"

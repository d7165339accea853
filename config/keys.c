/*
 * [global] keys owned by config: logging, the control socket and the paths
 * of state files. See docs/configuration.md for the generated reference.
 */
#include "config.h"

const struct config_key config_global_keys[] = {
	{ "log_levels", CONFIG_LOG_LEVELS, 0, 0, NULL, "info", 0,
	  "Log level for all subsystems, then per-subsystem overrides: "
	  "\"info, trunk.reg=debug, sofia=warn\". Levels: error, warn, info, "
	  "debug. The longest matching dotted prefix wins." },
	{ "control_socket", CONFIG_PATH, 0, 0, NULL, "/run/trunkd/trunkd.sock",
	  CONFIG_F_RESTART,
	  "UNIX socket of the control interface (trunkctl). Its directory is "
	  "created if missing." },
	{ "control_group", CONFIG_STRING, 0, 0, NULL, NULL, CONFIG_F_RESTART,
	  "Group allowed to use the control socket (mode 0660). Unset: the "
	  "group of the daemon, mode 0600." },
	{ "pid_file", CONFIG_PATH, 0, 0, NULL, NULL, CONFIG_F_RESTART,
	  "Write the daemon's PID here (the --pid-file option overrides)." },
	{ "cdr", CONFIG_BOOL, 0, 0, NULL, "on", CONFIG_F_RESTART,
	  "Write a call detail record of every call to cdr_database (off: "
	  "none)." },
	{ "cdr_database", CONFIG_PATH, 0, 0, NULL, "/var/lib/trunkd/cdr.sqlite",
	  CONFIG_F_RESTART,
	  "SQLite database of the call detail records, one row per call "
	  "(table cdr, docs/cdr.md), written by a thread of its own in WAL "
	  "mode; its directory is created if missing. trunkd refuses to start "
	  "when it cannot be opened or holds a table it cannot write." },
	{ "cdr_keep_days", CONFIG_INT, 0, 36500, NULL, "0", CONFIG_F_RESTART,
	  "Delete the call detail records of calls that started more than "
	  "this many days ago: at start, then every hour, by the records' "
	  "own thread, a thousand rows at a time. 0: keep them all (delete "
	  "them yourself)." },
	{ "instance_id_file", CONFIG_PATH, 0, 0, NULL,
	  "/var/lib/trunkd/instance-id", CONFIG_F_RESTART,
	  "Where the persistent +sip.instance UUID (RFC 5626, OB-1) is kept." },
	{ "shutdown_grace", CONFIG_DURATION, 0, 3600000, NULL, "30s", 0,
	  "On SIGTERM: how long established calls may continue before trunkd "
	  "sends BYE and exits. New calls are refused at once (503)." },
	{ NULL },
};

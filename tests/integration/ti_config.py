#!/usr/bin/env python3
"""Config rewriting and free ports for the integration harness (lib.sh).

    ti_config.py --state-dir DIR [--port-map FILE] SRC DST
    ti_config.py --free-port

The first form copies the trunkd config SRC to DST:

- the state paths (control_socket, cdr_database, instance_id_file,
  pid_file) are replaced, line for line, by fixed names in DIR; the first
  three are added right after the [global] header (or in a new [global]
  section at the top) when SRC lacks them, so a test never writes to
  /run or /var/lib. Line numbers stay as in SRC when nothing is added.
- with --port-map, every port of the address keys (LISTEN_KEYS) is replaced
  by a free port: FILE holds "original actual" lines, shared with lib.sh's
  ti_port, so one original port maps to the same free port in every config
  and peer command of a test.

The second form prints one port that is free for both UDP and TCP on
127.0.0.1.
"""
import argparse
import re
import socket
import sys

STATE_FILES = {
    "control_socket": "trunkd.sock",
    "cdr_database": "cdr.sqlite",
    "instance_id_file": "instance-id",
    "pid_file": "trunkd.pid",
}
STATE_REQUIRED = ("control_socket", "cdr_database", "instance_id_file")
LISTEN_KEYS = ("enterprise_listen", "trunk_listen", "proxy", "address")

KEY_RE = re.compile(r"^(\s*)([A-Za-z0-9_]+)(\s*=\s*)(.*)$")
SECTION_RE = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)(?:\s+[^\]]*)?\]\s*$")
# host:port or [v6]:port inside an address list value.
ADDR_PORT_RE = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})(?![\w:])")


def free_port():
    for _ in range(100):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            tcp.close()
            udp.close()
        return port
    sys.exit("ti_config.py: no port free for both UDP and TCP")


class PortMap:
    def __init__(self, path):
        self.path = path
        self.map = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    orig, actual = line.split()
                    self.map[orig] = actual

    def get(self, orig):
        if orig not in self.map:
            self.map[orig] = str(free_port())
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(f"{orig} {self.map[orig]}\n")
        return self.map[orig]


def quote(path):
    if re.search(r"[\s#;\"]", path):
        return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return path


def rewrite(lines, state_dir, ports):
    out = []
    seen = set()
    global_at = None  # index in out just after the [global] header
    for line in lines:
        m = SECTION_RE.match(line)
        if m and m.group(1) == "global" and global_at is None:
            out.append(line)
            global_at = len(out)
            continue
        m = KEY_RE.match(line)
        if m and m.group(2) in STATE_FILES:
            key = m.group(2)
            seen.add(key)
            path = f"{state_dir}/{STATE_FILES[key]}"
            line = f"{m.group(1)}{key}{m.group(3)}{quote(path)}\n"
        elif m and ports and m.group(2) in LISTEN_KEYS:
            value = ADDR_PORT_RE.sub(
                lambda a: f"{a.group(1)}:{ports.get(a.group(2))}", m.group(4))
            line = f"{m.group(1)}{m.group(2)}{m.group(3)}{value}\n"
        out.append(line)
    added = [f"{k} = {quote(state_dir + '/' + STATE_FILES[k])}\n"
             for k in STATE_REQUIRED if k not in seen]
    if added and global_at is None:
        out[0:0] = ["[global]\n"] + added + ["\n"]
    elif added:
        out[global_at:global_at] = added
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--free-port", action="store_true")
    ap.add_argument("--state-dir")
    ap.add_argument("--port-map")
    ap.add_argument("src", nargs="?")
    ap.add_argument("dst", nargs="?")
    args = ap.parse_args()
    if args.free_port:
        print(free_port())
        return
    if not (args.state_dir and args.src and args.dst):
        ap.error("--state-dir, SRC and DST are required")
    with open(args.src, encoding="utf-8") as f:
        lines = f.readlines()
    ports = PortMap(args.port_map) if args.port_map else None
    out = rewrite(lines, args.state_dir, ports)
    with open(args.dst, "w", encoding="utf-8") as f:
        f.writelines(out)


if __name__ == "__main__":
    main()

"""Can this kernel load a tc (BPF_PROG_TYPE_SCHED_CLS) program for us?
Loads the smallest one (r0 = 0; exit) through the bpf() syscall: exit 0,
else the reason on stdout and exit 1 (test 159 then skips)."""
import ctypes
import os
import platform
import struct
import sys

NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361,
          "s390x": 351}.get(platform.machine())
if NR_BPF is None:
    print("bpf(): no syscall number known for %s" % platform.machine())
    sys.exit(1)
libc = ctypes.CDLL(None, use_errno=True)
insns = ctypes.create_string_buffer(struct.pack("<BBhiBBhi", 0xb7, 0, 0, 0,
                                                0x95, 0, 0, 0))
lic = ctypes.create_string_buffer(b"GPL")
# union bpf_attr for BPF_PROG_LOAD: prog_type, insn_cnt, insns, license
attr = struct.pack("<IIQQ", 3, 2, ctypes.addressof(insns),
                   ctypes.addressof(lic)).ljust(128, b"\0")
buf = ctypes.create_string_buffer(attr, len(attr))
libc.syscall.restype = ctypes.c_long
fd = libc.syscall(ctypes.c_long(NR_BPF), ctypes.c_int(5), buf,
                  ctypes.c_uint(len(attr)))
if fd < 0:
    err = ctypes.get_errno()
    print("the kernel refuses BPF_PROG_LOAD of a tc program: %s"
          % os.strerror(err))
    sys.exit(1)
os.close(fd)

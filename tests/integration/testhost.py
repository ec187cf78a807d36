#!/usr/bin/python3
"""A throw-away systemd machine for crio's integration tests.

TestHost boots a real systemd as PID 1 inside fresh pid/mount/uts/ipc/cgroup/net namespaces, on an
overlay of the real "/" whose upper layer is a tmpfs: whatever the host writes to its file systems is
gone when it stops, and it never sees the real machine's services, network devices or cgroups.

Layout of the boot:
  outside   sh (moves itself into a cgroup of its own in every hierarchy)
            -> setpriv --pdeathsig KILL -> unshare --fork --kill-child ... (namespaces)
  inside    python3 testhost.py _stage2 CONFIG  (mounts, pivot_root, /run/systemd/system, lo up)
            -> exec /lib/systemd/systemd --system --unit=crio-testhost.target

Processes are started inside with nsenter; they are first moved into the host's root cgroups so that
systemd (in its cgroup namespace) can adopt them, e.g. for systemd-run --scope.

Only the Python standard library is used: it must run with Debian's /usr/bin/python3.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time

TARGET = "crio-testhost.target"
CRIO_SOCKET = "/run/crio/crio.sock"
CRIO_BINARY = "/usr/local/bin/crio"
SYSTEMD = "/lib/systemd/systemd"
HOSTNAME = "crio-testhost"

# The only units of the real machine's configuration that the host starts at boot.
ALLOWED_UNITS = {
        "dbus.socket",
        "dbus.service",
        "systemd-journald.socket",
        "systemd-journald-dev-log.socket",
        "systemd-journald.service",
}

# Pulled by sysinit.target through Wants= in unit files rather than .wants/ directories; they would
# mount things or touch the shared kernel, so they are masked as well.
EXTRA_MASKED = {
        "local-fs.target", "local-fs-pre.target", "swap.target", "remote-fs.target",
        "cryptsetup.target", "veritysetup.target", "integritysetup.target",
        "getty.target", "console-getty.service", "getty-static.service",
        "systemd-journal-flush.service", "systemd-journald-audit.socket",
        "systemd-sysctl.service", "systemd-modules-load.service", "systemd-binfmt.service",
        "systemd-tmpfiles-setup-dev.service", "systemd-udevd.service", "systemd-udev-trigger.service",
        "systemd-timesyncd.service", "systemd-networkd.service", "systemd-resolved.service",
        "systemd-logind.service", "docker-registry.service", "postgresql.service",
        "apt-daily.timer", "apt-daily-upgrade.timer", "man-db.timer", "fstrim.timer",
        "e2scrub_all.timer", "dpkg-db-backup.timer", "systemd-tmpfiles-clean.timer",
}

# Directories that get a tmpfs of their own instead of the overlay root.
STORAGE_TMPFS = ("/var/lib/containers", "/var/lib/crio")

UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
             "/lib/systemd/system", "/usr/lib/systemd/system")

# The system bus: Debian's dbus-daemon, or dbus-broker, the bus of Fedora and RHEL.
BUSES = ("dbus-daemon", "dbus-broker")
DBUS_BROKER_BINARIES = ("/usr/bin/dbus-broker", "/usr/bin/dbus-broker-launch")
DBUS_BROKER_UNIT = "/lib/systemd/system/dbus-broker.service"
DBUS_BROKER_FILES = DBUS_BROKER_BINARIES + (DBUS_BROKER_UNIT,)
# Where dbus-broker's Debian package is unpacked when it is not installed: installing it would make
# it the machine's own system bus at the next boot (its package enables it).
DBUS_BROKER_CACHE = "/var/cache/crio-tests/dbus-broker"

ENV = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "SYSTEMD_PAGER": "cat",
        "SYSTEMD_COLORS": "0",
        "SYSTEMD_LOG_COLOR": "0",
        "TERM": "dumb",
}


class TestHostError(RuntimeError):
        """Boot, command or teardown failure of a TestHost; the message carries the diagnostics."""

        __test__ = False


def _read(path):
        with open(path) as f:
                return f.read()


def _mountinfo():
        return sorted(_read("/proc/self/mountinfo").splitlines())


def _net_devices():
        return sorted(os.listdir("/sys/class/net"))


def _ns_inode(pid, ns):
        try:
                return os.readlink(f"/proc/{pid}/ns/{ns}")
        except OSError:
                return None


def _pids_in_ns(ns, ident):
        found = []
        for entry in os.listdir("/proc"):
                if entry.isdigit() and _ns_inode(entry, ns) == ident:
                        found.append(int(entry))
        return found


def _cgroup_hierarchies():
        """Yield (mount point, our cgroup path) for every cgroup hierarchy mounted under /sys/fs/cgroup.

        v1 hierarchies are matched to /proc/self/cgroup lines by their super options (controller
        names, name=...), the v2 one by the empty controller list.
        """
        own = {}
        for line in _read("/proc/self/cgroup").splitlines():
                _, controllers, path = line.split(":", 2)
                own[controllers] = path
        for line in _read("/proc/self/mountinfo").splitlines():
                pre, post = line.split(" - ", 1)
                fstype, _source, superopts = post.split(" ", 2)
                mountpoint = pre.split(" ")[4]
                if not mountpoint.startswith("/sys/fs/cgroup/"):
                        continue
                if fstype == "cgroup2":
                        key = ""
                elif fstype == "cgroup":
                        opts = superopts.split(",")
                        names = [o for o in opts if o.startswith("name=")]
                        key = None
                        for controllers in own:
                                parts = set(controllers.split(","))
                                if parts and parts <= set(opts) | set(names):
                                        key = controllers
                                        break
                        if key is None:
                                continue
                else:
                        continue
                if key in own:
                        yield mountpoint, own[key]


def _write(path, text):
        with open(path, "w") as f:
                f.write(text)


def _rmdir_tree(path, deadline):
        """Remove a cgroup directory and its children, bottom up; cgroup files go with their dir."""
        if not os.path.isdir(path):
                return
        for entry in os.scandir(path):
                if entry.is_dir(follow_symlinks=False):
                        _rmdir_tree(entry.path, deadline)
        while True:
                try:
                        os.rmdir(path)
                        return
                except FileNotFoundError:
                        return
                except OSError:
                        # EBUSY while the last processes of the namespace are being reaped.
                        if time.monotonic() > deadline:
                                raise
                        time.sleep(0.02)


class TestHost:
        """One booted throw-away systemd host. Use as a context manager or call boot()/teardown()."""

        __test__ = False  # not a pytest test class despite its name

        def __init__(self, boot_timeout=30.0, name=None, bus=None):
                self.boot_timeout = boot_timeout
                self.bus = bus or os.environ.get("CRIO_TEST_BUS") or "dbus-daemon"
                if self.bus not in BUSES:
                        raise TestHostError(f"unknown bus {self.bus!r}: expected one of {', '.join(BUSES)}")
                self.token = name or f"crio-testhost-{os.getpid()}-{secrets.token_hex(3)}"
                self.pid = None             # host PID of the systemd running as PID 1 inside
                self.crio_installed = False
                self._proc = None           # the unshare process
                self._cgroups = []          # [(host cgroup dir, inside mount point name)]
                self._console = []
                self._console_thread = None
                self._master = None
                self._mountinfo_before = None
                self._net_before = None
                self._pidns = None
                self._netns = None
                self._socket_unit = False

        # ---------------------------------------------------------------------------------------
        # boot

        def __enter__(self):
                self.boot()
                return self

        def __exit__(self, *exc):
                self.teardown()
                return False

        @staticmethod
        def _sweep_stale_cgroups(parent):
                """Remove cgroups of hosts whose owner was killed before it could tear them down."""
                for entry in os.listdir(parent):
                        m = re.fullmatch(r"crio-testhost-(\d+)-[0-9a-f]+", entry)
                        if m and not os.path.exists(f"/proc/{m.group(1)}"):
                                try:
                                        _rmdir_tree(os.path.join(parent, entry), time.monotonic() + 0.5)
                                except OSError:
                                        pass

        def _make_cgroups(self):
                for mountpoint, path in _cgroup_hierarchies():
                        self._sweep_stale_cgroups(mountpoint + path)
                        d = os.path.join(mountpoint + path, self.token)
                        os.mkdir(d)
                        self._cgroups.append((d, os.path.basename(mountpoint)))
                        if os.path.exists(os.path.join(d, "cpuset.cpus")):
                                # A v1 cpuset group starts empty and would refuse our process.
                                parent = os.path.dirname(d)
                                for f in ("cpuset.cpus", "cpuset.mems"):
                                        _write(os.path.join(d, f), _read(os.path.join(parent, f)))
                if not any(name == "systemd" for _, name in self._cgroups):
                        raise TestHostError("no name=systemd cgroup hierarchy under /sys/fs/cgroup")

        def _cgroup_procs(self):
                return [os.path.join(d, "cgroup.procs") for d, _ in self._cgroups]

        def _wrap_in_cgroup(self, argv):
                script = ('while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; '
                          'shift; exec "$@"')
                return ["/bin/sh", "-c", script, "sh", *self._cgroup_procs(), "--", *argv]

        def _read_console(self):
                while True:
                        try:
                                data = os.read(self._master, 65536)
                        except OSError:
                                break
                        if not data:
                                break
                        self._console.append(data.decode(errors="replace").replace("\r", ""))

        def console(self):
                """Everything systemd and its services wrote to the host's /dev/console so far."""
                return "".join(self._console)

        def boot(self):
                if self.pid is not None:
                        raise TestHostError("already booted")
                if os.geteuid() != 0:
                        raise TestHostError("TestHost needs root")
                self._mountinfo_before = _mountinfo()
                self._net_before = _net_devices()
                start = time.monotonic()
                try:
                        self._make_cgroups()
                        self._master, slave = os.openpty()
                        config = {
                                "console": os.ttyname(slave),
                                "cgroups": self._cgroups,
                                "machine_id": secrets.token_hex(16),
                                "dbus_broker": dbus_broker_root() if self.bus == "dbus-broker" else None,
                        }
                        argv = self._wrap_in_cgroup([
                                "setpriv", "--pdeathsig", "KILL",
                                "unshare", "--fork", "--kill-child=SIGKILL", "--pid", "--mount",
                                "--uts", "--ipc", "--cgroup", "--net", "--propagation", "private",
                                sys.executable, os.path.abspath(__file__), "_stage2", json.dumps(config),
                        ])
                        env = dict(ENV, container="other")
                        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                                                      stderr=slave, env=env, close_fds=True)
                        os.close(slave)
                        self._console_thread = threading.Thread(target=self._read_console, daemon=True)
                        self._console_thread.start()
                        self._wait_for_pid1(start)
                        self._pidns = _ns_inode(self.pid, "pid")
                        self._netns = _ns_inode(self.pid, "net")
                        self._wait_running(start)
                except BaseException as e:
                        msg = self._diagnostics(f"boot failed: {e}")
                        try:
                                self.teardown(verify=False)
                        except Exception as te:
                                msg += f"\n(teardown after failed boot also failed: {te})"
                        if not isinstance(e, Exception):
                                raise
                        raise TestHostError(msg) from (None if isinstance(e, TestHostError) else e)
                self.boot_seconds = time.monotonic() - start
                return self

        def _wait_for_pid1(self, start):
                # unshare forks once: the systemd we want is its only child (PID 1 in the namespace).
                while True:
                        if self._proc.poll() is not None:
                                raise TestHostError(f"unshare exited with status {self._proc.returncode}")
                        try:
                                children = _read(f"/proc/{self._proc.pid}/task/{self._proc.pid}/children").split()
                        except OSError:
                                children = []
                        if children:
                                pid = int(children[0])
                                try:
                                        exe = os.readlink(f"/proc/{pid}/exe")
                                except OSError:
                                        exe = ""
                                if exe.endswith("/systemd"):
                                        self.pid = pid
                                        return
                        if time.monotonic() - start > self.boot_timeout:
                                raise TestHostError("systemd did not start as PID 1 in time")
                        time.sleep(0.01)

        def _wait_running(self, start):
                state = ""
                while time.monotonic() - start < self.boot_timeout:
                        if self._proc.poll() is not None:
                                raise TestHostError(f"host exited with status {self._proc.returncode}")
                        if os.path.exists(f"/proc/{self.pid}/root/run/systemd/private"):
                                r = self.run(["systemctl", "is-system-running"], check=False, timeout=10)
                                state = r.stdout.strip()
                                if state in ("running", "degraded"):
                                        return
                                if state in ("maintenance", "stopping", "offline"):
                                        break
                        time.sleep(0.05)
                raise TestHostError(f"host did not reach running/degraded in {self.boot_timeout}s "
                                    f"(last state: {state or 'unknown'})")

        def _diagnostics(self, headline):
                parts = [headline]
                if self.pid is not None and self._proc is not None and self._proc.poll() is None:
                        for cmd in (["systemctl", "list-jobs", "--no-pager"],
                                    ["systemctl", "--failed", "--no-pager"],
                                    ["journalctl", "-b", "--no-pager", "-n", "200"]):
                                try:
                                        r = self.run(cmd, check=False, timeout=10)
                                        parts.append(f"--- {' '.join(cmd)} ---\n{r.stdout}{r.stderr}")
                                except Exception as e:
                                        parts.append(f"--- {' '.join(cmd)} failed: {e}")
                time.sleep(0.1)
                parts.append(f"--- console ---\n{self.console()[-20000:]}")
                return "\n".join(parts)

        # ---------------------------------------------------------------------------------------
        # using it

        def _require(self):
                if self.pid is None:
                        raise TestHostError("host is not booted")

        def enter_command(self):
                """argv prefix that runs a command inside the host (without the cgroup move)."""
                self._require()
                return ["nsenter", "-t", str(self.pid), "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w"]

        def run(self, cmd, check=True, input=None, timeout=60, capture=True, env=None):
                """Run cmd (argv list, or a string for /bin/sh -c) inside the host.

                Returns subprocess.CompletedProcess with text stdout/stderr (None if capture=False);
                raises TestHostError on a non-zero exit when check is true, and
                subprocess.TimeoutExpired after timeout seconds.
                """
                self._require()
                if isinstance(cmd, str):
                        cmd = ["/bin/sh", "-c", cmd]
                argv = self._wrap_in_cgroup([*self.enter_command(), "--", "env", "-i",
                                             *[f"{k}={v}" for k, v in {**ENV, **(env or {})}.items()],
                                             *cmd])
                out = subprocess.PIPE if capture else None
                with subprocess.Popen(argv, stdin=subprocess.PIPE if input is not None else None,
                                      stdout=out, stderr=out, text=True, env=ENV) as p:
                        try:
                                stdout, stderr = p.communicate(input, timeout=timeout)
                        except subprocess.TimeoutExpired as e:
                                # nsenter's child is inside: kill it first, so that nothing of the
                                # command is orphaned to the real init outside, then nsenter.
                                self._kill_children(p.pid)
                                try:
                                        p.communicate(timeout=5)
                                except subprocess.TimeoutExpired:
                                        pass
                                p.kill()
                                p.wait()
                                e.cmd = list(cmd)
                                raise
                r = subprocess.CompletedProcess(list(cmd), p.returncode, stdout, stderr)
                if check and r.returncode != 0:
                        raise TestHostError(f"command {shlex.join(cmd)} failed with status {r.returncode}\n"
                                            f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
                return r

        @staticmethod
        def _kill_children(pid):
                try:
                        children = _read(f"/proc/{pid}/task/{pid}/children").split()
                except OSError:
                        return
                for c in children:
                        try:
                                os.kill(int(c), signal.SIGKILL)
                        except ProcessLookupError:
                                pass

        def _resolve(self, p):
                """Resolve an absolute path inside the host, following symlinks against its root."""
                if not p.startswith("/"):
                        raise ValueError(f"path must be absolute: {p}")
                root = f"/proc/{self.pid}/root"
                parts = [c for c in p.split("/") if c not in ("", ".")]
                resolved = []
                hops = 0
                while parts:
                        c = parts.pop(0)
                        if c == "..":
                                if resolved:
                                        resolved.pop()
                                continue
                        candidate = root + "/" + "/".join(resolved + [c])
                        try:
                                target = os.readlink(candidate)
                        except OSError:
                                resolved.append(c)
                                continue
                        hops += 1
                        if hops > 40:
                                raise OSError(f"too many symlinks resolving {p}")
                        if target.startswith("/"):
                                resolved = []
                        parts = [x for x in target.split("/") if x not in ("", ".")] + parts
                return root + "/" + "/".join(resolved)

        def path(self, p):
                """The path outside (via /proc/PID/root) of absolute path p inside the host.

                Symlinks in p are resolved inside the host, so /var/run/x gives .../root/run/x.
                """
                self._require()
                return self._resolve(p)

        def write_file(self, path, text, mode=0o644):
                """Create or replace a file inside the host (parents are created, mode 0755)."""
                outside = self.path(path)
                os.makedirs(os.path.dirname(outside), mode=0o755, exist_ok=True)
                data = text.encode() if isinstance(text, str) else text
                tmp = outside + ".testhost-tmp"
                with open(tmp, "wb") as f:
                        f.write(data)
                os.chmod(tmp, mode)
                os.replace(tmp, outside)
                return outside

        def read_file(self, path):
                with open(self.path(path)) as f:
                        return f.read()

        def journal(self, unit=None, args=()):
                """Text of journalctl inside the host (whole boot, or one unit)."""
                cmd = ["journalctl", "--no-pager", "-q", "-b", "-o", "short-monotonic", *args]
                if unit:
                        cmd += ["-u", unit]
                return self.run(cmd, check=False).stdout

        # ---------------------------------------------------------------------------------------
        # crio

        def install_crio(self, build_dir, source_dir):
                """Install build_dir/src/crio and the units of source_dir/units into the host."""
                self._require()
                binary = os.path.join(build_dir, "src", "crio")
                if not os.access(binary, os.X_OK):
                        raise TestHostError(f"crio binary not found or not executable: {binary}")
                service = _first_existing(os.path.join(build_dir, "units", "crio.service"),
                                          os.path.join(source_dir, "units", "crio.service"),
                                          os.path.join(source_dir, "units", "crio.service.in"))
                if service is None:
                        raise TestHostError(f"no crio.service in {build_dir}/units or {source_dir}/units")
                socket_unit = _first_existing(os.path.join(build_dir, "units", "crio.socket"),
                                              os.path.join(source_dir, "units", "crio.socket"))
                dest = self.path(CRIO_BINARY)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copyfile(binary, dest + ".testhost-tmp")
                os.chmod(dest + ".testhost-tmp", 0o755)
                os.replace(dest + ".testhost-tmp", dest)
                text = _read(service)
                if service.endswith(".in"):
                        # An unconfigured template (meson configure_file input).
                        text = text.replace("@bindir@", os.path.dirname(CRIO_BINARY))
                self.write_file("/etc/systemd/system/crio.service", rewrite_exec_paths(text))
                if socket_unit:
                        self.write_file("/etc/systemd/system/crio.socket", rewrite_exec_paths(_read(socket_unit)))
                        self._socket_unit = True
                self.write_file("/etc/systemd/system/crio.service.d/10-testhost.conf",
                                "# Written by tests/integration/testhost.py.\n"
                                "# The test machines withhold CAP_SYS_RESOURCE: a negative value fails.\n"
                                "[Service]\nOOMScoreAdjust=0\n")
                # The D-Bus API's bus policy (without it crio may not own org.crio1) and polkit action.
                for name, dest in (("org.crio1.conf", "/usr/share/dbus-1/system.d"),
                                   ("org.crio1.policy", "/usr/share/polkit-1/actions")):
                        src = os.path.join(source_dir, "dbus", name)
                        if os.path.exists(src):
                                self.write_file(f"{dest}/{name}", _read(src))
                self.run(["busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "ReloadConfig"], check=False)
                self.run(["systemctl", "daemon-reload"])
                self.crio_installed = True

        def start_crio(self, timeout=30, socket=False):
                """systemctl start crio.service, then wait for /run/crio/crio.sock.

                Only the service is started, so crio makes its own socket; with socket=True
                crio.socket is started first and crio gets the listening socket from systemd.
                """
                self._require()
                if socket and not self._socket_unit:
                        raise TestHostError("no crio.socket installed")
                units = (["crio.socket"] if socket else []) + ["crio.service"]
                try:
                        self.run(["systemctl", "start", *units], timeout=timeout)
                        deadline = time.monotonic() + timeout
                        sock = self.path(CRIO_SOCKET)
                        n = 0
                        while True:
                                try:
                                        if stat.S_ISSOCK(os.stat(sock).st_mode):
                                                return
                                except FileNotFoundError:
                                        pass
                                if time.monotonic() > deadline:
                                        raise TestHostError(f"{CRIO_SOCKET} did not appear in {timeout}s")
                                n += 1
                                if n % 10 == 0:
                                        state = self.run(["systemctl", "show", "--value", "-p", "ActiveState",
                                                          "-p", "SubState", "crio.service"], check=False).stdout.split()
                                        if state[:1] in (["failed"], ["inactive"]) or "auto-restart" in state:
                                                raise TestHostError(f"crio.service is {'/'.join(state)}")
                                time.sleep(0.02)
                except (TestHostError, subprocess.TimeoutExpired) as e:
                        time.sleep(0.2)  # let journald take in the last lines of the unit
                        status = self.run(["systemctl", "status", "--no-pager", "-l", "crio.service"],
                                          check=False).stdout
                        raise TestHostError(f"starting crio failed: {e}\n--- systemctl status ---\n{status}"
                                            f"\n--- journal -u crio ---\n{self.journal('crio.service')}") from None

        def stop_crio(self, timeout=30):
                """systemctl stop crio.service (and crio.socket, when installed)."""
                self._require()
                units = ["crio.service"] + (["crio.socket"] if self._socket_unit else [])
                self.run(["systemctl", "stop", *units], timeout=timeout)

        def crio_socket(self):
                """Outside path of the CRI socket (/proc/PID/root/run/crio/crio.sock)."""
                return self.path(CRIO_SOCKET)

        # ---------------------------------------------------------------------------------------
        # teardown

        def teardown(self, timeout=15, verify=True):
                """Power the host off (SIGKILL after timeout), remove its cgroups, check for leftovers."""
                if self._proc is not None:
                        if self._proc.poll() is None and self.pid is not None:
                                try:
                                        # SIGRTMIN+4: systemd's "poweroff" signal.
                                        os.kill(self.pid, signal.SIGRTMIN + 4)
                                except ProcessLookupError:
                                        pass
                        try:
                                self._proc.wait(timeout=timeout)
                        except subprocess.TimeoutExpired:
                                # Killing PID 1 of the namespace kills all of it.
                                for pid in ([self.pid] if self.pid else []) + [self._proc.pid]:
                                        try:
                                                os.kill(pid, signal.SIGKILL)
                                        except ProcessLookupError:
                                                pass
                                self._proc.wait(timeout=10)
                if self._console_thread is not None:
                        self._console_thread.join(timeout=5)
                if self._master is not None:
                        os.close(self._master)
                        self._master = None
                problems = []
                deadline = time.monotonic() + 10
                # Processes of nested PID namespaces (containers) die after the host's own: wait for
                # those in its network namespace too.
                while ((self._pidns and _pids_in_ns("pid", self._pidns)) or
                       (self._netns and _pids_in_ns("net", self._netns))) and time.monotonic() < deadline:
                        time.sleep(0.02)
                for d, _ in reversed(self._cgroups):
                        try:
                                _rmdir_tree(d, deadline)
                        except OSError as e:
                                problems.append(f"cannot remove cgroup {d}: {e}")
                self._cgroups = []
                if verify and self._proc is not None:
                        if self.pid is not None and os.path.exists(f"/proc/{self.pid}") and \
                           _ns_inode(self.pid, "pid") == self._pidns:
                                problems.append(f"PID {self.pid} still exists")
                        if self._pidns and _pids_in_ns("pid", self._pidns):
                                problems.append(f"processes left: {_pids_in_ns('pid', self._pidns)}")
                        if self._netns and _pids_in_ns("net", self._netns):
                                problems.append(f"processes in its netns left: {_pids_in_ns('net', self._netns)}")
                        new = sorted(set(_mountinfo()) - set(self._mountinfo_before or []))
                        if new:
                                problems.append("new mounts in our namespace:\n  " + "\n  ".join(new))
                        net = _net_devices()
                        if net != self._net_before:
                                problems.append(f"network devices changed: {self._net_before} -> {net}")
                self._proc = None
                self.pid = None
                if problems:
                        raise TestHostError("teardown left things behind:\n" + "\n".join(problems))


def _first_existing(*paths):
        for p in paths:
                if os.path.exists(p):
                        return p
        return None


def rewrite_exec_paths(unit_text):
        """Point Exec*= lines whose program is some .../crio at /usr/local/bin/crio."""
        return re.sub(r"^(Exec[A-Za-z]*=[-@:+!]*)\S*/crio(?=\s|$)", r"\1" + CRIO_BINARY,
                      unit_text, flags=re.M)


# -------------------------------------------------------------------------------------------------
# stage 2: runs inside the new namespaces as their PID 1, then execs systemd

_libc = None


def _libc_call(name, *args):
        global _libc
        if _libc is None:
                _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        r = getattr(_libc, name)(*args)
        if r < 0:
                e = ctypes.get_errno()
                raise OSError(e, f"{name}{args}: {os.strerror(e)}")
        return r


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}


def _mount(source, target, fstype, flags=0, data=None):
        _libc_call("mount", source.encode() if source else None, target.encode(),
                   fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                   data.encode() if data else None)


def _mask_units(control_dir):
        names = set(EXTRA_MASKED)
        for d in UNIT_DIRS:
                try:
                        entries = os.listdir(d)
                except OSError:
                        continue
                for e in entries:
                        if e.endswith((".wants", ".requires")):
                                try:
                                        names.update(os.listdir(os.path.join(d, e)))
                                except OSError:
                                        pass
        for n in sorted(names - ALLOWED_UNITS):
                if "@" in n and n.endswith("@"):
                        continue
                os.symlink("/dev/null", os.path.join(control_dir, n))


def dbus_broker_root():
        """A directory holding DBUS_BROKER_FILES: "/" when dbus-broker is installed, else its package
        unpacked once into DBUS_BROKER_CACHE (apt-get download: Debian's archive, nothing installed)."""
        if all(os.path.exists(f) for f in DBUS_BROKER_FILES):
                return "/"
        if all(os.path.exists(DBUS_BROKER_CACHE + f) for f in DBUS_BROKER_FILES):
                return DBUS_BROKER_CACHE
        tmp = DBUS_BROKER_CACHE + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp + "/deb")
        try:
                r = subprocess.run(["apt-get", "download", "dbus-broker"], cwd=tmp + "/deb",
                                   capture_output=True, text=True)
                debs = [e for e in os.listdir(tmp + "/deb") if e.endswith(".deb")]
                if r.returncode != 0 or len(debs) != 1:
                        raise TestHostError(f"cannot download Debian's dbus-broker package: {r.stderr.strip()}")
                subprocess.run(["dpkg-deb", "-x", f"{tmp}/deb/{debs[0]}", tmp + "/root"], check=True)
                missing = [f for f in DBUS_BROKER_FILES if not os.path.exists(tmp + "/root" + f)]
                if missing:
                        raise TestHostError(f"dbus-broker's package lacks {', '.join(missing)}")
                shutil.rmtree(DBUS_BROKER_CACHE, ignore_errors=True)
                os.replace(tmp + "/root", DBUS_BROKER_CACHE)
        finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return DBUS_BROKER_CACHE


def _install_dbus_broker(source, root):
        """Make dbus-broker the host's dbus.service, as on Fedora and RHEL (same dbus.socket)."""
        if source != "/":
                for f in DBUS_BROKER_BINARIES:
                        shutil.copy2(source + f, root + f)
        unit = _read(source + DBUS_BROKER_UNIT)
        # system.control outranks the machine's dbus.service in /etc and /lib.
        _write(f"{root}/run/systemd/system.control/dbus.service", unit)


def stage2(config):
        """Build the new root on an overlay of "/" and exec systemd; we are PID 1 in new namespaces."""
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        _mount("testhost", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
        for d in ("upper", "work", "root"):
                os.mkdir(f"/tmp/{d}")
        _mount("testhost", "/tmp/root", "overlay", 0,
               "lowerdir=/,upperdir=/tmp/upper,workdir=/tmp/work")
        root = "/tmp/root"

        # The real /proc, /sys and /dev are not in the lower layer (other file systems): mount our own.
        _mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        # Keep the shared kernel's sysctls out of reach, except the per-namespace network ones.
        _mount(f"{root}/proc/sys", f"{root}/proc/sys", None, MS_BIND | MS_REC)
        _mount(f"{root}/proc/sys/net", f"{root}/proc/sys/net", None, MS_BIND | MS_REC)
        _mount(None, f"{root}/proc/sys", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        if os.path.exists(f"{root}/proc/sysrq-trigger"):
                _mount(f"{root}/proc/sysrq-trigger", f"{root}/proc/sysrq-trigger", None, MS_BIND)
                _mount(None, f"{root}/proc/sysrq-trigger", None, MS_BIND | MS_REMOUNT | MS_RDONLY)
        # A fresh sysfs shows the network devices of our own network namespace.
        _mount("sysfs", f"{root}/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        cg = f"{root}/sys/fs/cgroup"
        _mount("cgroup", cg, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755")
        for host_dir, name in config["cgroups"]:
                os.mkdir(f"{cg}/{name}")
                _mount(host_dir, f"{cg}/{name}", None, MS_BIND)
        _mount("/dev", f"{root}/dev", None, MS_BIND | MS_REC)
        _mount("shm", f"{root}/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        # Console output goes to the pty the TestHost reads, not the real machine's console; and
        # the real kernel log is neither read nor written.
        _mount(config["console"], f"{root}/dev/console", None, MS_BIND)
        _mount("/dev/null", f"{root}/dev/kmsg", None, MS_BIND)
        _mount("run", f"{root}/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
        # Container storage may stack overlays of its own, whose upper layer cannot be an overlay.
        for d in STORAGE_TMPFS:
                os.makedirs(root + d, exist_ok=True)
                _mount("storage", root + d, "tmpfs", 0, "mode=0700")

        os.makedirs(f"{root}/run/systemd/system", exist_ok=True)
        os.makedirs(f"{root}/run/systemd/system.control", exist_ok=True)
        os.makedirs(f"{root}/run/systemd/journald.conf.d", exist_ok=True)
        _write(f"{root}/run/systemd/system/{TARGET}",
               "[Unit]\nDescription=crio test host\n"
               f"Wants={' '.join(sorted(ALLOWED_UNITS))}\n"
               f"After={' '.join(sorted(ALLOWED_UNITS))}\nAllowIsolate=yes\n")
        _write(f"{root}/run/systemd/journald.conf.d/10-testhost.conf", "[Journal]\nStorage=volatile\n")
        # system.control outranks /etc/systemd/system, where the machine's own units live.
        _mask_units(f"{root}/run/systemd/system.control")
        if config.get("dbus_broker"):
                _install_dbus_broker(config["dbus_broker"], root)
        _write(f"{root}/etc/hostname", HOSTNAME + "\n")
        _write(f"{root}/etc/machine-id", config["machine_id"] + "\n")
        hn = HOSTNAME.encode()
        _libc_call("sethostname", hn, len(hn))
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

        os.chdir(root)
        _libc_call("syscall", ctypes.c_long(SYS_PIVOT_ROOT[os.uname().machine]), b".", b".")
        _libc_call("umount2", b".", MNT_DETACH)
        os.chdir("/")
        os.execve(SYSTEMD, [SYSTEMD, "--system", f"--unit={TARGET}", "--show-status=no",
                            "--log-target=console"], dict(ENV, container="other"))


# -------------------------------------------------------------------------------------------------
# CLI

def _repo_root():
        return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _boot_with_crio(args):
        host = TestHost()
        host.boot()
        try:
                if not args.no_crio:
                        host.install_crio(args.build_dir, args.source_dir)
                        host.start_crio()
        except BaseException:
                host.teardown()
                raise
        return host


def main(argv=None):
        argv = sys.argv[1:] if argv is None else argv
        if argv and argv[0] == "_stage2":
                stage2(json.loads(argv[1]))
                return 1
        p = argparse.ArgumentParser(description="Boot a throw-away systemd host with crio in it.")
        sub = p.add_subparsers(dest="command", required=True)
        for name in ("shell", "run"):
                s = sub.add_parser(name)
                s.add_argument("--build-dir", default=os.environ.get("CRIO_BUILD_DIR",
                                                                      os.path.join(_repo_root(), "build")))
                s.add_argument("--source-dir", default=_repo_root())
                s.add_argument("--no-crio", action="store_true", help="do not install and start crio")
                if name == "run":
                        s.add_argument("cmd", nargs=argparse.REMAINDER)
        args = p.parse_args(argv)
        if args.command == "run":
                cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
                if not cmd:
                        p.error("run needs a command after --")
        # SIGTERM tears the host down like Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
                host = _boot_with_crio(args)
        except TestHostError as e:
                print(f"testhost: {e}", file=sys.stderr)
                return 125
        try:
                if args.command == "shell":
                        print(f"test host booted in {host.boot_seconds:.2f}s, PID 1 is {host.pid}")
                        print(f"CRI socket: {host.crio_socket()}")
                        print(f"enter:  {shlex.join(host.enter_command())} -- /bin/bash")
                        print("Ctrl-C or end of input (Ctrl-D) tears it down.", flush=True)
                        try:
                                while sys.stdin.buffer.read1(65536):
                                        pass
                        except KeyboardInterrupt:
                                pass
                        return 0
                r = host.run(cmd, check=False, capture=False, timeout=None)
                return r.returncode
        finally:
                host.teardown()


if __name__ == "__main__":
        sys.exit(main())

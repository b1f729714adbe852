"""Relays and nodes as processes for Python tests (browser, metrics): every
one started is stopped by stop(); every wait is bounded (WAIT seconds)."""
import os
import signal
import subprocess
import time

WAIT = 30  # seconds: the bound on every wait for a condition


class Cluster:
    """Relays and nodes as processes; all stopped by stop()."""

    def __init__(self, bin_dir, work):
        self.bin = bin_dir
        self.work = work
        self.procs = {}
        self.certs = os.path.join(work, 'certs')
        self.run([self.hotline, 'certs', 'init', '--demo', '--certs', self.certs, '--relays', '2'])

    @property
    def hotline(self):
        return os.path.join(self.bin, 'client', 'hotline')

    def run(self, argv, stdin=None):
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=60, check=True).stdout

    def spawn(self, name, argv):
        log = open(os.path.join(self.work, name + '.log'), 'w')
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def wait_file(self, path):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if os.path.exists(path) and open(path).read().strip():
                return open(path).read().strip()
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f'{name} exited: ' + open(os.path.join(self.work, name + '.log')).read())
            time.sleep(0.05)
        raise TimeoutError(f'{path} never appeared')

    def start_relay(self, n, extra=()):
        ready = os.path.join(self.work, f'relay-{n}.addr')
        self.spawn(f'relay-{n}', [os.path.join(self.bin, 'server', 'hotline-relay'), '--certs', self.certs,
                                  '--name', f'relay-{n}', '--listen', '127.0.0.1:0',
                                  '--data', os.path.join(self.work, f'relay-{n}'), '--ready-file', ready,
                                  *extra])
        return self.wait_file(ready)

    def start_node(self, nation, relays, extra=(), console=True):
        """Returns the console's URL (with console), else the node's data folder."""
        data = self.data(nation)
        argv = [os.path.join(self.bin, 'client', 'hotline-node'), '--nation', nation.upper(), '--certs', self.certs,
                '--data', data, *(['--console', '127.0.0.1:0'] if console else []), *extra]
        for r in relays:
            argv += ['--relay', r]
        self.spawn(f'node-{nation}', argv)
        if not console:
            return data
        address = self.wait_file(os.path.join(data, 'console.addr'))
        return 'http://' + address

    def data(self, nation):
        return os.path.join(self.work, f'node-{nation}')

    def audit(self, nation):
        return self.run([self.hotline, 'audit', 'export', os.path.join(self.data(nation), 'node.db')])

    def kill(self, name):
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(timeout=WAIT)

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

#!/usr/bin/python3
"""Metrics scraped for real (issue 19): two relays and three nodes serve
/metrics on loopback; after a message, an acknowledgment and a live track,
each scrape passes `promtool check metrics` (Debian `prometheus`) and shows
the values the traffic must have made; then a real Prometheus server
scrapes all five and a value is queried back through its HTTP API and
compared with a direct scrape. Every wait is bounded; every process started
is stopped.

Usage: metrics_test.py --bin BUILD_DIR
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'support'))
from pycluster import WAIT, Cluster  # noqa: E402


def step(message):
    print(f'[{time.strftime("%H:%M:%S")}] {message}', flush=True)


def scrape(address):
    with urllib.request.urlopen(f'http://{address}/metrics', timeout=10) as r:
        assert r.status == 200 and r.headers['Content-Type'].startswith('text/plain; version=0.0.4'), r.headers
        return r.read().decode()


def value(text, name, labels=None):
    """The sample `name{labels}` in an exposition text, or None."""
    for line in text.splitlines():
        if line.startswith('#'):
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$', line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ''))
        if all(got.get(k) == v for k, v in (labels or {}).items()):
            return float(m.group(3))
    return None


def wait_for(condition, what):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f'timed out waiting for {what}')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--bin', required=True)
    args = parser.parse_args()
    promtool, prometheus = shutil.which('promtool'), shutil.which('prometheus')
    assert promtool and prometheus, 'Debian package prometheus is needed (scripts/install-deps.sh)'
    work = tempfile.mkdtemp(prefix='hotline-metrics-')
    cluster = Cluster(os.path.abspath(args.bin), work)
    server = None
    try:
        step('two relays and three nodes, each serving /metrics')
        metrics = ['--metrics', '127.0.0.1:0']
        relays = [cluster.start_relay(n, metrics) for n in (1, 2)]
        targets = {f'relay-{n}': cluster.wait_file(os.path.join(work, f'relay-{n}', 'metrics.addr'))
                   for n in (1, 2)}
        for n in ('us', 'jp', 'kr'):
            data = cluster.start_node(n, relays, metrics, console=False)
            targets[f'node-{n}'] = cluster.wait_file(os.path.join(data, 'metrics.addr'))
        for n in ('us', 'jp', 'kr'):
            wait_for(lambda: value(scrape(targets[f'node-{n}']), 'hotline_relay_links_up') == 2,
                     f'node-{n} linked to both relays')

        step('traffic: a FLASH acknowledged, a routine message, a live track')
        hotline = cluster.hotline
        node = lambda n: ['--node', cluster.data(n)]  # noqa: E731
        flash = cluster.run([hotline, 'send', *node('us'), '--to', 'JP,KR', '--channel', 'crisis',
                             '--text', 'metrics drill']).strip()
        cluster.run([hotline, 'wait', flash, *node('us'), '--tier', 'delivered', '--timeout', '20'])
        cluster.run([hotline, 'ack', flash, *node('jp')])
        cluster.run([hotline, 'ack', flash, *node('kr')])
        cluster.run([hotline, 'wait', flash, *node('us'), '--tier', 'acknowledged', '--timeout', '20'])
        cluster.run([hotline, 'send', *node('kr'), '--to', 'US', '--text', 'routine']).strip()
        cluster.run([hotline, 'track', 'publish', *node('kr'), '--to', 'US', '--simulate', '--rate', '10',
                     '--duration', '1s', '--status', 'exercise'])

        step('each scrape passes promtool and shows the traffic')
        texts = {}
        us = wait_for(lambda: (lambda t: t if value(t, 'hotline_tier_seconds_count',
                                                     {'tier': 'acknowledged', 'precedence': 'FLASH'}) == 2
                               else None)(scrape(targets['node-us'])), 'the acknowledgment tier at US')
        assert value(us, 'hotline_tier_seconds_count', {'tier': 'delivered', 'precedence': 'FLASH'}) == 2, us
        assert value(us, 'hotline_tier_seconds_count', {'tier': 'accepted', 'precedence': 'FLASH'}) == 1, us
        assert value(us, 'hotline_node_info', {'nation': 'US'}) == 1
        assert value(us, 'hotline_audit_events_total', {'event': 'SENT'}) >= 1
        assert value(us, 'hotline_commit_seconds_count') > 0
        assert value(us, 'hotline_outbox_messages', {'precedence': 'FLASH', 'state': 'unreceipted'}) == 0
        wait_for(lambda: (value(scrape(targets['node-us']), 'hotline_track_updates_total',
                                {'direction': 'applied'}) or 0) >= 1, 'track updates applied at US')
        kr = scrape(targets['node-kr'])
        assert value(kr, 'hotline_track_updates_total', {'direction': 'published'}) == 11, kr
        relay_text = scrape(targets['relay-1']) + scrape(targets['relay-2'])
        assert value(relay_text, 'hotline_relay_node_connected', {'nation': 'US'}) == 1, relay_text
        assert value(relay_text, 'hotline_relay_queue_depth', {'recipient': 'JP', 'precedence': 'FLASH'}) == 0
        for name, address in targets.items():
            texts[name] = scrape(address)
            check = subprocess.run([promtool, 'check', 'metrics'], input=texts[name], capture_output=True,
                                   text=True, timeout=60)
            assert check.returncode == 0, f'{name}: promtool: {check.stdout}{check.stderr}'
            for family in ('hotline_audit_events_total', 'hotline_audit_log_records', 'hotline_commit_seconds'):
                assert f'# TYPE {family} ' in texts[name], (name, family)
        # Anything but GET /metrics is refused without harm.
        try:
            urllib.request.urlopen(f'http://{targets["relay-1"]}/other', timeout=10)
            raise AssertionError('/other answered')
        except urllib.error.HTTPError as e:
            assert e.code == 404, e.code

        step('a real Prometheus scrapes all five and answers a query')
        port = free_port()
        config = os.path.join(work, 'prometheus.yml')
        with open(config, 'w') as f:
            f.write('global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n'
                    '  - job_name: hotline\n    static_configs:\n      - targets: [' +
                    ', '.join(f"'{a}'" for a in targets.values()) + ']\n')
        log = open(os.path.join(work, 'prometheus.log'), 'w')
        server = subprocess.Popen([prometheus, f'--config.file={config}',
                                   f'--storage.tsdb.path={os.path.join(work, "tsdb")}',
                                   f'--web.listen-address=127.0.0.1:{port}'],
                                  stdout=log, stderr=subprocess.STDOUT)

        def query(expr):
            url = f'http://127.0.0.1:{port}/api/v1/query?' + urllib.parse.urlencode({'query': expr})
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    data = json.load(r)
            except OSError:
                return None
            return data['data']['result'] if data.get('status') == 'success' else None

        wait_for(lambda: (lambda res: res and len(res) == 5 and all(x['value'][1] == '1' for x in res))(
            query('up{job="hotline"}')), 'Prometheus to scrape all five targets')
        direct = value(scrape(targets['node-us']), 'hotline_audit_events_total', {'event': 'ACKNOWLEDGED'})
        got = wait_for(lambda: query('hotline_audit_events_total{event="ACKNOWLEDGED",instance="%s"}'
                                     % targets['node-us']), 'the ACKNOWLEDGED count in Prometheus')
        assert float(got[0]['value'][1]) == direct and direct >= 2, (got, direct)
        delivered = wait_for(lambda: query('sum(hotline_tier_seconds_count{tier="delivered"})'),
                             'the delivered tier in Prometheus')
        assert float(delivered[0]['value'][1]) >= 3, delivered
        step('PASS')
        return 0
    finally:
        if server:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

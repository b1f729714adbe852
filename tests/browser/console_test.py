#!/usr/bin/python3
"""The operator console in a real browser (headless Chromium via Selenium).

Starts two relays and three nodes serving consoles on loopback, then, as
operators would: KR sends a FLASH from its console, the US console raises
the banner and acknowledges, KR's sent view shows the acknowledgment; a
consultation is requested and answered through consoles; the relay in use
is killed and the links view shows the failover while a message still
goes through; HTML and script payloads in every field a peer controls
stay text; requests without a CSRF token, without a session, and a
WebSocket from another origin are refused and audited. Screenshots go to
--artifacts. Every wait is on a condition, bounded; every process started
is stopped.

Usage: console_test.py --bin BUILD_DIR [--artifacts DIR]
"""
import argparse
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'support'))
from pycluster import Cluster  # noqa: E402  (tests/support)
from selenium import webdriver
from selenium.common.exceptions import (ElementClickInterceptedException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 30  # seconds: the bound on every wait for a condition
PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'


class Browser:
    def __init__(self, work, artifacts):
        options = webdriver.ChromeOptions()
        for arg in ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                    '--disable-background-networking', '--disable-component-update', '--disable-sync',
                    '--autoplay-policy=no-user-gesture-required', '--window-size=1500,1000',
                    f'--user-data-dir={os.path.join(work, "chromium-profile")}']:
            options.add_argument(arg)
        options.binary_location = shutil.which('chromium') or '/usr/bin/chromium'
        self.driver = webdriver.Chrome(service=Service(executable_path=shutil.which('chromedriver') or '/usr/bin/chromedriver'),
                                       options=options)
        self.driver.set_script_timeout(WAIT)
        self.artifacts = artifacts
        self.tabs = {}

    def open_tab(self, name, url):
        if self.tabs:
            self.driver.switch_to.new_window('tab')
        self.tabs[name] = self.driver.current_window_handle
        self.driver.get(url)

    def tab(self, name):
        self.driver.switch_to.window(self.tabs[name])
        return self.driver

    def wait(self, condition, what):
        try:
            return WebDriverWait(self.driver, WAIT, poll_frequency=0.1).until(condition)
        except TimeoutException:
            self.shot('failed-' + what.replace(' ', '-'))
            raise AssertionError(f'timed out waiting for {what}')

    def shot(self, name):
        os.makedirs(self.artifacts, exist_ok=True)
        self.driver.save_screenshot(os.path.join(self.artifacts, name + '.png'))

    def quit(self):
        self.driver.quit()


def text_of(driver, css):
    # In one script: the page redraws on live events, so element handles go stale.
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map((e) => e.innerText).join(' ')", css)


def open_row(driver, containing):
    """Clicks the inbox row whose text contains `containing`."""
    def click():
        for row in driver.find_elements(By.CSS_SELECTOR, 'table.inbox tbody tr'):
            if containing in row.text:
                row.click()
                return True
        raise AssertionError(f'no inbox row with {containing}')
    return retrying(click, f'opening the row with {containing}')


def retrying(action, what):
    """Runs `action` again if the page redrew its element meanwhile (bounded)."""
    for _ in range(50):
        try:
            return action()
        except StaleElementReferenceException:
            time.sleep(0.1)
    raise AssertionError(f'{what}: the element kept being redrawn')


def click_tab(driver, view):
    """Opens a view. A banner appearing just then moves the tab bar under the
    click (seen in CI: the FLASH banner of a reply), so it clicks again until
    the tab is the active one (bounded)."""
    selector = f'#tabs button[data-view="{view}"]'

    def active(d):
        return 'active' in (d.find_element(By.CSS_SELECTOR, selector).get_attribute('class') or '').split()
    for _ in range(20):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            WebDriverWait(driver, 2, poll_frequency=0.05).until(active)
            return
        except (TimeoutException, StaleElementReferenceException, ElementClickInterceptedException):
            continue
    raise AssertionError(f'the {view} tab never opened')


def step(message):
    print(f'[{time.strftime("%H:%M:%S")}] {message}', flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--bin', required=True)
    parser.add_argument('--artifacts', default='test-artifacts/console')
    parser.add_argument('--keep', action='store_true', help='keep the work folder')
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='hotline-console-')
    cluster = Cluster(os.path.abspath(args.bin), work)
    browser = None
    try:
        r1 = cluster.start_relay(1)
        r2 = cluster.start_relay(2)
        consoles = {n: cluster.start_node(n, [r1, r2]) for n in ('us', 'kr')}
        # JP has never run: no epoch key of it is known, so KR's first message
        # to it is wrapped for JP's long-term key and marked at both ends.
        first_contact = cluster.run([cluster.hotline, 'send', '--to', 'JP', '--text', 'First contact before JP ran',
                                     '--node', cluster.data('kr')]).strip()
        consoles['jp'] = cluster.start_node('jp', [r1, r2])
        step(f'consoles: {consoles}')
        # KR signs in with a password; US with the link the node wrote at
        # start, JP with one an operator asked the CLI for.
        cluster.run([cluster.hotline, 'operators', 'add', 'kr-watch-officer', '--node', cluster.data('kr')],
                    stdin='seoul-night-shift\n')
        browser = Browser(work, args.artifacts)
        browser.open_tab('kr', consoles['kr'])
        d = browser.tab('kr')
        browser.wait(EC.visibility_of_element_located((By.ID, 'login-form')), 'the KR sign-in form')
        d.find_element(By.ID, 'login-name').send_keys('kr-watch-officer')
        d.find_element(By.ID, 'login-password').send_keys('wrong password')
        d.find_element(By.CSS_SELECTOR, '#login-form button').click()
        browser.wait(lambda d: 'login failed' in d.find_element(By.ID, 'login-error').text, 'a refused sign-in')
        d.find_element(By.ID, 'login-password').clear()
        d.find_element(By.ID, 'login-password').send_keys('seoul-night-shift')
        d.find_element(By.CSS_SELECTOR, '#login-form button').click()
        browser.wait(lambda d: 'kr-watch-officer' in d.find_element(By.ID, 'who').text, 'KR signed in')
        browser.open_tab('us', open(os.path.join(cluster.data('us'), 'console-url')).read().strip())
        browser.wait(lambda d: 'duty-officer' in d.find_element(By.ID, 'who').text, 'US signed in')
        jp_link = cluster.run([cluster.hotline, 'console', 'link', '--as', 'jp-night-desk',
                               '--node', cluster.data('jp')]).strip()
        browser.open_tab('jp', jp_link)
        browser.wait(lambda d: 'jp-night-desk' in d.find_element(By.ID, 'who').text, 'JP signed in')
        for n in ('us', 'jp', 'kr'):
            browser.tab(n)
            browser.wait(lambda d: 'live' in d.find_element(By.ID, 'feed-state').text, f'{n} live feed')

        step('KR sends a FLASH to US and JP from its console')
        d = browser.tab('kr')
        click_tab(d, 'compose')
        form = browser.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, 'form.compose')), 'the compose form')
        Select(form.find_element(By.NAME, 'channel')).select_by_visible_text('crisis')
        assert Select(form.find_element(By.NAME, 'precedence')).first_selected_option.text == 'FLASH'
        form.find_element(By.NAME, 'text').send_keys('Launch detected from the west coast; convene the hotline')
        form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        browser.wait(lambda d: 'Sent:' in text_of(d, 'form.compose .status'), 'KR send confirmed')
        flash_id = d.find_element(By.CSS_SELECTOR, 'form.compose .status').get_attribute('data-id')

        step('the US console raises the FLASH banner')
        d = browser.tab('us')
        browser.wait(EC.visibility_of_element_located((By.ID, 'flash-banner')), 'the FLASH banner at US')
        assert 'from KR' in d.find_element(By.ID, 'flash-text').text
        browser.shot('01-us-flash-banner')
        d.find_element(By.ID, 'flash-open').click()
        ack = browser.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, 'article.message button.ack')), 'the Acknowledge button')
        d.find_element(By.CSS_SELECTOR, 'article.message textarea.reply').send_keys('US copies; standing by')
        ack.click()
        browser.wait(EC.invisibility_of_element_located((By.ID, 'flash-banner')), 'the banner to clear after ack')

        step("KR's sent view shows US acknowledged")
        d = browser.tab('kr')
        click_tab(d, 'sent')
        us_ack = f'article.sent[data-id="{flash_id}"] .recipient-status[data-nation="US"] .tier.reached'
        browser.wait(lambda d: 'acknowledged' in text_of(d, us_ack), 'US acknowledged in KR sent view')
        no_fs = f'article.sent[data-id="{first_contact}"] .recipient-status[data-nation="JP"] .no-fs'
        browser.wait(lambda d: 'NO FORWARD SECRECY' in text_of(d, no_fs), 'the first contact marked in KR sent view')
        assert 'by duty-officer' in text_of(d, us_ack), text_of(d, us_ack)
        browser.shot('02-kr-sent-acknowledged')

        step("JP's inbox marks the first contact as without forward secrecy")
        d = browser.tab('jp')
        click_tab(d, 'inbox')
        browser.wait(lambda d: 'NO FORWARD SECRECY' in text_of(d, 'table.inbox tbody tr .no-fs'), 'the badge in JP inbox')
        assert 'First contact' in text_of(d, 'table.inbox tbody tr'), text_of(d, 'table.inbox tbody tr')

        step('JP requests a consultation; US answers from its console')
        click_tab(d, 'consult')
        form = browser.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, 'form.consult-request')), 'the consult form')
        form.find_element(By.NAME, 'topic').send_keys('Joint statement on the launch')
        form.find_element(By.NAME, 'question').send_keys('Issue a trilateral statement within the hour?')
        form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        d = browser.tab('us')
        click_tab(d, 'consult')
        browser.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, 'article.consultation form.consult-answer')),
                     'the consultation at US')

        def answer():
            field = d.find_element(By.CSS_SELECTOR, 'form.consult-answer input[name=text]')
            field.click()  # a focused form is not redrawn under the operator
            field.send_keys('Concur; draft follows')
            d.find_element(By.CSS_SELECTOR, 'form.consult-answer button[type=submit]').click()
        retrying(answer, 'answering the consultation')
        browser.wait(lambda d: 'Answer sent' in text_of(d, 'form.consult-answer .status'), 'the answer sent')
        d = browser.tab('jp')
        browser.wait(lambda d: 'CONCUR' in text_of(d, 'article.consultation .answer[data-nation="US"]'), 'US CONCUR at JP')
        browser.shot('03-jp-consultation-board')

        step('the relay in use dies; the links view shows the failover; a message still goes through')
        d = browser.tab('kr')
        click_tab(d, 'links')
        in_use = browser.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, 'table.links tr.in-use')), 'a relay in use')
        dead = in_use.get_attribute('data-subject')
        survivor = 'relay-2' if dead == 'relay-1' else 'relay-1'
        # Path tests: every relay to every other nation, tested on request.
        def test_paths_now():
            d.find_element(By.CSS_SELECTOR, 'section.path-tests button.test-now').click()
        retrying(test_paths_now, 'asking for a path test')
        browser.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, 'table.paths td.path[data-state="ok"]')) == 4,
                     'four working paths in the matrix')
        assert 'OK' in text_of(d, 'table.paths td[data-path="KR → relay-1 → US"]'), text_of(d, 'table.paths')
        cluster.kill(dead)
        browser.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'table.links tr.down[data-subject="{dead}"]') and
                     d.find_elements(By.CSS_SELECTOR, f'table.links tr.in-use[data-subject="{survivor}"]'),
                     'the failover in the links view')
        assert f'{dead}: IN USE → DOWN' in text_of(d, 'ul.link-history'), text_of(d, 'ul.link-history')
        retrying(test_paths_now, 'asking for a path test')
        browser.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, f'table.paths td.path-failed[data-path^="KR → {dead} → "]')) == 2,
                     f'the paths through {dead} failed in the matrix')
        assert f'KR → {dead} → US: {dead} is not connected' in text_of(d, 'ul.path-failures'), text_of(d, 'ul.path-failures')
        assert len(d.find_elements(By.CSS_SELECTOR, f'table.paths td.path-ok[data-path^="KR → {survivor} → "]')) == 2
        browser.shot('04-kr-links-failover')
        click_tab(d, 'compose')
        form = d.find_element(By.CSS_SELECTOR, 'form.compose')
        Select(form.find_element(By.NAME, 'channel')).select_by_visible_text('general')
        form.find_element(By.NAME, 'text').send_keys('after the failover')
        form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
        d = browser.tab('us')
        click_tab(d, 'inbox')
        browser.wait(lambda d: 'after the failover' in text_of(d, 'table.inbox'), 'the post-failover message at US')

        step('payloads from another nation stay text')
        warning = os.path.join(work, 'warning.json')
        with open(warning, 'w') as f:
            json.dump({'status': 'STATUS_EXERCISE', 'event_id': PAYLOAD, 'source': PAYLOAD, 'remarks': PAYLOAD,
                       'launch_latitude': 39.0, 'launch_longitude': 125.7, 'azimuth_degrees': 95,
                       'predicted_impact_latitude': 39.5, 'predicted_impact_longitude': 134.0}, f)
        jp = ['--node', cluster.data('jp')]
        cluster.run([cluster.hotline, 'send', *jp, '--to', 'US', '--channel', 'general', '--text', PAYLOAD])
        cluster.run([cluster.hotline, 'warn', *jp, '--to', 'US', '--json', warning])
        cluster.run([cluster.hotline, 'consult', 'request', *jp, '--to', 'US', '--topic', PAYLOAD, '--question', PAYLOAD])
        d = browser.tab('us')
        click_tab(d, 'inbox')
        browser.wait(lambda d: len(d.find_elements(By.XPATH, "//td[contains(@class,'summary') and contains(., '<script>')]")) >= 2,
                     'the payloads listed as text')
        open_row(d, 'MISSILE WARNING')
        browser.wait(lambda d: PAYLOAD in text_of(d, 'article.message .event-id'), 'the warning view with the payload as text')
        assert PAYLOAD in text_of(d, 'article.message .remarks')
        assert 'EXERCISE — NOT A REAL EVENT' in text_of(d, 'article.message .drill-banner')
        assert d.find_elements(By.CSS_SELECTOR, 'article.message svg.map circle.launch'), 'the map shows the launch'
        click_tab(d, 'consult')
        browser.wait(lambda d: PAYLOAD in text_of(d, 'article.consultation .topic'), 'the consultation payload as text')
        for n in ('us', 'jp', 'kr'):
            d = browser.tab(n)
            assert d.execute_script('return window.__pwned') is None, f'script ran in the {n} console'
            assert not d.find_elements(By.CSS_SELECTOR, 'main img, main script, main b'), f'markup rendered in {n}'
        browser.tab('us')
        click_tab(browser.driver, 'inbox')
        browser.shot('05-us-inbox-payloads-as-text')
        open_row(browser.driver, 'MISSILE WARNING')
        browser.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, 'article.message svg.map')), 'the map')
        browser.shot('06-us-missile-warning-map')

        step('KR publishes a live (simulated, EXERCISE) missile track; the US console shows it on its map')
        d = browser.tab('us')
        click_tab(d, 'tracks')
        browser.wait(lambda d: 'Live tracks' in text_of(d, '#view-tracks h2'), 'the tracks view')
        track_id = 'KR-T1<b>x</b>'
        cluster.run([cluster.hotline, 'track', 'publish', '--node', cluster.data('kr'), '--to', 'US', '--simulate',
                     '--track-id', track_id, '--duration', '2s', '--rate', '10', '--status', 'exercise'])
        browser.wait(lambda d: 'ENDED' in text_of(d, 'table.tracks tr.status-exercise'), 'the track ended at US')
        row = text_of(d, 'table.tracks tr.status-exercise')
        assert track_id in row and '#21' in row and 'EXERCISE' in row, row
        trail = d.execute_script("const p = document.querySelector('#view-tracks svg.map polyline.track-trail');"
                                 "return p ? p.getAttribute('points').split(' ').length : 0")
        assert trail >= 2, f'the trail has {trail} points'
        label = d.execute_script("return Array.from(document.querySelectorAll('#view-tracks svg.map text.track-label'))"
                                 ".map((e) => e.textContent).join(' ')")
        assert '[EXERCISE]' in label and 'ENDED' in label, label
        assert not d.find_elements(By.CSS_SELECTOR, 'main b'), 'markup in a track id rendered'
        browser.shot('07-us-live-track')

        step('requests without CSRF, without a session, and a foreign-origin WebSocket are refused and audited')
        d = browser.tab('us')
        status = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/api/control', {method: 'POST', headers: {'Content-Type': 'application/json'},
                  body: JSON.stringify({send: {to: ['NATION_JP'], body: {text: {text: 'forged'}}}})})
              .then((r) => done(r.status), (e) => done(String(e)));""")
        assert status == 403, status
        request = urllib.request.Request(consoles['us'] + '/api/control', method='POST',
                                         data=b'{"inbox":{}}', headers={'Origin': consoles['us'],
                                                                         'Content-Type': 'application/json'})
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError('a request without a session was served')
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.code
        # A hostile page on another port of the same host: same-site, so the
        # browser sends the US session cookie; only the Origin check stands.
        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b'<!doctype html><title>elsewhere</title><p>another origin</p>'
                self.send_response(200)
                self.send_header('Content-Type', 'text/html')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        hostile = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Page)
        threading.Thread(target=hostile.serve_forever, daemon=True).start()
        try:
            browser.open_tab('hostile', f'http://127.0.0.1:{hostile.server_address[1]}/')
            d = browser.tab('hostile')
            opened = d.execute_async_script("""
                const done = arguments[arguments.length - 1];
                const ws = new WebSocket(arguments[0].replace('http', 'ws') + '/api/events');
                ws.onopen = () => done('opened');
                ws.onclose = () => done('refused');""", consoles['us'])
            assert opened == 'refused', opened
            posted = d.execute_async_script("""
                const done = arguments[arguments.length - 1];
                fetch(arguments[0] + '/api/control', {method: 'POST', credentials: 'include', mode: 'no-cors',
                      headers: {'Content-Type': 'text/plain'}, body: '{"inbox":{}}'})
                  .then(() => done('sent'), (e) => done(String(e)));""", consoles['us'])
            # The browser sends it (its answer is then withheld from the page by
            # Cross-Origin-Resource-Policy); the node must refuse it: audited below.
            step(f'cross-origin POST from the hostile page: {posted}')
        finally:
            hostile.shutdown()
        audit = cluster.audit('us')
        for needle in ('missing or wrong CSRF token', 'not signed in', 'WebSocket from another origin',
                       'POST /api/control from 127.0.0.1: request from another origin'):
            deadline = time.monotonic() + WAIT
            while needle not in audit and time.monotonic() < deadline:
                time.sleep(0.2)
                audit = cluster.audit('us')
            assert needle in audit, f'no audit record for: {needle}'
        kr_audit = cluster.audit('kr')
        assert 'OPERATOR_LOGIN' in kr_audit and 'kr-watch-officer' in kr_audit, 'KR sign-in audited with the name'
        jp_audit = cluster.audit('jp')
        assert 'one-time link issued by cli:' in jp_audit and 'jp-night-desk' in jp_audit, \
            'JP sign-in audited with who asked for its link'

        step("the after-action report of this run opens offline with its charts and the JSON's figures")
        cluster.stop()  # the final checkpoints cover every record
        out = os.path.join(work, 'report')
        printed = cluster.run([cluster.hotline, 'report', work, '--certs', cluster.certs, '--out', out])
        assert printed.startswith('VERIFIED'), printed
        with open(os.path.join(out, 'report.json')) as f:
            data = json.load(f)
        browser.open_tab('report', 'file://' + os.path.join(out, 'report.html'))
        d = browser.tab('report')
        browser.wait(lambda d: d.find_elements(By.CSS_SELECTOR, 'svg.timeline'), 'the report page')
        lanes = d.execute_script("return document.querySelectorAll('svg.timeline g.lane').length")
        assert lanes == len(data['lanes']) == 5, (lanes, len(data['lanes']))
        marks = d.execute_script("return document.querySelectorAll('svg.timeline circle.event').length")
        assert marks == sum(len(lane.get('events', [])) for lane in data['lanes']) and marks > 20, marks
        bars = d.execute_script("return Array.from(document.querySelectorAll('svg.histogram rect.bar'))"
                                ".map((b) => Number(b.dataset.count))")
        assert bars == data['acknowledgment_histogram']['counts'], (bars, data['acknowledgment_histogram'])
        shown = d.execute_script("const out = {}; document.querySelectorAll('[data-figure]')"
                                 ".forEach((e) => { out[e.dataset.figure] = e.textContent; }); return out")
        for name, value in data['counts'].items():
            assert shown.get('counts.' + name) == str(value), (name, value, shown.get('counts.' + name))
        for i, stats in enumerate(data['stats']):
            for field in ('messages', 'delivered', 'acknowledged', 'deadlines_met', 'deadlines_missed'):
                assert shown.get(f'stats[{i}].{field}') == str(stats.get(field, 0)), (i, field)
        assert data['verified'] and 'VERIFIED: every log is intact' in text_of(d, '#verification')
        assert not d.find_elements(By.CSS_SELECTOR, 'script, link, img'), 'the page loads nothing'
        d.set_window_size(1300, 2300)
        browser.shot('08-after-action-report')
        step('PASS')
        return 0
    finally:
        if browser:
            browser.quit()
        cluster.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
"""An exercise's after-action report in a real browser (headless Chromium).

Plays a short scenario with `hotline exercise run` (a FLASH whose
acknowledgment deadline JP misses and KR never meets, a warning, relay-1
frozen mid-way), builds its report, opens report.html offline and checks
that the section "Against the scenario" shows every expected response
with the JSON's verdicts and counts, that the timeline has the exercise
lane with one mark per inject, and that the page loads nothing. Keeps a
screenshot. Every process started is stopped by the runner itself.

Usage: exercise_report_test.py --bin BUILD_DIR [--artifacts DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_test import Browser, step, text_of  # noqa: E402  (same folder)
from selenium.webdriver.common.by import By  # noqa: E402

SCENARIO = {
    "version": 1, "name": "browser-check", "title": "Browser check: a missed FLASH acknowledgment",
    "relays": 2,
    "injects": [
        {"id": "flash", "at": "0s", "note": "US calls JP and KR on the crisis line",
         "send": {"from": "US", "to": "all", "channel": "crisis", "text": "Acknowledge within 1 s"}},
        {"id": "warn", "at": "0.5s",
         "warn": {"from": "KR", "to": "US,JP", "warning": {"event_id": "BROWSER-1", "source": "test"}}},
        {"id": "freeze", "at": "1s", "relay": {"relay": 1, "action": "freeze", "duration": "2s"}},
        {"id": "us-ack-warn", "at": "1.5s", "ack": {"by": "US", "message": "warn"}},
        {"id": "jp-ack-flash", "at": "2.5s", "ack": {"by": "JP", "message": "flash"}},
    ],
    "expect": [
        {"inject": "flash", "response": "acknowledged", "within": "1s"},
        {"inject": "warn", "response": "delivered", "within": "5s"},
        {"inject": "warn", "by": "US", "response": "acknowledged", "within": "30s"},
    ],
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--bin', required=True)
    parser.add_argument('--artifacts', default='test-artifacts/console')
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='hotline-exercise-')
    hotline = os.path.join(os.path.abspath(args.bin), 'client', 'hotline')
    browser = None
    try:
        step('playing a scenario with a missed deadline')
        scenario = os.path.join(work, 'scenario.json')
        with open(scenario, 'w') as f:
            json.dump(SCENARIO, f)
        run = os.path.join(work, 'run')
        played = subprocess.run([hotline, 'exercise', 'run', scenario, '--run-dir', run],
                                capture_output=True, text=True, timeout=240)
        assert played.returncode == 0, played.stdout + played.stderr
        assert 'LATE by' in played.stdout, played.stdout
        report = subprocess.run([hotline, 'report', run], capture_output=True, text=True, timeout=120)
        assert report.returncode == 0 and report.stdout.startswith('VERIFIED'), report.stdout + report.stderr
        with open(os.path.join(run, 'report.json')) as f:
            data = json.load(f)
        x = data['exercise']
        assert (x.get('met', 0), x.get('late', 0), x.get('missing', 0)) == (3, 1, 1), x

        step('the report in Chromium, offline')
        browser = Browser(work, args.artifacts)
        browser.open_tab('report', 'file://' + os.path.join(run, 'report.html'))
        d = browser.tab('report')
        browser.wait(lambda d: d.find_elements(By.CSS_SELECTOR, 'table#expected'), 'the exercise section')
        shown = d.execute_script("const out = {}; document.querySelectorAll('[data-figure]')"
                                 ".forEach((e) => { out[e.dataset.figure] = e.textContent; }); return out")
        for name in ('met', 'late', 'missing'):
            assert shown.get('exercise.' + name) == str(x.get(name, 0)), (name, shown.get('exercise.' + name))
        verdicts = d.execute_script("return Array.from(document.querySelectorAll('table#expected tr[data-verdict]'))"
                                    ".map((r) => r.dataset.verdict)")
        assert verdicts == [e['verdict'] for e in x['expected']], (verdicts, x['expected'])
        late = [i for i, e in enumerate(x['expected']) if e['verdict'] == 'late'][0]
        assert shown[f'exercise.expected[{late}].verdict'].startswith('LATE by'), shown
        assert 'Against the scenario' in text_of(d, 'h2')
        lane = d.execute_script("return document.querySelectorAll("
                                "'svg.timeline g.lane[data-actor=\"exercise\"] circle.event').length")
        assert lane == len(x['injects']) == 5, (lane, len(x['injects']))
        lanes = d.execute_script("return document.querySelectorAll('svg.timeline g.lane').length")
        assert lanes == len(data['lanes']) == 6, (lanes, len(data['lanes']))
        rows = d.execute_script("return document.querySelectorAll('table#injects tr').length")
        assert rows == 1 + len(x['injects']), rows
        assert not d.find_elements(By.CSS_SELECTOR, 'script, link, img'), 'the page loads nothing'
        d.set_window_size(1300, 1500)
        browser.shot('09-exercise-report')
        step('PASS')
        return 0
    finally:
        if browser:
            browser.quit()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

// Compose, Sent, Consultations, Relay links and Audit: each a control API
// request and a rendering of the node's answer.

import * as api from './api.js';
import {h, fill} from './dom.js';
import {NATIONS, PRECEDENCES, CHANNELS, nation, precedence, channel, zulu, since, hex, shortId, ms} from './format.js';

function recipientsPicker(app) {
  const own = nation(app.session.nation);
  const boxes = NATIONS.filter((n) => n !== own).map((n) =>
    h('label', {class: 'recipient'}, h('input', {type: 'checkbox', name: 'to', value: n, checked: true}), ` ${n}`));
  return {element: h('span', {class: 'recipients'}, boxes),
    values: () => boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => `NATION_${c.value}`)};
}

function select(name, options, selected) {
  return h('select', {name}, options.map(([value, label]) =>
    h('option', {value, selected: value === selected}, label)));
}

export class Compose {
  constructor(root, app) { this.root = root; this.app = app; this.built = false; }

  refresh() {
    if (this.built) return;
    this.built = true;
    this.buildMessage();
  }

  buildMessage() {
    const to = recipientsPicker(this.app);
    const channelSelect = select('channel', Object.entries(CHANNELS)
        .filter(([key]) => key !== 'CHANNEL_MISSILE_WARNING').map(([key, c]) => [key, c.name]), 'CHANNEL_CRISIS');
    const precedenceSelect = select('precedence', PRECEDENCES.map((p) => [`PRECEDENCE_${p}`, p]), 'PRECEDENCE_FLASH');
    // The precedence follows the channel's default until the operator picks one.
    let chosen = false;
    channelSelect.addEventListener('change', () => {
      if (!chosen) precedenceSelect.value = `PRECEDENCE_${CHANNELS[channelSelect.value].precedence}`;
    });
    precedenceSelect.addEventListener('change', () => { chosen = true; });
    const text = h('textarea', {name: 'text', rows: 5, required: true});
    const status = h('p', {class: 'status', role: 'status'});
    const send = h('button', {type: 'submit'}, 'Send');
    const form = h('form', {class: 'compose'},
        h('label', {}, 'To ', to.element),
        h('label', {}, 'Channel ', channelSelect),
        h('label', {}, 'Precedence ', precedenceSelect),
        h('label', {class: 'wide'}, 'Text ', text), send, status);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      send.disabled = true;
      try {
        const r = await api.control({send: {to: to.values(), channel: channelSelect.value,
          precedence: precedenceSelect.value, body: {text: {text: text.value}}}});
        status.textContent = `Sent: ${hex(r.send.message_id)}`;
        status.dataset.id = hex(r.send.message_id);
        text.value = '';
      } catch (err) {
        this.app.error(status, err);
      } finally {
        send.disabled = false;
      }
    });
    fill(this.root, h('h2', {}, 'Compose'), form, this.warningForm());
  }

  warningForm() {
    const to = recipientsPicker(this.app);
    const field = (name, label, attrs = {}) => {
      const input = h('input', {name, ...attrs});
      return {input, element: h('label', {}, `${label} `, input)};
    };
    const statusSelect = select('status', [['STATUS_EXERCISE', 'EXERCISE'], ['STATUS_TEST', 'TEST'], ['STATUS_ACTUAL', 'ACTUAL']], 'STATUS_EXERCISE');
    const f = {
      event: field('event_id', 'Event id', {required: true}),
      lat: field('launch_latitude', 'Launch lat', {type: 'number', step: 'any', value: '39.0'}),
      lon: field('launch_longitude', 'Launch lon', {type: 'number', step: 'any', value: '125.7'}),
      az: field('azimuth_degrees', 'Azimuth °', {type: 'number', step: 'any', value: '95'}),
      ilat: field('impact_latitude', 'Impact lat', {type: 'number', step: 'any', value: '39.5'}),
      ilon: field('impact_longitude', 'Impact lon', {type: 'number', step: 'any', value: '134.0'}),
      conf: field('confidence', 'Confidence %', {type: 'number', min: 0, max: 100, value: '80'}),
      source: field('source', 'Source', {value: 'radar'}),
      remarks: field('remarks', 'Remarks'),
    };
    const status = h('p', {class: 'status', role: 'status'});
    const form = h('form', {class: 'compose warning-compose'},
        h('h3', {}, 'Missile warning (FLASH, missile-warning channel)'),
        h('label', {}, 'To ', to.element), h('label', {}, 'Status ', statusSelect),
        Object.values(f).map((x) => x.element), h('button', {type: 'submit'}, 'Send warning'), status);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const num = (x) => Number(x.input.value || 0);
      try {
        const r = await api.control({send: {to: to.values(), channel: 'CHANNEL_MISSILE_WARNING',
          precedence: 'PRECEDENCE_FLASH', body: {missile_warning: {
            status: statusSelect.value, event_id: f.event.input.value, launch_time_ms: String(Date.now()),
            launch_latitude: num(f.lat), launch_longitude: num(f.lon), azimuth_degrees: num(f.az),
            predicted_impact_latitude: num(f.ilat), predicted_impact_longitude: num(f.ilon),
            confidence_percent: num(f.conf), source: f.source.input.value, remarks: f.remarks.input.value}}}});
        status.textContent = `Warning sent: ${hex(r.send.message_id)}`;
      } catch (err) {
        this.app.error(status, err);
      }
    });
    return form;
  }
}

function tier(label, at, extra = '') {
  return h('li', {class: `tier ${ms(at) ? 'reached' : 'waiting'}`},
      h('span', {class: 'tier-name'}, label), ' ', h('span', {class: 'time'}, zulu(at)), extra ? ` ${extra}` : '');
}

export class Sent {
  constructor(root, app) { this.root = root; this.app = app; }

  async refresh() {
    let status;
    try {
      status = (await api.control({status: {limit: 30}})).status || {};
    } catch (e) {
      return this.app.error(this.root, e);
    }
    const messages = (status.messages || []).map((m) => h('article', {class: `sent prec-${precedence(m.precedence)}`, dataset: {id: hex(m.message_id)}},
        h('header', {}, h('span', {class: 'prec'}, precedence(m.precedence)), ` ${channel(m.channel)} · `,
            h('code', {}, shortId(m.message_id)), ` · ${zulu(m.created_at_ms, true)} · `, h('span', {class: 'summary'}, m.summary || '')),
        h('div', {class: 'recipients'}, (m.recipients || []).map((r) =>
          h('div', {class: `recipient-status ${r.overdue ? 'overdue' : ''}`, dataset: {nation: nation(r.recipient)}},
              h('strong', {}, nation(r.recipient)), r.overdue ? h('span', {class: 'overdue-flag'}, ' OVERDUE') : '',
              r.without_forward_secrecy ? h('span', {class: 'no-fs', title: 'wrapped for the long-term key: no forward secrecy'}, ' NO FORWARD SECRECY') : '',
              r.expired_at_ms ? h('span', {class: 'expired-flag', title: 'removed undelivered after the relay retention: send again if it still matters'}, ` EXPIRED at ${r.expired_by}`) : '',
              h('ol', {class: 'timeline'},
                  tier('accepted', r.accepted_at_ms),
                  tier('delivered', r.delivered_at_ms),
                  tier('acknowledged', r.acknowledged_at_ms, r.acknowledged_by ? `by ${r.acknowledged_by}` : '')))))));
    const alerts = (status.alerts || []).slice(-10).reverse().map((a) => h('li', {class: 'alert'}, a));
    fill(this.root, h('h2', {}, 'Sent messages'),
        alerts.length ? h('section', {class: 'alerts'}, h('h3', {}, 'Alerts'), h('ul', {}, alerts)) : '',
        messages.length ? messages : h('p', {}, 'Nothing sent yet.'));
  }
}

export class Consultations {
  constructor(root, app) { this.root = root; this.app = app; this.cards = null; }

  async refresh() {
    if (!this.cards) {
      this.cards = h('div', {class: 'cards'});
      fill(this.root, h('h2', {}, 'Consultations'), this.requestForm(), this.cards);
    }
    // Not while an operator is typing an answer: after they leave the field.
    if (this.cards.contains(document.activeElement)) {
      if (!this.deferred) {
        this.deferred = true;
        document.activeElement.addEventListener('blur', () => {
          this.deferred = false;
          this.refresh();
        }, {once: true});
      }
      return;
    }
    let list;
    try {
      list = (await api.control({consult_status: {}})).consult_status || {};
    } catch (e) {
      return this.app.error(this.cards, e);
    }
    const own = nation(this.app.session.nation);
    const cards = (list.consultations || []).map((c) => {
      const mine = nation(c.requester) === own;
      const answers = (c.answers || []).map((a) => h('li', {class: `answer ${a.overdue ? 'overdue' : ''}`, dataset: {nation: nation(a.nation)}},
          h('strong', {}, nation(a.nation)), ' ',
          a.position ? h('span', {class: 'position'}, String(a.position).replace('POSITION_', '')) : h('span', {class: 'waiting'}, a.overdue ? 'OVERDUE' : 'awaiting answer'),
          a.text ? h('span', {class: 'answer-text'}, ` — ${a.text}`) : '', a.answered_at_ms ? ` ${zulu(a.answered_at_ms)}` : ''));
      return h('article', {class: 'consultation', dataset: {id: hex(c.consultation_id)}},
          h('h3', {class: 'topic'}, c.topic || ''), h('p', {class: 'question'}, c.question || ''),
          h('p', {class: 'meta'}, `requested by ${nation(c.requester)} at ${zulu(c.created_at_ms)} · answer by ${zulu(c.respond_by_ms)} (${since(c.respond_by_ms)})`),
          h('ul', {class: 'answers'}, answers),
          mine ? '' : this.answerForm(c));
    });
    fill(this.cards, cards.length ? cards : h('p', {}, 'No consultations.'));
  }

  requestForm() {
    const to = recipientsPicker(this.app);
    const topic = h('input', {name: 'topic', required: true});
    const question = h('textarea', {name: 'question', rows: 2, required: true});
    const minutes = h('input', {name: 'minutes', type: 'number', min: 1, value: '30'});
    const status = h('p', {class: 'status', role: 'status'});
    const form = h('form', {class: 'consult-request'}, h('h3', {}, 'Request a consultation'),
        h('label', {}, 'To ', to.element), h('label', {}, 'Topic ', topic), h('label', {class: 'wide'}, 'Question ', question),
        h('label', {}, 'Answer within (minutes) ', minutes), h('button', {type: 'submit'}, 'Request'), status);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api.control({send: {to: to.values(), channel: 'CHANNEL_CONSULT', body: {consult_request: {
          topic: topic.value, question: question.value, respond_by_ms: String(Date.now() + Number(minutes.value) * 60000)}}}});
        status.textContent = 'Consultation requested.';
        topic.value = '';
        question.value = '';
        this.refresh();
      } catch (err) {
        this.app.error(status, err);
      }
    });
    return form;
  }

  answerForm(c) {
    const position = select('position', [['POSITION_CONCUR', 'CONCUR'], ['POSITION_NEED_TIME', 'NEED TIME'], ['POSITION_DECLINE', 'DECLINE']], 'POSITION_CONCUR');
    const text = h('input', {name: 'text', placeholder: 'Explanation'});
    const status = h('p', {class: 'status', role: 'status'});
    const form = h('form', {class: 'consult-answer'}, position, text, h('button', {type: 'submit'}, 'Answer'), status);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api.control({send: {to: [c.requester], channel: 'CHANNEL_CONSULT', body: {in_reply_to: c.consultation_id,
          consult_response: {consultation_id: c.consultation_id, position: position.value, text: text.value}}}});
        status.textContent = 'Answer sent.';
      } catch (err) {
        this.app.error(status, err);
      }
    });
    return form;
  }
}

export class Links {
  constructor(root, app) { this.root = root; this.app = app; this.history = []; this.last = new Map(); }

  async refresh() {
    let status, links;
    try {
      status = (await api.control({status: {limit: 0}})).status || {};
      links = (await api.control({links: {}})).links || {};
    } catch (e) {
      return this.app.error(this.root, e);
    }
    for (const r of status.relays || []) {
      const state = r.connected ? (r.in_use ? 'IN USE' : 'UP') : 'DOWN';
      if (this.last.get(r.address) !== state) {
        if (this.last.has(r.address)) this.history.unshift(`${zulu(Date.now())} ${r.subject || r.address}: ${this.last.get(r.address)} → ${state}`);
        this.last.set(r.address, state);
      }
    }
    this.history = this.history.slice(0, 30);
    const rows = (status.relays || []).map((r) => h('tr', {class: r.connected ? (r.in_use ? 'in-use' : 'up') : 'down', dataset: {subject: r.subject || ''}},
        h('td', {}, r.subject || '?'), h('td', {}, r.address),
        h('td', {class: 'link-state'}, r.connected ? (r.in_use ? 'IN USE' : 'UP') : 'DOWN'),
        h('td', {}, r.since_ms ? `since ${zulu(r.since_ms)}` : ''), h('td', {class: 'error-text'}, r.last_error || '')));
    const clocks = (status.clocks || []).map((c) => {
      const offset = Number(c.offset_ms || 0);
      const text = Math.abs(offset) < 1000 ? 'in step (within 1 s)'
        : `${offset > 0 ? 'ahead' : 'behind'} by at least ${(Math.abs(offset) / 1000).toFixed(1)} s`;
      return h('li', {class: c.out_of_step ? 'out-of-step' : ''}, `${c.peer}: ${text}${c.out_of_step ? ' — OUT OF STEP' : ''}`);
    });
    fill(this.root, h('h2', {}, 'Relay links'),
        h('table', {class: 'links'}, h('thead', {}, h('tr', {}, ['Relay', 'Address', 'State', '', 'Last error'].map((t) => h('th', {}, t)))), h('tbody', {}, rows)),
        this.pathMatrix(links),
        h('h3', {}, 'Changes seen'), h('ul', {class: 'link-history'}, this.history.map((t) => h('li', {}, t))),
        h('h3', {}, 'Peer clocks'), h('ul', {}, clocks.length ? clocks : h('li', {}, 'no measurements yet')));
  }

  // Path tests (PROTOCOL.md §13): one row per relay, one column per nation;
  // each cell the last result, its round trip and when it last worked.
  pathMatrix(links) {
    const paths = links.paths || [];
    const nations = [...new Set(paths.map((p) => p.nation))];
    const relays = new Map();
    for (const p of paths) relays.set(p.relay_index || 0, p.relay);
    const cell = (p) => {
      if (!p) return h('td', {}, '-');
      const state = p.state || 'untested';
      const text = state === 'ok' ? `OK ${p.rtt_ms || 0} ms`
        : state === 'failed' ? `FAILED ×${p.consecutive_failures || 1}` : (p.outstanding ? 'testing…' : 'untested');
      const last = p.last_success_ms ? `last ok ${zulu(p.last_success_ms)}` : 'never ok';
      return h('td', {class: `path path-${state}`, dataset: {path: p.path, state}, title: p.last_error || ''},
          h('strong', {}, text), h('br'), h('small', {}, last));
    };
    const rows = [...relays.entries()].sort((a, b) => a[0] - b[0]).map(([index, name]) =>
      h('tr', {}, h('th', {}, name), nations.map((n) =>
        cell(paths.find((p) => (p.relay_index || 0) === index && p.nation === n)))));
    const failures = paths.filter((p) => p.state === 'failed').map((p) =>
      h('li', {class: 'path-failure'}, `${p.path}: ${p.last_error} (${zulu(p.last_failure_ms)})`));
    const status = h('p', {class: 'status', role: 'status'});
    const test = h('button', {type: 'button', class: 'test-now'}, 'Test every path now');
    test.addEventListener('click', async () => {
      test.disabled = true;
      status.textContent = 'Testing every path…';
      try {
        await api.control({links: {test_now: true}});
        status.textContent = '';
        this.refresh();
      } catch (e) {
        this.app.error(status, e);
      } finally {
        test.disabled = false;
      }
    });
    const every = Number(links.interval_ms || 0);
    return h('section', {class: 'path-tests'},
        h('h2', {}, 'Path tests'),
        h('p', {}, `${every ? `Every ${every / 1000} s` : 'Only on request'}, a signed probe through each relay to each nation; ` +
            `its signed reply is due within ${Number(links.deadline_ms || 0) / 1000} s.`),
        h('table', {class: 'paths'}, h('thead', {}, h('tr', {}, h('th', {}, 'Relay'), nations.map((n) => h('th', {}, `to ${nation(n)}`)))),
            h('tbody', {}, rows)),
        failures.length ? h('ul', {class: 'path-failures'}, failures) : '',
        test, status);
  }
}

export class Audit {
  constructor(root, app) { this.root = root; this.app = app; this.verification = null; }

  async refresh() {
    let view;
    try {
      view = (await api.control({audit: {limit: 40}})).audit || {};
    } catch (e) {
      return this.app.error(this.root, e);
    }
    this.render(view);
  }

  render(view) {
    const cp = view.latest_checkpoint;
    const verifyStatus = h('div', {class: 'verification', role: 'status'}, this.verificationView());
    const verify = h('button', {type: 'button', class: 'verify', onclick: async () => {
      verify.disabled = true;
      fill(verifyStatus, 'Verifying the whole log…');
      try {
        const r = (await api.control({audit: {limit: 40, verify: true}})).audit || {};
        this.verification = r.verification || null;
        this.render(r);
      } catch (err) {
        this.app.error(verifyStatus, err);
        verify.disabled = false;
      }
    }}, 'Verify the log');
    const rows = (view.records || []).slice().reverse().map((r) => h('tr', {},
        h('td', {}, String(r.index || 0)), h('td', {class: 'time'}, zulu(r.at_ms)),
        h('td', {}, String(r.event || '').replace('AUDIT_EVENT_', '')),
        h('td', {}, r.message_id ? shortId(r.message_id) : ''), h('td', {}, r.peer ? nation(r.peer) : ''),
        h('td', {class: 'operator'}, r.operator_name || ''), h('td', {}, [r.reason, r.detail].filter(Boolean).join(' — '))));
    fill(this.root, h('h2', {}, 'Audit log'),
        h('p', {}, `${view.size || 0} records. Latest signed checkpoint: `,
            cp ? `size ${cp.size || 0} at ${zulu(cp.at_ms, true)}` : 'none yet'),
        h('table', {class: 'witnessing'}, h('thead', {}, h('tr', {}, ['Nation', 'Our checkpoint sent to witness', 'Its log witnessed by us'].map((t) => h('th', {}, t)))),
            h('tbody', {}, (view.witnessing || []).map((w) => h('tr', {}, h('td', {}, nation(w.nation)),
                h('td', {}, `size ${w.sent_size || 0}`), h('td', {}, `size ${w.witnessed_size || 0}`))))),
        h('div', {class: 'actions'}, verify), verifyStatus,
        h('table', {class: 'records'}, h('thead', {}, h('tr', {}, ['#', 'Time', 'Event', 'Message', 'Peer', 'Operator', 'Details'].map((t) => h('th', {}, t)))),
            h('tbody', {}, rows)));
  }

  verificationView() {
    const v = this.verification;
    if (!v) return '';
    return v.intact
      ? h('p', {class: 'ok'}, `OK ${v.origin}: ${v.records || 0} records, ${v.checkpoints || 0} checkpoints checked (latest covers ${v.latest_checkpoint || 0})`)
      : h('p', {class: 'error'}, `FAILED ${v.origin}: first bad index ${v.first_bad_index || 0}: ${v.problem}`);
  }
}

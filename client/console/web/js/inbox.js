// The inbox: action required first (unacknowledged, most urgent first),
// precedence colours, and the message view with Acknowledge and Reply.

import * as api from './api.js';
import {h, fill} from './dom.js';
import {nation, precedence, precedenceRank, channel, zulu, hex, shortId, ms, bodySummary} from './format.js';
import {warningMap} from './map.js';

// Why a message is marked (PROTOCOL.md §4 "Forward secrecy").
const noForwardSecrecy = 'sealed for this node\'s long-term key, not an epoch key: ' +
    'whoever later steals that key can open a recording of it';

export function warningView(w) {
  const status = String(w.status || '').replace('STATUS_', '') || 'UNKNOWN';
  return h('div', {class: `warning status-${status}`},
      h('div', {class: `drill-banner status-${status}`},
          status === 'ACTUAL' ? 'ACTUAL EVENT' : `${status} — NOT A REAL EVENT`),
      h('dl', {class: 'fields'},
          h('dt', {}, 'Event'), h('dd', {class: 'event-id'}, w.event_id || ''),
          h('dt', {}, 'Launch'), h('dd', {}, `${zulu(w.launch_time_ms, true)} at ${Number(w.launch_latitude || 0).toFixed(2)}°N ${Number(w.launch_longitude || 0).toFixed(2)}°E`),
          h('dt', {}, 'Azimuth'), h('dd', {}, `${Number(w.azimuth_degrees || 0).toFixed(0)}°`),
          h('dt', {}, 'Predicted impact'), h('dd', {}, w.predicted_impact_latitude || w.predicted_impact_longitude
              ? `${Number(w.predicted_impact_latitude || 0).toFixed(2)}°N ${Number(w.predicted_impact_longitude || 0).toFixed(2)}°E` : '—'),
          h('dt', {}, 'Confidence'), h('dd', {}, `${w.confidence_percent || 0}%`),
          h('dt', {}, 'Source'), h('dd', {class: 'source'}, w.source || ''),
          h('dt', {}, 'Remarks'), h('dd', {class: 'remarks'}, w.remarks || '')),
      warningMap(w));
}

function bodyView(body) {
  if (!body) return h('p', {}, '(empty)');
  if (body.text) return h('pre', {class: 'message-text'}, body.text.text || '');
  if (body.missile_warning) return warningView(body.missile_warning);
  if (body.consult_request) {
    const c = body.consult_request;
    return h('div', {class: 'consult'}, h('h3', {class: 'topic'}, c.topic || ''),
        h('p', {class: 'question'}, c.question || ''),
        h('p', {}, `Answer by ${zulu(c.respond_by_ms, true)} (Consultations tab)`));
  }
  return h('p', {}, bodySummary(body) || '(removed after the node\'s retention period; its digest stays in the audit log)');
}

export class Inbox {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.entries = [];
    this.openId = null;
    this.list = h('table', {class: 'inbox'});
    this.detail = h('div', {class: 'detail'});
    fill(root, h('h2', {}, 'Inbox'), this.list, this.detail);
  }

  async refresh() {
    try {
      const r = await api.control({inbox: {limit: 200}});
      this.entries = (r.inbox && r.inbox.entries) || [];
    } catch (e) {
      return this.app.error(this.detail, e);
    }
    const unacked = (e) => !ms(e.acknowledged_at_ms);
    this.entries.sort((a, b) => (unacked(b) - unacked(a)) ||
        (precedenceRank(b.precedence) - precedenceRank(a.precedence)) ||
        (ms(b.received_at_ms) - ms(a.received_at_ms)));
    this.render();
    const flash = this.entries.filter((e) => unacked(e) && precedence(e.precedence) === 'FLASH');
    this.app.flashState(flash);
    this.app.unacknowledgedCount(this.entries.filter(unacked).length);
    // The open message is drawn again only when its state changed: an
    // operator typing a reply must not lose it to a live event.
    const open = this.entries.find((x) => x.message_id === this.openId);
    if (open && (open.acknowledged_at_ms || '') !== this.openAcked) this.open(this.openId, false);
  }

  render() {
    const rows = this.entries.map((e) => {
      const p = precedence(e.precedence);
      const pending = !ms(e.acknowledged_at_ms);
      return h('tr', {class: `prec-${p} ${pending ? 'pending' : 'done'}`, dataset: {id: hex(e.message_id)},
        onclick: () => this.open(e.message_id)},
      h('td', {class: 'prec'}, p),
      h('td', {class: 'nation'}, nation(e.sender)),
      h('td', {}, channel(e.channel)),
      h('td', {class: 'time'}, zulu(e.received_at_ms)),
      h('td', {class: 'summary'}, bodySummary(e.body),
          e.without_forward_secrecy ? h('span', {class: 'no-fs', title: noForwardSecrecy}, ' NO FORWARD SECRECY') : ''),
      h('td', {class: 'state'}, pending ? 'ACTION REQUIRED' : `acknowledged ${zulu(e.acknowledged_at_ms)}`));
    });
    fill(this.list,
        h('thead', {}, h('tr', {}, ['Prec', 'From', 'Channel', 'Received', 'Message', 'State'].map((t) => h('th', {}, t)))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: 6}, 'No messages.'))));
  }

  openFirstFlash() {
    const first = this.entries.find((e) => !ms(e.acknowledged_at_ms) && precedence(e.precedence) === 'FLASH');
    if (first) this.open(first.message_id);
  }

  open(messageId, scroll = true) {
    const e = this.entries.find((x) => x.message_id === messageId);
    if (!e) return;
    this.openId = messageId;
    this.openAcked = e.acknowledged_at_ms || '';
    const pending = !ms(e.acknowledged_at_ms);
    const reply = h('textarea', {class: 'reply', rows: 2, placeholder: 'Optional reply, sent with the acknowledgment'});
    const status = h('p', {class: 'status', role: 'status'});
    const ack = h('button', {type: 'button', class: 'ack', onclick: async () => {
      ack.disabled = true;
      try {
        await api.control({ack: {id_prefix: hex(e.message_id), reply_text: reply.value}});
        status.textContent = 'Acknowledged: the signed receipt is on its way.';
        this.refresh();
      } catch (err) {
        ack.disabled = false;
        this.app.error(status, err);
      }
    }}, 'Acknowledge');
    fill(this.detail,
        h('article', {class: `message prec-${precedence(e.precedence)}`},
            h('header', {},
                h('span', {class: 'prec'}, precedence(e.precedence)), ' from ',
                h('strong', {class: 'nation'}, nation(e.sender)), ` on ${channel(e.channel)} · #${e.sequence || 0} · `,
                h('code', {class: 'message-id'}, hex(e.message_id)),
                h('div', {class: 'times'}, `sent ${zulu(e.created_at_ms, true)} (sender's clock) · received ${zulu(e.received_at_ms, true)}`)),
            e.without_forward_secrecy ? h('p', {class: 'no-fs'}, `Without forward secrecy: ${noForwardSecrecy}`) : '',
            bodyView(e.body),
            pending ? h('div', {class: 'actions'}, reply, ack)
                : h('p', {class: 'done'}, `Acknowledged at ${zulu(e.acknowledged_at_ms, true)}`),
            status));
    if (scroll) this.detail.scrollIntoView({block: 'nearest'});
  }
}

export {shortId};

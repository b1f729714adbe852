// The console page: sign-in, tabs, the live feed, and the FLASH alarm.
// Every operation is a control API request to this console's node
// (api.js); nothing here decides anything the node decides.

import * as api from './api.js';
import {h, fill} from './dom.js';
import {nation, zulu, shortId, precedence} from './format.js';
import {Inbox} from './inbox.js';
import {Compose, Sent, Consultations, Links, Audit} from './views.js';
import {Tracks} from './tracks.js';

const $ = (id) => document.getElementById(id);

class Alarm {
  // A FLASH arrival: a banner and a tone that stay until it is acknowledged.
  constructor() { this.context = null; this.timer = null; }
  sound(on) {
    if (on && !this.timer) {
      const beep = () => {
        try {
          this.context = this.context || new AudioContext();
          const osc = this.context.createOscillator();
          const gain = this.context.createGain();
          osc.frequency.value = 880;
          gain.gain.value = 0.2;
          osc.connect(gain).connect(this.context.destination);
          osc.start();
          osc.stop(this.context.currentTime + 0.35);
        } catch (e) { /* no audio device: the banner still shows */ }
      };
      beep();
      this.timer = setInterval(beep, 1500);
    } else if (!on && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

class Console {
  constructor() {
    this.session = null;
    this.alarm = new Alarm();
    this.views = {
      inbox: new Inbox($('view-inbox'), this),
      compose: new Compose($('view-compose'), this),
      sent: new Sent($('view-sent'), this),
      consult: new Consultations($('view-consult'), this),
      links: new Links($('view-links'), this),
      audit: new Audit($('view-audit'), this),
      tracks: new Tracks($('view-tracks'), this),
    };
    this.current = 'inbox';
  }

  async start() {
    setInterval(() => { $('clock').textContent = zulu(Date.now()); }, 250);
    $('login-form').addEventListener('submit', (e) => { e.preventDefault(); this.signIn(); });
    $('logout').addEventListener('click', () => this.signOut());
    $('flash-open').addEventListener('click', () => {
      this.show('inbox');
      this.views.inbox.openFirstFlash();
    });
    for (const button of document.querySelectorAll('#tabs button')) {
      button.addEventListener('click', () => this.show(button.dataset.view));
    }
    try {
      this.session = await api.session();
    } catch (e) {
      this.session = null;
    }
    if (this.session) this.enter(); else this.showLogin();
  }

  showLogin(message = '') {
    $('login').hidden = false;
    for (const id of ['tabs', 'views', 'feed-panel', 'logout']) $(id).hidden = true;
    $('login-error').textContent = message;
  }

  async signIn() {
    try {
      this.session = await api.login($('login-name').value, $('login-password').value);
      $('login-password').value = '';
      this.enter();
    } catch (e) {
      $('login-error').textContent = e.message;
    }
  }

  async signOut() {
    try { await api.logout(); } catch (e) { /* signed out anyway */ }
    if (this.stopFeed) this.stopFeed();
    this.alarm.sound(false);
    location.reload();
  }

  enter() {
    if (this.stopFeed) this.stopFeed();  // signed in again: one feed, not two
    $('login').hidden = true;
    for (const id of ['tabs', 'views', 'feed-panel', 'logout']) $(id).hidden = false;
    const code = nation(this.session.nation);
    $('nation-flag').textContent = code;
    document.title = `${code} hotline console`;
    document.body.dataset.nation = code;
    $('who').textContent = `operator ${this.session.operator_name}`;
    this.stopFeed = api.liveFeed((e) => this.onEvent(e), (up) => this.onFeedState(up));
    this.show(this.current);
    this.views.inbox.refresh();
  }

  onFeedState(up) {
    const state = $('feed-state');
    state.textContent = up ? 'feed: live' : 'feed: reconnecting';
    state.className = `feed ${up ? 'up' : 'down'}`;
    if (up) this.refreshAll();  // catch up on what happened while away
  }

  onEvent(e) {
    if (e.kind === 'track') return this.views.tracks.onTrack(e.track || {});  // many a second: not in the feed
    const feed = $('feed');
    const item = h('li', {class: `event kind-${e.kind || 'unknown'}`},
        h('span', {class: 'time'}, zulu(e.at_ms)), ' ',
        h('span', {class: 'kind'}, e.kind || ''), ' ',
        e.peer ? h('span', {class: 'nation'}, nation(e.peer)) : '', ' ',
        e.message_id ? h('code', {}, shortId(e.message_id)) : '', ' ',
        h('span', {class: 'text'}, e.text || ''));
    feed.prepend(item);
    while (feed.children.length > 200) feed.lastChild.remove();
    this.refreshAll(e.kind);
  }

  // Which views an event can change: a view is asked again only then.
  static concerns(kind, view) {
    const kinds = {
      inbox: ['arrived', 'gap-closed', 'acknowledged-here'],
      sent: ['accepted', 'delivered', 'acknowledged', 'alert'],
      consult: ['arrived', 'alert'],
      links: ['link-up', 'link-down', 'relay-error', 'alert', 'path'],
      tracks: ['track-summary'],
      compose: [], audit: [],
    };
    return (kinds[view] || []).includes(kind);
  }

  refreshAll(kind = '') {
    // Only the views the event concerns (the inbox, which drives the FLASH
    // banner, and the one on screen), at most four times a second however
    // fast events come: a busy node must not spend its loop answering its
    // own consoles.
    this.stale = this.stale || new Set();
    for (const view of new Set(['inbox', this.current])) {
      if (!kind || Console.concerns(kind, view)) this.stale.add(view);
    }
    if (this.pending || this.stale.size === 0) return;
    this.pending = setTimeout(() => {
      this.pending = null;
      for (const view of this.stale) this.views[view].refresh();
      this.stale.clear();
    }, 250);
  }

  // Called by the inbox with its entries: the banner and tone follow the
  // unacknowledged FLASH messages.
  flashState(unacknowledgedFlash) {
    const banner = $('flash-banner');
    if (unacknowledgedFlash.length === 0) {
      banner.hidden = true;
      this.alarm.sound(false);
      return;
    }
    const first = unacknowledgedFlash[0];
    fill($('flash-text'),
        `${unacknowledgedFlash.length} FLASH message${unacknowledgedFlash.length > 1 ? 's' : ''} `,
        'awaiting acknowledgment — first from ', h('strong', {}, nation(first.sender)),
        ` at ${zulu(first.received_at_ms)}`);
    banner.hidden = false;
    this.alarm.sound(true);
  }

  unacknowledgedCount(n) { $('unacked').textContent = n ? String(n) : ''; }

  show(name) {
    this.current = name;
    for (const button of document.querySelectorAll('#tabs button')) {
      button.classList.toggle('active', button.dataset.view === name);
    }
    for (const [key, view] of Object.entries(this.views)) view.root.hidden = key !== name;
    const view = this.views[name];
    if (view.refresh) view.refresh();
  }

  // For views: report a failed operation where the operator is looking.
  error(where, e) {
    where.replaceChildren(h('p', {class: 'error', role: 'status'}, e.message || String(e)));
    if (e.code === 'unauthenticated') {
      // The session ended: stop asking (every refused request is audited).
      if (this.stopFeed) this.stopFeed();
      this.stopFeed = null;
      this.alarm.sound(false);
      this.showLogin('Signed out: please sign in again.');
    }
  }
}

export const consoleApp = new Console();
consoleApp.start();
window.hotlineConsole = consoleApp;  // for the browser tests' diagnostics
export {precedence};

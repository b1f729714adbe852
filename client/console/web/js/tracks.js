// Live tracks (PROTOCOL.md §11): every track this node receives, on the
// warning map with its trail, and in a table. Fed by the node's "track"
// events (many a second), redrawn at most four times a second.

import * as api from './api.js';
import {h, fill} from './dom.js';
import {nation, zulu} from './format.js';
import {trackMap} from './map.js';

const TRAIL = 600;  // positions kept per track
const QUIET_MS = 60000;

const statusOf = (u) => String(u.status || '').replace('STATUS_', '') || 'UNSPECIFIED';

export class Tracks {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.tracks = new Map();  // sender/key -> {view, trail, name, status}
    this.timer = null;
  }

  // A TrackView (from track_list or a "track" event): newest wins.
  take(view) {
    const key = `${view.sender}/${view.track_key}`;
    const u = view.update || {};
    let t = this.tracks.get(key);
    if (t && Number(t.view.update_seq) >= Number(view.update_seq)) return;
    if (!t) {
      t = {trail: []};
      this.tracks.set(key, t);
    }
    t.view = view;
    t.name = `${nation(view.sender)} ${u.track_id || '?'}`;
    t.status = statusOf(u);
    t.trail.push([Number(u.longitude || 0), Number(u.latitude || 0)]);
    if (t.trail.length > TRAIL) t.trail.shift();
  }

  onTrack(view) {
    this.take(view);
    if (this.root.hidden || this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.render(); }, 250);
  }

  async refresh() {
    try {
      const list = (await api.control({track_list: {}})).track_list || {};
      for (const view of list.tracks || []) this.take(view);
    } catch (e) {
      return this.app.error(this.root, e);
    }
    this.render();
  }

  render() {
    // As the node's track_list: a track quiet for a minute (ended or lost) goes.
    const now = Date.now();
    for (const [key, t] of this.tracks) {
      if (now - Number(t.view.received_at_us || 0) / 1000 > QUIET_MS) this.tracks.delete(key);
    }
    const tracks = [...this.tracks.values()];
    const rows = tracks.map((t) => {
      const u = t.view.update || {};
      return h('tr', {class: `track status-${t.status.toLowerCase()}${u.ended ? ' ended' : ''}`},
          h('td', {}, nation(t.view.sender)), h('td', {class: 'track-id'}, u.track_id || ''),
          h('td', {}, `#${t.view.update_seq || 0}`), h('td', {class: 'status'}, t.status),
          h('td', {}, Number(u.latitude || 0).toFixed(3)), h('td', {}, Number(u.longitude || 0).toFixed(3)),
          h('td', {}, (Number(u.altitude_m || 0) / 1000).toFixed(1)),
          h('td', {}, String(u.classification || '').replace('CLASSIFICATION_', '').toLowerCase().replace('_', ' ')),
          h('td', {}, u.source_sensor || ''),
          h('td', {class: 'time'}, zulu(Number(t.view.received_at_us || 0) / 1000)),
          h('td', {}, u.ended ? 'ENDED' : 'live'));
    });
    fill(this.root, h('h2', {}, 'Live tracks'),
        h('p', {class: 'hint'}, tracks.length ? `${tracks.length} track${tracks.length > 1 ? 's' : ''} received` :
            'No track received yet. Tracks published with `hotline track publish` appear here live.'),
        trackMap(tracks),
        h('table', {class: 'tracks'},
            h('thead', {}, h('tr', {}, ['From', 'Track', 'Update', 'Status', 'Lat', 'Lon', 'Alt km', 'Class',
              'Sensor', 'Applied', 'State'].map((c) => h('th', {}, c)))),
            h('tbody', {}, rows)));
  }
}

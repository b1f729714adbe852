// Names and times as operators read them: nations by code, precedence in
// capitals, every time in ZULU (UTC).

export const NATIONS = ['US', 'JP', 'KR'];
export const PRECEDENCES = ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'];
export const CHANNELS = {
  CHANNEL_CRISIS: {name: 'crisis', precedence: 'FLASH'},
  CHANNEL_MISSILE_WARNING: {name: 'missile-warning', precedence: 'FLASH'},
  CHANNEL_CONSULT: {name: 'consult', precedence: 'IMMEDIATE'},
  CHANNEL_GENERAL: {name: 'general', precedence: 'ROUTINE'},
};

const strip = (value, prefix) => String(value || '').replace(prefix, '');
export const nation = (v) => strip(v, 'NATION_') || '--';
export const precedence = (v) => strip(v, 'PRECEDENCE_') || 'ROUTINE';
export const channel = (v) => (CHANNELS[v] ? CHANNELS[v].name : strip(v, 'CHANNEL_').toLowerCase());
export const precedenceRank = (v) => PRECEDENCES.length - PRECEDENCES.indexOf(precedence(v));

// proto3 JSON writes int64 as strings and omits zero.
export const ms = (v) => Number(v || 0);

export function zulu(value, withDate = false) {
  const t = ms(value);
  if (!t) return '—';
  const iso = new Date(t).toISOString();  // 2026-11-29T22:41:12.345Z
  return (withDate ? iso.slice(0, 10) + ' ' : '') + iso.slice(11, 19) + 'Z';
}

export function since(value, now = Date.now()) {
  const t = ms(value);
  if (!t) return '';
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  const text = a < 60 ? `${a}s` : a < 3600 ? `${Math.floor(a / 60)}m ${a % 60}s`
      : `${Math.floor(a / 3600)}h ${Math.floor((a % 3600) / 60)}m`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
}

// bytes fields arrive as base64; ids are shown and typed as hex.
export function hex(base64) {
  if (!base64) return '';
  const raw = atob(base64);
  let out = '';
  for (let i = 0; i < raw.length; i++) out += raw.charCodeAt(i).toString(16).padStart(2, '0');
  return out;
}
export const shortId = (base64) => hex(base64).slice(0, 8);

export function bodySummary(body) {
  if (!body) return '';
  // Exercise traffic says so wherever it is shown (PROTOCOL.md §12).
  if (body.exercise) return `EXERCISE · ${bodySummary({...body, exercise: undefined})}`;
  if (body.text) return body.text.text || '';
  if (body.missile_warning) {
    const w = body.missile_warning;
    return `MISSILE WARNING [${strip(w.status, 'STATUS_') || '?'}] ${w.event_id || ''}`;
  }
  if (body.consult_request) return `CONSULTATION: ${body.consult_request.topic || ''}`;
  if (body.consult_response) {
    return `CONSULT ANSWER: ${strip(body.consult_response.position, 'POSITION_')} ${body.consult_response.text || ''}`;
  }
  if (body.link_test) return 'link test';
  return '';
}

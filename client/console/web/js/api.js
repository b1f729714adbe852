// The node behind the console: its control API as proto3 JSON (the same
// requests the CLI sends over the control socket), and the live feed.

let csrf = '';

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
    body: JSON.stringify(body ?? {}),
    credentials: 'same-origin',
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(json.error || `HTTP ${response.status}`, json.code || '', response.status);
  }
  return json;
}

export async function session() {
  const response = await fetch('/api/session', {credentials: 'same-origin'});
  if (response.status === 401) return null;
  const json = await response.json();
  if (!response.ok) throw new ApiError(json.error || 'session check failed', json.code, response.status);
  csrf = json.csrf_token;
  return json;
}

export async function login(name, password) {
  const json = await post('/api/login', {name, password});
  csrf = json.csrf_token;
  return json;
}

export async function logout() {
  await post('/api/logout', {});
  csrf = '';
}

// One control request, e.g. control({inbox: {limit: 50}}); resolves to the
// ControlResponse's payload, or throws the node's error.
export async function control(request) {
  const response = await post('/api/control', request);
  if (!response.ok) throw new ApiError(response.error || 'refused', response.code || '', 422);
  return response;
}

// The live feed: calls onEvent(WatchEvent) and onState(up) until stopped;
// reconnects with a growing delay (at most 5 s) while the session lasts.
export function liveFeed(onEvent, onState) {
  let stopped = false;
  let delay = 250;
  let socket = null;
  const open = () => {
    if (stopped) return;
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events`);
    socket.onopen = () => { delay = 250; onState(true); };
    socket.onmessage = (message) => {
      // One or more events per frame, one JSON object per line.
      for (const line of String(message.data).split('\n')) {
        if (!line) continue;
        try { onEvent(JSON.parse(line)); } catch (e) { console.error(e); }
      }
    };
    socket.onclose = () => {
      onState(false);
      if (!stopped) setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  open();
  return () => { stopped = true; if (socket) socket.close(); };
}

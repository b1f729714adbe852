// The situation room: the consoles named in the query (?c=URL&c=URL...),
// side by side. Only http(s) URLs are framed, and each console must list
// this page's origin with --console-frame-ancestor to agree to it.
const room = document.getElementById('room');
for (const value of new URLSearchParams(location.search).getAll('c').slice(0, 3)) {
  let url;
  try { url = new URL(value); } catch (e) { continue; }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
  const frame = document.createElement('iframe');
  frame.src = url.href;
  frame.title = `console at ${url.host}`;
  room.append(frame);
}

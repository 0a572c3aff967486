// api — the console's only way to the server: same-origin fetch with the
// session cookie (sent by the browser; HttpOnly, so never seen here) and the
// CSRF header on every write, plus the live event stream.

let csrf = null;

export function setCsrf(token) { csrf = token; }

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || null;
  }
}

// Calls the API; resolves to the parsed JSON (null for 204), rejects with ApiError.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return null;
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json;
}

// Every item of a list (follows `next`, at most `pages` pages of 1000).
export async function apiList(path, pages = 5) {
  const items = [];
  let after = null;
  for (let i = 0; i < pages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', `${path}${sep}limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    items.push(...(page.items || []));
    if (!page.next) break;
    after = page.next;
  }
  return items;
}

// Live events of all the caller's tracks, with no gap and no duplicate.
// The stream starts at the log index current when it is opened (GET
// /v1/health), so nothing committed between loading the page's data and
// subscribing is missed. The server prefers ?after= to Last-Event-ID, and a
// browser's EventSource keeps its URL on reconnect, so the console reconnects
// itself: on an error it closes the EventSource and opens a new one with
// ?after=<last id received> (the cookie goes along either way).
// onEvent(type, id, leaf); onState('live'|'reconnecting'|'closed', reconnected).
export function openStream(onEvent, onState) {
  let es = null;
  let last = null;      // last event id received (log index)
  let closed = false;
  let lost = false;
  let delay = 500;
  let timer = null;

  const handle = (ev) => {
    const id = Number(ev.lastEventId);
    if (last !== null && id <= last) return; // already seen
    last = id;
    let leaf = null;
    try { leaf = JSON.parse(ev.data); } catch { return; }
    onEvent(ev.type, ev.lastEventId, leaf);
  };

  const connect = async () => {
    if (closed) return;
    if (last === null) {
      try {
        const h = await (await fetch('/v1/health', { cache: 'no-store' })).json();
        last = h.log_size - 1; // indexes start at 0
      } catch { return retry(); }
    }
    if (closed) return;
    es = new EventSource(`/v1/events?after=${last}`, { withCredentials: true });
    es.onopen = () => { onState('live', lost); lost = false; delay = 500; };
    es.onerror = () => {
      es.close();
      es = null;
      lost = true;
      retry();
    };
    for (const t of EVENT_TYPES) es.addEventListener(t, handle);
    es.onmessage = handle;
  };
  const retry = () => {
    if (closed) return;
    onState('reconnecting', false);
    clearTimeout(timer);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  };
  connect();
  return {
    close() { closed = true; clearTimeout(timer); if (es) es.close(); onState('closed', false); },
  };
}

// The event types the server emits (api.md "Live events" and the modules'
// app_emit calls). EventSource hands a named event only to listeners of that
// name; the console also re-reads the track every minute, so an unknown name
// costs a delay, never a wrong picture.
export const EVENT_TYPES = [
  'zone.declared', 'zone.created', 'zone.accepted', 'zone.rejected', 'zone.in_force', 'zone.withdrawn',
  'deployment.declared', 'deployment.created', 'deployment.modified', 'deployment.withdrawn',
  'activity.notified', 'activity.created', 'activity.modified', 'activity.cancelled', 'activity.acknowledged',
  'activity.active', 'activity.completed',
  'conflict.opened', 'conflict.acknowledged', 'conflict.resolved',
  'message.created', 'message.acked', 'message.escalated',
  'threat.reported', 'threat.responded', 'threat.lapsed',
  'dispute.opened', 'dispute.responded', 'dispute.mediation', 'dispute.resolved', 'dispute.withdrawn',
  'dispute.escalated',
  'meeting.series_created', 'meeting.minutes', 'action.created', 'action.done',
  'track.created', 'track.updated', 'party.created', 'user.created', 'user.deleted',
];

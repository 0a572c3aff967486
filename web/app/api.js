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
// subscribing is missed. The server takes Last-Event-ID over ?after= (a
// browser's EventSource keeps its URL on reconnect and sends the newer position
// in that header); the console still reconnects itself: on an error it closes
// the EventSource and opens a new one with ?after=<last id received> (the
// cookie goes along either way).
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

// The event types the server emits: the one list in src/core/event_types.c
// (tests/e2e/test_event_types.py checks that this copy equals it). EventSource
// hands a named event only to listeners of that name; the console also re-reads
// the track every minute, so a missing name costs a delay, never a wrong picture.
export const EVENT_TYPES = [
  'action.created', 'action.done', 'activity.acknowledged', 'activity.active', 'activity.cancelled',
  'activity.completed', 'activity.modified', 'activity.notified', 'conflict.acknowledged', 'conflict.opened',
  'conflict.resolved', 'deployment.declared', 'deployment.modified', 'deployment.withdrawn',
  'dispute.escalated', 'dispute.mediation', 'dispute.opened', 'dispute.resolved', 'dispute.responded',
  'dispute.withdrawn', 'meeting.minutes', 'meeting.series_created', 'message.acked', 'message.created',
  'message.escalated', 'party.created', 'threat.lapsed', 'threat.reported', 'threat.responded',
  'track.created', 'track.updated', 'user.certificate_issued', 'user.created', 'user.deleted', 'zone.accepted', 'zone.declared',
  'zone.rejected', 'zone.withdrawn',
];

// i18n — the console's languages: one message catalogue per language
// (web/app/i18n/<lang>.json, flat "key": "text" with {name} placeholders; a value
// may be an object of Intl.PluralRules categories for counts), the user's
// choice kept in localStorage (default: the browser's language), the
// document's direction (rtl for Arabic and Hebrew), and every date, number
// and duration through Intl in the chosen language.

export const LANGS = { en: 'English', ar: 'العربية', he: 'עברית', tr: 'Türkçe', ru: 'Русский' };
const RTL = new Set(['ar', 'he']);
const KEY = 'tansiq.lang';

let lang = 'en';
let cat = {};
let fallback = {};
let plural = new Intl.PluralRules('en');
let num = new Intl.NumberFormat('en');
const listeners = [];

export function currentLang() { return lang; }
export function isRtl() { return RTL.has(lang); }
export function onLanguage(fn) { listeners.push(fn); }

// The stored choice, else the first of the browser's languages we have, else English.
export function initialLanguage() {
  let stored = null;
  try { stored = localStorage.getItem(KEY); } catch { /* storage may be off */ }
  if (stored && LANGS[stored]) return stored;
  for (const l of navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]) {
    const base = String(l || '').toLowerCase().split('-')[0];
    if (LANGS[base]) return base;
  }
  return 'en';
}

async function fetchCatalogue(l) {
  const res = await fetch(`/app/i18n/${l}.json`, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`catalogue ${l}: HTTP ${res.status}`);
  return res.json();
}

// Loads and applies a language; remember=true keeps it across sessions.
export async function setLanguage(l, remember = false) {
  if (!LANGS[l]) l = 'en';
  if (!Object.keys(fallback).length) fallback = await fetchCatalogue('en');
  cat = l === 'en' ? fallback : await fetchCatalogue(l);
  lang = l;
  plural = new Intl.PluralRules(l);
  num = new Intl.NumberFormat(l);
  if (remember) { try { localStorage.setItem(KEY, l); } catch { /* ignore */ } }
  const root = document.documentElement;
  root.lang = l;
  root.dir = RTL.has(l) ? 'rtl' : 'ltr';
  document.title = t('app.title');
  applyI18n(document);
  for (const fn of listeners) fn(l);
}

function fmtVar(v) {
  return typeof v === 'number' ? num.format(v) : String(v ?? '');
}

// The text of key in the current language with {placeholders} filled;
// vars.n chooses the plural form where the value is an object.
export function t(key, vars = {}) {
  let v = cat[key] ?? fallback[key];
  if (v === undefined) return key;
  if (typeof v === 'object') v = v[plural.select(Number(vars.n ?? 0))] ?? v.other;
  return v.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? fmtVar(vars[k]) : m));
}

// The label of an enum value from the server (kind, status, role, …): the
// catalogue's word, or the raw value with underscores as spaces if unknown.
export function tEnum(group, value) {
  const k = `${group}.${value}`;
  return cat[k] ?? fallback[k] ?? String(value ?? '').replace(/_/g, ' ');
}

// Translates the static page: data-i18n (text), data-i18n-placeholder,
// data-i18n-aria-label and data-i18n-title.
export function applyI18n(root) {
  root.querySelectorAll('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
  for (const attr of ['placeholder', 'aria-label', 'title']) {
    const data = `data-i18n-${attr}`;
    root.querySelectorAll(`[${data}]`).forEach((e) => e.setAttribute(attr, t(e.getAttribute(data))));
  }
}

export function fmtNumber(n, opts) { return new Intl.NumberFormat(lang, opts).format(n); }

// Metres through Intl's unit formatting ("1,000 m", "١٬٠٠٠ م", …).
export function fmtMetres(m) {
  if (m === undefined || m === null) return t('alt.any');
  return new Intl.NumberFormat(lang, { style: 'unit', unit: 'meter', maximumFractionDigits: 0 }).format(Math.round(Number(m)));
}

function pad(n) { return String(n).padStart(2, '0'); }

// The UTC time as a date-time group "2026-11-25 20:21Z" (language-neutral).
export function utcText(d) {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}Z`;
}

function zoneIsUtc(d) {
  return d.getTimezoneOffset() === 0 && Intl.DateTimeFormat().resolvedOptions().timeZone.match(/^(UTC|Etc\/UTC|Etc\/GMT|GMT|Etc\/Universal|Universal|Zulu)$/);
}

// Every time the console shows: the user's local time (Intl, the chosen
// language, with the zone's name) and the UTC time beside it. When the
// user's zone is UTC itself, the UTC time alone. "open" for none.
export function fmtTime(iso, { none = 'time.open' } = {}) {
  if (!iso) return t(none);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const utc = utcText(d);
  if (d.getTimezoneOffset() === 0 && zoneIsUtc(d)) return utc;
  const local = new Intl.DateTimeFormat(lang, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
  }).format(d);
  // Unicode isolates keep the two times whole inside right-to-left text.
  return `\u2068${local}\u2069 \u2068(${utc})\u2069`;
}

// A duration of s seconds: under an hour as a clock "4:59" (digits of the
// language), longer through Intl.DurationFormat ("1 hr, 3 min").
export function fmtDuration(s) {
  s = Math.max(0, Math.round(s));
  if (s < 3600) {
    return `${fmtNumber(Math.floor(s / 60))}:${fmtNumber(s % 60, { minimumIntegerDigits: 2 })}`;
  }
  const parts = s >= 86400 ? { days: Math.floor(s / 86400), hours: Math.floor((s % 86400) / 3600) }
    : s >= 3600 ? { hours: Math.floor(s / 3600), minutes: Math.floor((s % 3600) / 60) }
      : { minutes: Math.floor(s / 60), seconds: s % 60 };
  if (typeof Intl.DurationFormat === 'function') {
    return new Intl.DurationFormat(lang, { style: 'short' }).format(parts);
  }
  return Object.entries(parts).map(([u, v]) => new Intl.NumberFormat(lang, { style: 'unit', unit: u.slice(0, -1), unitDisplay: 'short' }).format(v)).join(' ');
}

// "in 4 min, 59 sec" until due; after it, "overdue by …".
export function fmtCountdown(dueMs, nowMs) {
  const s = (dueMs - nowMs) / 1000;
  return s >= 0 ? t('due.in', { d: fmtDuration(s) }) : t('due.overdue', { d: fmtDuration(-s) });
}

// A list of names through Intl.ListFormat ("IL, SY and TR").
export function fmtList(items) {
  return new Intl.ListFormat(lang, { style: 'short', type: 'conjunction' }).format(items.map(String));
}

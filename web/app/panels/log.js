// log — the tamper-evident log in the browser: the signed checkpoint, the
// caller's entries, and a verification with WebCrypto (SHA-256, Ed25519):
// the checkpoint's signature against the log's verifier key (C2SP signed
// note), each entry's leaf hash from its exact bytes, its inclusion proof
// against the signed root (RFC 9162 §2.1.3.2), and the consistency proof
// from the last checkpoint this browser verified (RFC 9162 §2.1.4.2).

import { api } from '../api.js';
import { t, fmtTime } from '../i18n.js';
import { el } from '../util.js';
import { $, state } from '../ctx.js';

const MAX_CHECKED = 50;     // inclusion proofs checked per run (the newest entries)
const SEEN_KEY = 'tansiq.checkpoint';

const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hex = (u) => [...u].map((x) => x.toString(16).padStart(2, '0')).join('');
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }
const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// RFC 9162 §2.1.3.2: verify an inclusion proof of leaf `index` in a tree of `size` with `root`.
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

// RFC 9162 §2.1.4.2: verify a consistency proof between (size1, root1) and (size2, root2).
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && eq(root1, root2);
  if (size1 === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = size1 - 1, sn = size2 - 1;
  while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(fr, root1) && eq(sr, root2);
}

// C2SP signed note: the text up to the blank line is signed; each signature
// line is "— <name> <base64(4-byte key id || Ed25519 signature)>".
async function verifyCheckpoint(note, vkey) {
  // name+hexid+base64: the base64 key may itself hold '+'.
  const m = /^([^+]+)\+([0-9a-fA-F]{8})\+(.+)$/.exec(vkey || '');
  if (!m) throw new Error(t('log.err.key'));
  const [, name, idHex, keyB64] = m;
  const keyBytes = b64(keyB64);
  if (keyBytes[0] !== 1 || keyBytes.length !== 33) throw new Error(t('log.err.key'));
  const pub = keyBytes.slice(1);
  const id = (await sha256(concat(new TextEncoder().encode(`${name}\n`), keyBytes))).slice(0, 4);
  if (hex(id) !== idHex.toLowerCase()) throw new Error(t('log.err.key'));
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error(t('log.err.format'));
  const body = note.slice(0, split + 1);
  const [origin, sizeText, rootB64] = body.split('\n');
  if (origin !== name) throw new Error(t('log.err.origin'));
  const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  let signed = false;
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const sig = b64(m[2]);
    if (!eq(sig.slice(0, 4), id)) continue;
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.slice(4), new TextEncoder().encode(body))) signed = true;
  }
  if (!signed) throw new Error(t('log.err.signature'));
  return { origin, size: Number(sizeText), root: b64(rootB64), rootB64 };
}

async function checkpointText() {
  const res = await fetch('/v1/log/checkpoint', { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

let loaded = null;

export function init() {
  $('log-load').addEventListener('click', () => load().catch((e) => verdict(false, e.message)));
  $('log-verify').addEventListener('click', () => verify().catch((e) => verdict(false, e.message)));
}

export function onShow() { if (!loaded) load().catch((e) => verdict(false, e.message)); }

async function load() {
  const note = await checkpointText();
  const entries = [];
  for (let from = 0, page = 0; from !== null && page < 20; page++) {
    const r = await api('GET', `/v1/log/entries?from=${from}&limit=1000`);
    entries.push(...(r.items || []));
    from = r.next === null || r.next === undefined ? null : Number(r.next);
  }
  loaded = { note, entries };
  $('log-checkpoint').hidden = false;
  $('log-checkpoint').textContent = note;
  $('log-entries').replaceChildren(...entries.slice(-200).reverse().map((e) => el('li', { dataset: { index: e.index } },
    el('bdi', { translate: 'no', dir: 'ltr' }, `#${e.index} ${(e.event && e.event.type) || ''} ${(e.event && e.event.track) || ''} `),
    e.event && e.event.time ? fmtTime(e.event.time) : '')));
  return loaded;
}

function verdict(ok, text) {
  const v = $('log-verdict');
  v.className = `verdict ${ok ? 'ok' : 'bad'}`;
  v.dataset.ok = String(ok);
  v.textContent = `${ok ? '✔' : '✖'} ${text}`;
}

async function verify() {
  verdict(true, t('log.verifying'));
  $('log-verdict').className = 'verdict';
  delete $('log-verdict').dataset.ok;
  const { vkey } = await api('GET', '/v1/log/key');
  const { note, entries } = await load();
  const cp = await verifyCheckpoint(note, vkey);
  const mine = entries.filter((e) => e.index < cp.size).slice(-MAX_CHECKED);
  for (const e of mine) {
    const lh = await leafHash(b64(e.leaf_data));
    if (!eq(lh, b64(e.leaf_hash))) throw new Error(t('log.err.leaf', { i: e.index }));
    const proof = await api('GET', `/v1/log/proof/inclusion?index=${e.index}&size=${cp.size}`);
    if (!await verifyInclusion(e.index, cp.size, lh, proof.hashes.map(b64), cp.root)) throw new Error(t('log.err.inclusion', { i: e.index }));
  }
  let seen = null;
  try { seen = JSON.parse(localStorage.getItem(SEEN_KEY) || 'null'); } catch { seen = null; }
  let consistency = t('log.firstseen');
  if (seen && seen.origin === cp.origin && seen.size <= cp.size) {
    const proof = seen.size === cp.size ? { hashes: [] }
      : await api('GET', `/v1/log/proof/consistency?from=${seen.size}&to=${cp.size}`);
    if (!await verifyConsistency(seen.size, cp.size, proof.hashes.map(b64), b64(seen.root), cp.root)) {
      throw new Error(t('log.err.consistency', { from: seen.size, to: cp.size }));
    }
    consistency = t('log.consistent', { from: seen.size, to: cp.size });
  } else if (seen && seen.origin === cp.origin) {
    throw new Error(t('log.err.shrunk', { from: seen.size, to: cp.size }));
  }
  localStorage.setItem(SEEN_KEY, JSON.stringify({ origin: cp.origin, size: cp.size, root: cp.rootB64 }));
  state.logVerdict = { size: cp.size, checked: mine.length };
  verdict(true, t('log.ok', { size: cp.size, n: mine.length, consistency }));
}

// helpers — shared by the browser tests: headless Debian chromium driven by
// Playwright's playwright-core, login through the page, screenshots, API
// calls as another party with its bearer token, what the workflow tests share
// (a fresh square, times ahead, the confirmation dialog, polling) and the
// axe-core check.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

export const BASE = process.env.TANSIQ_URL;
export const DATA = process.env.TANSIQ_DATA;
export const ARTIFACTS = process.env.TANSIQ_ARTIFACTS || new URL('./artifacts', import.meta.url).pathname;
if (!BASE || !DATA) throw new Error('run through scripts/browser-test.sh (TANSIQ_URL, TANSIQ_DATA)');

export const tokens = () => JSON.parse(readFileSync(join(DATA, 'demo-tokens.json'), 'utf8'));
export const passwords = () => JSON.parse(readFileSync(join(DATA, 'demo-passwords.json'), 'utf8'));

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// One headless Debian chromium per test file: Playwright starts it with a
// fresh temporary --user-data-dir; every test gets its own browser context
// (own cookies and storage). Call closeBrowser() in an after() hook.
let browserPromise = null;
function browser() {
  browserPromise ||= chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
  return browserPromise;
}
export async function closeBrowser() {
  if (browserPromise) await (await browserPromise).close();
  browserPromise = null;
}

// A new context and page. Collects page errors and console errors (CSP
// violations are reported there).
export async function launch({ width = 1366, height = 768, mobile = false, storageState, locale, timezoneId, bypassCSP } = {}) {
  const context = await (await browser()).newContext({
    viewport: { width, height }, deviceScaleFactor: 1, isMobile: mobile, hasTouch: mobile, storageState,
    ...(locale ? { locale } : {}), ...(timezoneId ? { timezoneId } : {}), ...(bypassCSP ? { bypassCSP } : {}),
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // An HTTP error answer is logged by chromium as "Failed to load resource"; the
  // tests check statuses themselves. Anything else (script errors, CSP violations) counts.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors, close: () => context.close() };
}

export async function login(page, user, password = passwords()[user]) {
  await page.goto(`${BASE}/`);
  await page.locator('#login-name').fill(user);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
  await consoleReady(page);
}

async function consoleReady(page) {
  await page.locator('#console').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.querySelectorAll('#track option').length > 0
    && window.tansiq && window.tansiq.state.loaded);
}

// A page logged in as user. The session cookie of a first login through the
// form is kept beside the data dir and reused by later tests and files
// (Argon2id makes each login slow on purpose, more so under ASan).
const SESSIONS = join(DATA, '..', 'browser-sessions');
export async function openAs(user, opts = {}) {
  const file = join(SESSIONS, `${user}.json`);
  const cached = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
  const b = await launch({ ...opts, storageState: cached });
  if (cached) {
    await b.page.goto(`${BASE}/`);
    await consoleReady(b.page);
  } else {
    await login(b.page, user);
    mkdirSync(SESSIONS, { recursive: true });
    writeFileSync(file, JSON.stringify(await b.context.storageState()));
  }
  return b;
}

export async function pickTrack(page, id) {
  await page.locator('#track').selectOption(id);
  await page.waitForFunction((t) => window.tansiq && window.tansiq.state.loaded && window.tansiq.state.loaded.track === t, id);
}

export async function waitLive(page) {
  await page.waitForFunction(() => document.getElementById('live').dataset.state === 'live');
}

export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

// The API as a party's operator (bearer token from demo-tokens.json).
export async function apiAs(party, method, path, body) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${tokens()[party]}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

// A GET with the path sent byte for byte (fetch would normalise "..").
export function rawGet(path, method = 'GET') {
  const url = new URL(BASE);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function healthy() {
  try { return (await fetch(`${BASE}/v1/health`)).ok; } catch { return false; }
}

// The resume test stops the server (SIGTERM) and starts it again on the same
// port and data dir; scripts/browser-test.sh passes what that needs.
export const canRestart = Boolean(process.env.TANSIQD && process.env.TANSIQ_PIDFILE && process.env.TANSIQ_WEB);

export async function stopServer() {
  const pid = Number(readFileSync(process.env.TANSIQ_PIDFILE, 'utf8'));
  process.kill(pid, 'SIGTERM');
  // Poll the port, not the pid: the stopped server may linger as a zombie of the script.
  for (let i = 0; i < 200 && await healthy(); i++) await sleep(100);
  if (await healthy()) throw new Error('tansiqd did not stop');
}

export async function startServer() {
  const url = new URL(BASE);
  const log = openSync(process.env.TANSIQ_LOG || '/dev/null', 'a');
  const child = spawn(process.env.TANSIQD, ['--data', DATA, '--listen', `${url.hostname}:${url.port}`,
    '--web', process.env.TANSIQ_WEB], {
    stdio: ['ignore', log, log], detached: true, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' },
  });
  child.unref();
  writeFileSync(process.env.TANSIQ_PIDFILE, String(child.pid));
  for (let i = 0; i < 300 && !await healthy(); i++) await sleep(100);
  if (!await healthy()) throw new Error('tansiqd did not start again');
}

export async function logSize() {
  return (await (await fetch(`${BASE}/v1/health`)).json()).log_size;
}

// ---- shared by the workflow tests ----
export const T = '/v1/tracks/il-sy';
let squares = 0;
// A small square far from the demo's objects (each call in a test file a new place).
export function square() {
  const x = 37.2 + (squares % 10) * 0.05, y = 34.2 + Math.floor(squares / 10) * 0.05;
  squares++;
  return { type: 'Polygon', coordinates: [[[x, y], [x + 0.02, y], [x + 0.02, y + 0.02], [x, y + 0.02], [x, y]]] };
}
export const hours = (h) => new Date(Date.now() + h * 3600000).toISOString();

// Answers the console's confirmation dialog (with text in its input, if given).
export async function confirm(page, text) {
  await page.locator('#ask').waitFor({ state: 'visible' });
  if (text !== undefined) await page.locator('#ask-input').fill(text);
  await page.locator('#ask-ok').click();
  await page.locator('#ask').waitFor({ state: 'hidden' });
}

// Polls fn for 10 s; fails the test if it never answers true.
export async function until(fn, what) {
  for (let i = 0; i < 100; i++) {
    if (await fn()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

// ---- accessibility: axe-core (npm) in the page ----
const AXE = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));
export const TABS = ['conflicts', 'hotline', 'threats', 'disputes', 'objects', 'meetings', 'declare', 'log', 'events'];

// The serious and critical WCAG 2.x A/AA findings of axe-core in the page, one line each.
export async function axe(page) {
  if (!await page.evaluate(() => Boolean(window.axe))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const res = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

// The test of one language: every panel (its <details> open) as IL in il-sy, no serious or critical finding.
export function axeTest(test, lang) {
  test(`axe-core: no serious or critical findings in any panel (${lang})`, async () => {
    const b = await openAs('il', { bypassCSP: true });
    try {
      if (lang !== 'en') {
        await b.page.locator('#lang').selectOption(lang);
        await b.page.waitForFunction((l) => document.documentElement.lang === l, lang);
      }
      await pickTrack(b.page, 'il-sy');
      const found = [];
      for (const tab of TABS) {
        await b.page.locator(`.tabs [data-tab="${tab}"]`).click();
        for (const d of await b.page.locator(`#panel-${tab} details`).all()) await d.evaluate((e) => { e.open = true; });
        if (tab === 'log') await b.page.locator('#log-checkpoint').waitFor({ state: 'visible' });
        found.push(...(await axe(b.page)).map((v) => `[${tab}] ${v}`));
      }
      assert.equal(found.length, 0, found.join('\n'));
    } finally { await b.close(); }
  });
}

// The login page in the browser's language `locale`: no serious or critical finding.
export function axeLoginTest(test, locale) {
  test(`axe-core: the login page has no serious or critical findings (${locale})`, async () => {
    const b = await launch({ bypassCSP: true, locale });
    try {
      await b.page.goto(`${BASE}/`);
      await b.page.waitForFunction((l) => document.documentElement.lang === l, locale.slice(0, 2));
      await b.page.locator('#login-name').waitFor();
      const found = await axe(b.page);
      assert.equal(found.length, 0, found.join('\n'));
    } finally { await b.close(); }
  });
}

// Login, logout, the track switcher, the CSRF rule and the host's view.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, login, openAs, shot, closeBrowser } from './helpers.mjs';

after(closeBrowser);

async function trackOptions(page) {
  return page.$$eval('#track option', (os) => os.map((o) => ({ id: o.value, role: o.dataset.role, text: o.textContent })));
}

test('a wrong password shows a clear message and sets no cookie', async () => {
  const b = await launch();
  try {
    await b.page.goto(`${BASE}/`);
    await b.page.locator('#login-name').fill('il');
    await b.page.locator('#login-password').fill('not-the-password');
    await b.page.locator('#login-submit').click();
    await b.page.locator('#login-error').waitFor({ state: 'visible' });
    assert.equal(await b.page.locator('#login-error').textContent(), 'Wrong user name or password.');
    assert.equal(await b.page.locator('#console').isVisible(), false);
    const cookies = await b.context.cookies(BASE);
    assert.deepEqual(cookies.filter((c) => c.name === 'tansiq_session'), []);
    await shot(b.page, '01-login-wrong-password');
  } finally { await b.close(); }
});

test('TR sees only the tr-il track; logging out ends the session', async () => {
  const b = await launch();
  try {
    await login(b.page, 'tr');
    const opts = await trackOptions(b.page);
    assert.deepEqual(opts.map((o) => [o.id, o.role]), [['tr-il', 'principal']]);
    assert.match(await b.page.locator('#whoami').textContent(), /tr · TR · operator/);
    const cookie = (await b.context.cookies(BASE)).find((c) => c.name === 'tansiq_session');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    await shot(b.page, '02-tr-tracks');
    await b.page.locator('#logout').click();
    await b.page.locator('#login').waitFor({ state: 'visible' });
    const after = await b.page.evaluate(async () => (await fetch('/v1/session')).status);
    assert.equal(after, 401);
  } finally { await b.close(); }
});

test('IL sees its three tracks with its role in each', async () => {
  const b = await openAs('il');
  try {
    const opts = await trackOptions(b.page);
    assert.deepEqual(opts.map((o) => [o.id, o.role]).sort(),
      [['il-sy', 'principal'], ['ru-il', 'principal'], ['tr-il', 'principal']]);
    for (const o of opts) assert.equal(o.text, `${o.id} — principal`);
    await shot(b.page, '03-il-tracks');
  } finally { await b.close(); }
});

test('a mediator sees its role and the resolve button, not acknowledge', async () => {
  const b = await openAs('ru');
  try {
    const opts = await trackOptions(b.page);
    assert.deepEqual(opts.map((o) => [o.id, o.role]).sort(), [['il-sy', 'mediator'], ['ru-il', 'principal']]);
    await b.page.locator('#track').selectOption('il-sy');
    await b.page.waitForFunction(() => document.querySelectorAll('#conflicts .card').length > 0);
    assert.equal(await b.page.locator('#my-role').textContent(), 'mediator');
    assert.ok(await b.page.locator('#conflicts .card button.resolve').count() > 0);
    assert.equal(await b.page.locator('#conflicts .card button.ack').count(), 0);
  } finally { await b.close(); }
});

test('a cookie-authenticated write without the CSRF header is refused with 403', async () => {
  const b = await openAs('il');
  try {
    const result = await b.page.evaluate(async () => {
      const body = JSON.stringify({ to: ['TR'], precedence: 'routine', subject: 'csrf probe', body: 'x' });
      const without = await fetch('/v1/tracks/tr-il/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
      const wrong = await fetch('/v1/tracks/tr-il/messages', {
        method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': 'forged' }, body,
      });
      const list = await (await fetch('/v1/tracks/tr-il/messages?limit=1000')).json();
      return { without: without.status, wrong: wrong.status, probes: list.items.filter((m) => m.subject === 'csrf probe').length };
    });
    assert.deepEqual(result, { without: 403, wrong: 403, probes: 0 });
  } finally { await b.close(); }
});

test('the host AZ sees no threats: no threats tab, and the API answers 403', async () => {
  const b = await openAs('az');
  try {
    assert.deepEqual((await trackOptions(b.page)).map((o) => [o.id, o.role]), [['tr-il', 'host']]);
    assert.equal(await b.page.locator('#tab-threats').isVisible(), false);
    assert.equal(await b.page.locator('#threats .card').count(), 0);
    const status = await b.page.evaluate(async () => (await fetch('/v1/tracks/tr-il/threats')).status);
    assert.equal(status, 403);
    // The host still reads the hotline messages addressed to all.
    await b.page.locator('.tabs [data-tab="hotline"]').click();
    await b.page.waitForFunction(() => document.querySelectorAll('#messages .card').length > 0);
    await shot(b.page, '04-az-host');
  } finally { await b.close(); }
});


// The tamper-evident log in the browser: checkpoint signature (Ed25519 via
// WebCrypto), the caller's entries and their inclusion proofs, consistency
// with the checkpoint seen before; any tampering gives a clear failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, shot, apiAs, closeBrowser } from './helpers.mjs';

after(closeBrowser);

async function verify(page) {
  await page.locator('#log-verify').click();
  await page.waitForFunction(() => document.getElementById('log-verdict').dataset.ok !== undefined);
  return { ok: await page.locator('#log-verdict').getAttribute('data-ok'), text: await page.locator('#log-verdict').textContent() };
}

test('IL verifies the log in the browser; after it grows, consistency with the earlier checkpoint', async () => {
  const b = await openAs('il');
  try {
    await b.page.locator('.tabs [data-tab="log"]').click();
    await b.page.locator('#log-checkpoint').waitFor({ state: 'visible' });
    assert.match(await b.page.locator('#log-checkpoint').textContent(), /^\S+\n\d+\n[A-Za-z0-9+/=]{44}\n\n\u2014 /);
    assert.ok(await b.page.locator('#log-entries li').count() > 0, 'the caller\'s entries are listed');
    const first = await verify(b.page);
    assert.equal(first.ok, 'true', first.text);
    assert.match(first.text, /^✔ Verified: the checkpoint of \d+ entries is signed by the cell's key; \d+ of your entries (is|are) included in it; this is the first/);
    const checked = await b.page.evaluate(() => window.tansiq.state.logVerdict.checked);
    assert.ok(checked > 0);

    const sent = await apiAs('SY', 'POST', '/v1/tracks/il-sy/messages', { to: ['IL'], precedence: 'routine', subject: 'log growth', body: 'x' });
    assert.equal(sent.status, 201);
    const second = await verify(b.page);
    assert.equal(second.ok, 'true', second.text);
    assert.match(second.text, /the log grew from \d+ to \d+ entries without any change/);
    await shot(b.page, '76-log-verified');
  } finally { await b.close(); }
});

test('a tampered inclusion proof, checkpoint signature or consistency proof is reported as NOT VERIFIED', async () => {
  const b = await openAs('il');
  try {
    await b.page.locator('.tabs [data-tab="log"]').click();
    await b.page.locator('#log-checkpoint').waitFor({ state: 'visible' });
    assert.equal((await verify(b.page)).ok, 'true');
    const flip = (s) => { const x = Buffer.from(s, 'base64'); x[0] ^= 1; return x.toString('base64'); };

    await b.page.route('**/v1/log/proof/inclusion**', async (route) => {
      const res = await route.fetch();
      const j = await res.json();
      if (j.hashes.length) j.hashes[0] = flip(j.hashes[0]);
      else j.hashes.push(Buffer.alloc(32).toString('base64'));
      await route.fulfill({ response: res, json: j });
    });
    const bad1 = await verify(b.page);
    assert.equal(bad1.ok, 'false');
    assert.match(bad1.text, /^✖ NOT VERIFIED: entry \d+ is not included in the signed log\.$/);
    await shot(b.page, '77-log-tampered');
    await b.page.unroute('**/v1/log/proof/inclusion**');

    await b.page.route('**/v1/log/checkpoint', async (route) => {
      const res = await route.fetch();
      const text = await res.text();
      const lines = text.split('\n');
      const sig = lines.findIndex((l) => l.startsWith('\u2014 '));
      const parts = lines[sig].split(' ');
      const raw = Buffer.from(parts[2], 'base64');
      raw[10] ^= 1;
      parts[2] = raw.toString('base64');
      lines[sig] = parts.join(' ');
      await route.fulfill({ response: res, body: lines.join('\n') });
    });
    const bad2 = await verify(b.page);
    assert.equal(bad2.ok, 'false');
    assert.match(bad2.text, /NOT VERIFIED: the checkpoint's signature is not valid/);
    await b.page.unroute('**/v1/log/checkpoint');

    const sent = await apiAs('SY', 'POST', '/v1/tracks/il-sy/messages', { to: ['IL'], precedence: 'routine', subject: 'log growth 2', body: 'x' });
    assert.equal(sent.status, 201);
    await b.page.route('**/v1/log/proof/consistency**', async (route) => {
      const res = await route.fetch();
      const j = await res.json();
      j.hashes[j.hashes.length - 1] = flip(j.hashes[j.hashes.length - 1]);
      await route.fulfill({ response: res, json: j });
    });
    const bad3 = await verify(b.page);
    assert.equal(bad3.ok, 'false');
    assert.match(bad3.text, /NOT VERIFIED: the log of \d+ entries is not an extension of the one of \d+ entries seen before/);
  } finally { await b.close(); }
});

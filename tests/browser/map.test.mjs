// The situation map: borders drawn locally, the demo zones, deployments,
// activities and open conflicts of a track, layer toggles and the time slider.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, closeBrowser } from './helpers.mjs';

after(closeBrowser);

const count = (page, sel) => page.locator(sel).count();

// What the API says the page should draw, fetched from inside the page (same cookie).
async function apiLayers(page, at) {
  return page.evaluate(async (atIso) => {
    const t = window.tansiq.state.track.id;
    const fc = await (await fetch(`/v1/tracks/${t}/features.geojson${atIso ? `?at=${atIso}` : ''}`)).json();
    const n = {};
    for (const f of fc.features) n[f.properties.layer] = (n[f.properties.layer] || 0) + 1;
    return n;
  }, at);
}

test('IL on il-sy sees the demo zones, deployments, activity and open conflicts', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.waitForFunction(() => document.querySelectorAll('path.tq-border').length > 100);
    const want = await apiLayers(b.page);
    assert.ok(want.zone >= 8 && want.conflict >= 3, `demo data present: ${JSON.stringify(want)}`);
    assert.equal(await count(b.page, 'path.tq-zone'), want.zone);
    assert.ok(await count(b.page, 'path.tq-zone.tq-status-proposed') >= 1, 'the proposed zone is drawn');
    assert.equal(await count(b.page, 'path.tq-zone-demilitarized.tq-status-in_force'), 1);
    assert.equal(await count(b.page, 'path.tq-conflict'), want.conflict);
    assert.equal(await count(b.page, 'path.tq-activity'), want.activity);
    // Deployments: APP-6 symbols from milsymbol, IL's own friend, Syria's unknown.
    assert.equal(await count(b.page, '.tq-dep'), want.deployment);
    assert.equal(await count(b.page, '.tq-dep.tq-affil-F svg'), 1);
    assert.equal(await count(b.page, '.tq-dep.tq-affil-U svg'), 2);
    // The conflicts panel lists open conflicts first, a critical one at the top.
    const statuses = await b.page.$$eval('#conflicts .card', (cs) => cs.map((c) => c.dataset.status));
    assert.ok(statuses.length >= 3);
    assert.deepEqual(statuses, [...statuses].sort((x, y) => ['open', 'acknowledged', 'resolved'].indexOf(x)
      - ['open', 'acknowledged', 'resolved'].indexOf(y)));
    assert.match(await b.page.locator('#conflicts .card').first().locator('.badge').first().textContent(), /critical/);
    assert.deepEqual(b.errors, []);
    await shot(b.page, '10-map-il-sy');

    // A popup of the demo activity tells footprint, altitude and window.
    await b.page.evaluate(async () => {
      const t = window.tansiq.state.track.id;
      const acts = (await (await fetch(`/v1/tracks/${t}/activities`)).json()).items;
      const demo = acts.find((a) => a.description === 'Unarmed reconnaissance flight north of Quneitra');
      window.tansiq.situation.focus(demo.id);
    });
    const popup = await b.page.locator('.leaflet-popup-content').textContent();
    assert.match(popup, /altitude 1,000 m – 4,500 m/);
    assert.match(popup, /window \d{4}-\d\d-\d\d \d\d:\d\dZ – \d{4}/);
    await shot(b.page, '11-map-activity-popup');
  } finally { await b.close(); }
});

test('layer toggles hide and show a layer', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    const zones = await count(b.page, 'path.tq-zone');
    assert.ok(zones > 0);
    const toggle = b.page.locator('.leaflet-control-layers-overlays label', { hasText: 'Zones' }).locator('input');
    await toggle.uncheck();
    assert.equal(await count(b.page, 'path.tq-zone'), 0);
    assert.ok(await count(b.page, 'path.tq-conflict') > 0, 'the other layers stay');
    await shot(b.page, '12-map-zones-hidden');
    await toggle.check();
    assert.equal(await count(b.page, 'path.tq-zone'), zones);
  } finally { await b.close(); }
});

test('the time slider shows the situation at a later instant', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    const now = await apiLayers(b.page);
    assert.ok(now.activity >= 1);
    assert.equal(await count(b.page, 'path.tq-activity'), now.activity);
    // 3 days ahead: the reconnaissance flight (in 3 to 4 hours) and its conflict are over.
    await b.page.locator('#at').fill(String(1 + 3 * 24 * 4));
    await b.page.locator('#at').dispatchEvent('change');
    await b.page.waitForFunction(() => window.tansiq.state.at !== null
      && document.querySelectorAll('path.tq-activity').length === 0);
    const at = await b.page.evaluate(() => new Date(window.tansiq.state.at).toISOString());
    const want = await apiLayers(b.page, at);
    assert.equal(await count(b.page, 'path.tq-conflict'), want.conflict);
    assert.equal(await count(b.page, 'path.tq-zone'), want.zone);
    assert.match(await b.page.locator('#at-label').textContent(), /\+3 d/);
    await shot(b.page, '13-map-in-3-days');
    await b.page.locator('#at-now').click();
    await b.page.waitForFunction((n) => document.querySelectorAll('path.tq-activity').length === n, now.activity);
  } finally { await b.close(); }
});

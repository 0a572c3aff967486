// Declaring by drawing on the map: the dry-run check shows the conflicts the
// declaration would open before anything is submitted; submitting stores it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, logSize } from './helpers.mjs';

after(closeBrowser);

// Clicks the map at lon/lat (the page's own projection gives the pixel).
async function clickAt(page, lon, lat) {
  const box = await page.locator('#map').boundingBox();
  const p = await page.evaluate(([x, y]) => window.tansiq.map.latLngToContainerPoint([y, x]), [lon, lat]);
  await page.mouse.click(box.x + p.x, box.y + p.y);
}

test('an activity drawn over the area of separation shows its dry-run conflicts, then is declared', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="declare"]').click();
    await b.page.evaluate(() => { window.tansiq.map.setView([32.9, 35.85], 11, { animate: false }); });
    await b.page.locator('#d-type').selectOption('activity');
    await b.page.locator('#d-kind').selectOption('uav');
    await b.page.locator('#d-name').fill('Drawn UAV patrol (browser test)');
    await b.page.locator('#d-draw').click();
    for (const [x, y] of [[35.82, 32.85], [35.87, 32.85], [35.87, 32.95], [35.82, 32.95]]) await clickAt(b.page, x, y);
    assert.equal(await b.page.locator('#d-status').textContent(), '4 vertexes.');
    assert.equal(await b.page.locator('.tq-vertex').count(), 4);
    await b.page.locator('#d-finish').click();
    const g = JSON.parse(await b.page.locator('#d-geojson').inputValue());
    assert.equal(g.type, 'Polygon');
    assert.equal(g.coordinates[0].length, 5);
    assert.ok(Math.abs(g.coordinates[0][0][0] - 35.82) < 0.01 && Math.abs(g.coordinates[0][0][1] - 32.85) < 0.01);

    const before = await logSize();
    await b.page.locator('#d-check').click();
    await b.page.locator('#d-conflicts .check-result').first().waitFor();
    const kinds = await b.page.$$eval('#d-conflicts .check-result', (cs) => cs.map((c) => c.dataset.kind));
    assert.ok(kinds.includes('demilitarized_breach'), kinds.join());
    assert.match(await b.page.locator('#d-status').textContent(), /^Dry run: \d+ conflicts?\.$/);
    assert.ok(await b.page.locator('path.tq-check').count() >= 1, 'the would-be overlap is drawn');
    assert.equal(await logSize(), before, 'a dry run stores nothing');
    await shot(b.page, '40-declare-dry-run');

    const openBefore = await b.page.locator('#conflicts .card[data-status="open"]').count();
    await b.page.locator('#d-submit').click();
    // The demilitarized breach is critical: the console asks before submitting.
    await b.page.locator('#ask').waitFor({ state: 'visible' });
    assert.match(await b.page.locator('#ask-text').textContent(), /critical conflict.*demilitarized breach/);
    await b.page.locator('#ask-ok').click();
    await b.page.waitForFunction(() => /^Declared act_/.test(document.getElementById('d-status').textContent));
    const id = (await b.page.locator('#d-status').textContent()).match(/act_[A-Za-z0-9]+/)[0];
    const stored = await apiAs('SY', 'GET', `/v1/tracks/il-sy/activities/${id}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.json.kind, 'uav');
    await b.page.waitForFunction((n) => document.querySelectorAll('#conflicts .card[data-status="open"]').length > n, openBefore);
    await shot(b.page, '41-declare-submitted');
  } finally { await b.close(); }
});

test('pasted GeoJSON that is not valid is refused before anything is sent', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="declare"]').click();
    await b.page.locator('#d-geojson').fill('{"type":"Polygon","coordinates":');
    await b.page.locator('#d-check').click();
    assert.equal(await b.page.locator('#d-status').textContent(), 'The pasted GeoJSON is not valid JSON.');
    // Well-formed but invalid geometry: the server's 422 reason is shown.
    await b.page.locator('#d-geojson').fill('{"type":"Polygon","coordinates":[[[35.8,33.2],[35.9,33.2],[35.8,33.2]]]}');
    await b.page.locator('#d-check').click();
    await b.page.waitForFunction(() => /^Check refused: /.test(document.getElementById('d-status').textContent));
  } finally { await b.close(); }
});

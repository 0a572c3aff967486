// Place names on the map (web/app/places.json, made at install from GeoNames
// and CLDR by web/tools/places.mjs): shown at the demo view, by zoom
// (capitals before smaller places), in the user's language where the data has
// the name, toggled with the other layers, and never over a popup.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, closeBrowser, rawGet } from './helpers.mjs';

after(closeBrowser);

const DAMASCUS = [33.5102, 36.2913];
const names = (page) => page.$$eval('.leaflet-places-pane .tq-place .name', (ns) => ns.map((n) => n.textContent));
// (Returns nothing: Playwright would serialise the Map that setView returns, slowly.)
// Waits until the map and its popup stop moving (showPoint pans and zooms with an animation).
async function settled(page) {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const now = await page.evaluate(() => JSON.stringify([document.querySelector('.leaflet-popup-content')?.getBoundingClientRect(),
      window.tansiq.map.getCenter(), window.tansiq.map.getZoom(), document.querySelectorAll('.tq-place').length]));
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail('the map did not settle');
}
const view = (page, [lat, lon], zoom) => page.evaluate(([a, o, z]) => { window.tansiq.map.setView([a, o], z, { animate: false }); },
  [lat, lon, zoom]);

test('places.json is served, made from the installed data', async () => {
  const r = await rawGet('/app/places.json');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  const body = JSON.parse(r.body.toString());
  assert.match(body.source, /GeoNames/);
  const damascus = body.places.find((p) => p[2] === 'Damascus');
  assert.ok(damascus, 'Damascus is among the places');
  assert.equal(damascus[3], 0, 'a national capital has rank 0');
  assert.equal(damascus[4].ar, 'دمشق');
  assert.equal(damascus[4].he, 'דמשק');
  assert.equal(body.places[0][3], 0, 'capitals come first');
  assert.ok(!body.places.some((p) => p[2] === 'Tripoli' && p[4] && p[0] > 30), 'Libya\'s CLDR name is not given to Tripoli in Lebanon');
});

test('the demo view names Damascus; smaller places appear as one zooms in; the layer can be hidden', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.waitForFunction(() => document.querySelectorAll('.leaflet-places-pane .tq-place').length > 0);
    assert.ok((await names(b.page)).includes('Damascus'), `the demo view names Damascus: ${await names(b.page)}`);
    await shot(b.page, '83-map-places-demo-view');

    await view(b.page, [34.2, 36.5], 6);
    const far = await names(b.page);
    assert.ok(far.includes('Damascus') && far.includes('Beirut'), `capitals at zoom 6: ${far}`);
    assert.ok(!far.includes('Homs'), `a province seat waits for zoom 7: ${far}`);
    await view(b.page, [34.2, 36.5], 8);
    const near = await names(b.page);
    assert.ok(near.includes('Homs') && near.includes('Damascus'), `zoom 8 adds the province seats: ${near}`);
    // No two names overlap.
    const boxes = await b.page.$$eval('.leaflet-places-pane .tq-place .name', (ns) => ns.map((n) => n.getBoundingClientRect().toJSON()));
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [p, q] = [boxes[i], boxes[j]];
        assert.ok(p.right <= q.left || q.right <= p.left || p.bottom <= q.top || q.bottom <= p.top, `names ${i} and ${j} overlap`);
      }
    }

    // The layer switch hides and shows them.
    await b.page.locator('.leaflet-control-layers label', { hasText: 'Place names' }).locator('input').uncheck();
    assert.equal(await b.page.locator('.leaflet-places-pane .tq-place').count(), 0);
    await b.page.locator('.leaflet-control-layers label', { hasText: 'Place names' }).locator('input').check();
    assert.ok((await names(b.page)).includes('Homs'));
  } finally { await b.close(); }
});

test('in Arabic the map says دمشق; a popup covers the names under it', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('#lang').selectOption('ar');
    await b.page.waitForFunction(() => document.documentElement.lang === 'ar');
    await view(b.page, DAMASCUS, 8);
    const ar = await names(b.page);
    assert.ok(ar.includes('دمشق') && !ar.includes('Damascus'), `Arabic names where CLDR has them: ${ar}`);
    assert.equal(await b.page.locator('.tq-place .name', { hasText: 'دمشق' }).getAttribute('lang'), 'ar');

    // A popup (the console's own point popup) whose body lies over Damascus: the popup is on top.
    const center = () => b.page.evaluate(() => {
      const r = document.querySelector('.leaflet-popup-content').getBoundingClientRect();
      const m = document.getElementById('map').getBoundingClientRect();
      const ll = window.tansiq.map.containerPointToLatLng([r.left + r.width / 2 - m.left, r.top + r.height / 2 - m.top]);
      return [ll.lat, ll.lng];
    });
    await b.page.evaluate(([lat, lon]) => window.tansiq.situation.showPoint(lon, lat, 'test'), DAMASCUS);
    await b.page.locator('.leaflet-popup-content').waitFor();
    await settled(b.page);
    const [clat, clon] = await center();
    // Open it again lower by the offset between its point and its body's centre.
    await b.page.evaluate(([lat, lon]) => window.tansiq.situation.showPoint(lon, lat, 'test'),
      [2 * DAMASCUS[0] - clat, 2 * DAMASCUS[1] - clon]);
    await settled(b.page);
    // Names take no clicks (pointer-events: none); let them answer elementFromPoint so the stacking shows.
    await b.page.addStyleTag({ content: '.leaflet-places-pane, .leaflet-places-pane * { pointer-events: auto !important; }' });
    const dot = b.page.locator('.tq-place', { hasText: 'دمشق' }).locator('.dot');
    const box = await dot.boundingBox();
    assert.ok(box, 'Damascus is drawn under the popup');
    const top = await b.page.evaluate(([x, y]) => {
      const e = document.elementFromPoint(x, y);
      return e && (e.closest('.leaflet-popup') ? 'popup' : e.closest('.tq-place') ? 'place' : e.className);
    }, [box.x + box.width / 2, box.y + box.height / 2]);
    const pop = await b.page.locator('.leaflet-popup-content-wrapper').boundingBox();
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    assert.ok(x > pop.x && x < pop.x + pop.width && y > pop.y && y < pop.y + pop.height,
      `Damascus lies under the popup: dot ${JSON.stringify(box)} popup ${JSON.stringify(pop)}`);
    assert.equal(top, 'popup', 'the popup covers the place name');
    await shot(b.page, '84-map-places-ar-popup');
  } finally { await b.close(); }
});

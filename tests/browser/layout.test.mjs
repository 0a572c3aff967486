// The console at 1366×768 and on a 390-px-wide phone: nothing overflows
// sideways, the map and the panels are there and usable.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, openAs, pickTrack, shot, closeBrowser } from './helpers.mjs';

after(closeBrowser);

async function noSidewaysScroll(page) {
  const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(sw <= iw, `page is ${sw} px wide in a ${iw} px window`);
}

async function inViewport(page, sel) {
  const box = await page.locator(sel).first().boundingBox();
  const vw = page.viewportSize().width;
  assert.ok(box && box.width > 0 && box.x >= 0 && box.x + box.width <= vw + 1, `${sel} within the width: ${JSON.stringify(box)}`);
  return box;
}

test('desktop 1366×768: map, time slider and panels side by side', async () => {
  const b = await openAs('il', { width: 1366, height: 768 });
  try {
    await pickTrack(b.page, 'il-sy');
    await noSidewaysScroll(b.page);
    const map = await inViewport(b.page, '#map');
    const side = await inViewport(b.page, '.side');
    assert.ok(map.width >= 800 && map.height >= 500, JSON.stringify(map));
    assert.ok(side.x >= map.x + map.width - 1, 'panels right of the map');
    const slider = await inViewport(b.page, '#at');
    assert.ok(slider.y + slider.height <= 768, 'time slider visible without scrolling');
    for (const tab of ['conflicts', 'hotline', 'threats', 'declare', 'events']) await inViewport(b.page, `.tabs [data-tab="${tab}"]`);
    await shot(b.page, '50-desktop-1366x768');
  } finally { await b.close(); }
});

test('phone 390 px: login fits, then map above panels, tabs usable', async () => {
  const b0 = await launch({ width: 390, height: 844, mobile: true });
  try {
    await b0.page.goto(`${BASE}/`);
    await b0.page.locator('#login-submit').waitFor(); // the form shows once GET /v1/session has answered 401
    await noSidewaysScroll(b0.page);
    await inViewport(b0.page, '#login-submit');
    await shot(b0.page, '51-phone-login');
  } finally { await b0.close(); }

  const b = await openAs('il', { width: 390, height: 844, mobile: true });
  try {
    await pickTrack(b.page, 'il-sy');
    await noSidewaysScroll(b.page);
    const map = await inViewport(b.page, '#map');
    assert.ok(map.height >= 250, `map height ${map.height}`);
    await inViewport(b.page, '#track');
    await inViewport(b.page, '#logout');
    assert.ok(await b.page.locator('path.tq-zone').count() > 0);
    await shot(b.page, '52-phone-map');
    await b.page.locator('.tabs [data-tab="hotline"]').tap();
    await b.page.locator('#messages .card').first().waitFor();
    await b.page.locator('#panel-hotline').scrollIntoViewIfNeeded();
    await inViewport(b.page, '#messages .card');
    await noSidewaysScroll(b.page);
    await shot(b.page, '53-phone-hotline');
    await b.page.locator('.tabs [data-tab="conflicts"]').tap();
    await inViewport(b.page, '#conflicts .card button.ack');
    await shot(b.page, '54-phone-conflicts');
  } finally { await b.close(); }
});

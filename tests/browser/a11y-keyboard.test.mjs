// Accessibility: the panels are usable from the keyboard with a visible focus
// (the axe-core checks: a11y-axe-en, a11y-axe-ar).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, closeBrowser } from './helpers.mjs';

after(closeBrowser);

test('keyboard: tabs by arrow keys, a visible focus, dialogs answer Escape', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="conflicts"]').focus();
    await b.page.keyboard.press('ArrowRight');
    assert.equal(await b.page.locator('#panel-hotline').isVisible(), true, 'ArrowRight moves to the next tab');
    assert.equal(await b.page.evaluate(() => document.activeElement.dataset.tab), 'hotline');
    const outline = await b.page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused tab shows its focus');
    await b.page.keyboard.press('End');
    assert.equal(await b.page.evaluate(() => document.activeElement.dataset.tab), 'events');
    await b.page.keyboard.press('Home');
    assert.equal(await b.page.locator('#panel-conflicts').isVisible(), true);
    // Into the panel with Tab, act with Enter: the first card's "Show on map" opens its popup.
    await b.page.locator('#conflicts .card button.show').first().focus();
    await b.page.keyboard.press('Enter');
    await b.page.locator('.leaflet-popup-content').waitFor();
    // A confirmation dialog takes the focus and Escape cancels it.
    await b.page.locator('.tabs [data-tab="objects"]').click();
    const cancel = b.page.locator('#activities .card button.act-cancel, #zones .card button.zone-withdraw').first();
    await cancel.focus();
    await b.page.keyboard.press('Enter');
    await b.page.locator('#ask').waitFor({ state: 'visible' });
    assert.equal(await b.page.evaluate(() => document.activeElement.id), 'ask-ok');
    await b.page.keyboard.press('Escape');
    await b.page.locator('#ask').waitFor({ state: 'hidden' });
    await shot(b.page, '85-keyboard');
  } finally { await b.close(); }
});

test('keyboard: every panel is reached from its tab with Tab, and each control there shows its focus', async () => {
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    const tabs = await b.page.$$eval('.tabs button', (bs) => bs.filter((x) => !x.hidden).map((x) => x.dataset.tab));
    assert.ok(tabs.length >= 9, `a principal has every tab: ${tabs}`);
    await b.page.locator(`.tabs [data-tab="${tabs[0]}"]`).focus();
    const report = [];
    for (const [i, tab] of tabs.entries()) {
      if (i > 0) await b.page.keyboard.press('ArrowRight');
      assert.equal(await b.page.evaluate(() => document.activeElement.dataset.tab), tab);
      assert.equal(await b.page.locator(`#panel-${tab}`).isVisible(), true, `${tab}: its panel shows`);
      let inside = 0;
      for (let k = 0; k < 4; k++) {
        await b.page.keyboard.press('Tab');
        const f = await b.page.evaluate((id) => {
          const e = document.activeElement;
          const s = getComputedStyle(e);
          return { inside: Boolean(e.closest(`#${id}`)), tag: e.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
        }, `panel-${tab}`);
        if (!f.inside) break;
        inside++;
        assert.ok(f.outline !== 'none' && f.width >= 2, `${tab}: a focused ${f.tag} shows its focus (${f.outline} ${f.width}px)`);
      }
      report.push(`${tab}:${inside}`);
      assert.ok(inside > 0, `${tab}: Tab from the tab reaches a control of its panel`);
      await b.page.locator(`.tabs [data-tab="${tab}"]`).focus();
    }
  } finally { await b.close(); }
});

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

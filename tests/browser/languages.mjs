// Each language: the browser's language is the default, log in, the
// direction and known strings, local time with UTC beside it, the choice kept
// across sessions; screenshots at 1366×768 and 390 px.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, launch, passwords, pickTrack, shot } from './helpers.mjs';


const WEB = new URL('../../web/', import.meta.url).pathname;

const KNOWN = {
  en: { login: 'Log in', tab: 'Conflicts', hotline: 'Hotline', dir: 'ltr' },
  ar: { login: 'تسجيل الدخول', tab: 'التعارضات', hotline: 'الخط الساخن', dir: 'rtl' },
  he: { login: 'כניסה', tab: 'התנגשויות', hotline: 'קו חם', dir: 'rtl' },
  tr: { login: 'Giriş yap', tab: 'Çakışmalar', hotline: 'Sıcak hat', dir: 'ltr' },
  ru: { login: 'Войти', tab: 'Конфликты', hotline: 'Горячая линия', dir: 'ltr' },
};
const LOCALE = { en: 'en-GB', ar: 'ar-SY', he: 'he-IL', tr: 'tr-TR', ru: 'ru-RU' };
const USER = { en: 'us', ar: 'sy', he: 'il', tr: 'ru', ru: 'us' }; // members of il-sy

// The test of one language (one file per language keeps each file short).
export function languageTest(test, lang) {
  test(`${lang}: the browser's language is the default; log in, switch language, keep the choice`, async () => {
    const b = await launch({ locale: LOCALE[lang], timezoneId: 'Asia/Baku' });
    const k = KNOWN[lang];
    try {
      await b.page.goto(`${BASE}/`);
      await b.page.waitForFunction((l) => document.documentElement.lang === l, lang);
      assert.equal(await b.page.evaluate(() => document.documentElement.dir), k.dir);
      assert.equal(await b.page.locator('#login-submit').textContent(), k.login);
      await b.page.locator('#login-name').fill(USER[lang]);
      await b.page.locator('#login-password').fill(passwords()[USER[lang]]);
      await b.page.locator('#login-submit').click();
      await b.page.locator('#console').waitFor({ state: 'visible' });
      await b.page.waitForFunction(() => window.tansiq && window.tansiq.state.loaded);
      await pickTrack(b.page, 'il-sy');
      assert.equal(await b.page.locator('.tabs [data-tab="conflicts"] [data-i18n]').textContent(), k.tab);
      assert.equal(await b.page.locator('.tabs [data-tab="hotline"] [data-i18n]').textContent(), k.hotline);
      assert.equal(await b.page.title(), JSON.parse(readFileSync(join(WEB, 'app', 'i18n', `${lang}.json`), 'utf8'))['app.title']);
      // Mirrored: panels left of the map and the zoom control on the right in rtl.
      const map = await b.page.locator('#map').boundingBox();
      const side = await b.page.locator('.side').boundingBox();
      const zoom = await b.page.locator('.leaflet-control-zoom').boundingBox();
      if (k.dir === 'rtl') {
        assert.ok(side.x + side.width <= map.x + 1, 'panels on the left in rtl');
        assert.ok(zoom.x > map.x + map.width / 2, 'zoom control on the right in rtl');
      } else {
        assert.ok(side.x >= map.x + map.width - 1, 'panels on the right in ltr');
        assert.ok(zoom.x < map.x + map.width / 2, 'zoom control on the left in ltr');
      }
      // Times: local (Baku, +04) in the language, with UTC beside it.
      await b.page.locator('.tabs [data-tab="conflicts"]').click();
      const meta = await b.page.locator('#conflicts .card .meta').nth(1).textContent();
      assert.match(meta, /\d{4}-\d\d-\d\d \d\d:\d\dZ\)/, `UTC beside the local time: ${meta}`);
      await shot(b.page, `61-lang-${lang}-1366`);
      await b.page.setViewportSize({ width: 390, height: 844 });
      await b.page.waitForTimeout(300);
      const [sw, iw] = await b.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      assert.ok(sw <= iw, `${lang} at 390 px: page is ${sw} px wide`);
      await shot(b.page, `62-lang-${lang}-390`);
      await b.page.setViewportSize({ width: 1366, height: 768 });

      // Switch to another language: direction and strings follow; the choice survives a reload.
      const other = lang === 'he' ? 'tr' : 'he';
      await b.page.locator('#lang').selectOption(other);
      await b.page.waitForFunction((l) => document.documentElement.lang === l, other);
      assert.equal(await b.page.evaluate(() => document.documentElement.dir), KNOWN[other].dir);
      assert.equal(await b.page.locator('.tabs [data-tab="conflicts"] [data-i18n]').textContent(), KNOWN[other].tab);
      await b.page.reload();
      await b.page.waitForFunction(() => window.tansiq && window.tansiq.state.loaded);
      assert.equal(await b.page.evaluate(() => document.documentElement.lang), other);
      assert.equal(await b.page.locator('.tabs [data-tab="hotline"] [data-i18n]').textContent(), KNOWN[other].hotline);
    } finally { await b.close(); }
  });
}

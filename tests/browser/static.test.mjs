// The console's files as served by tansiqd (no browser needed): types, the
// security headers, the node_modules allow-list and hostile paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rawGet } from './helpers.mjs';

test('index, app and vendor files are served with their type, CSP and nosniff', async () => {
  const cases = [
    ['/', 'text/html; charset=utf-8'],
    ['/app/console.js', 'text/javascript; charset=utf-8'],
    ['/app/console.css', 'text/css; charset=utf-8'],
    ['/vendor/leaflet/dist/leaflet.js', 'text/javascript; charset=utf-8'],
    ['/vendor/leaflet/dist/leaflet.css', 'text/css; charset=utf-8'],
    ['/vendor/leaflet/dist/images/layers.png', 'image/png'],
    ['/vendor/milsymbol/dist/milsymbol.js', 'text/javascript; charset=utf-8'],
    ['/vendor/topojson-client/dist/topojson-client.min.js', 'text/javascript; charset=utf-8'],
    ['/vendor/world-atlas/countries-50m.json', 'application/json; charset=utf-8'],
  ];
  for (const [path, type] of cases) {
    const r = await rawGet(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['content-type'], type, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    assert.match(r.headers['content-security-policy'], /^default-src 'self'; script-src 'self';/, path);
    assert.ok(r.body.length > 0, path);
  }
  const index = await rawGet('/');
  assert.match(index.body.toString(), /<title>tansiq console<\/title>/);
});

test('hostile or unlisted paths answer 404 and never leak a file', async () => {
  const paths = [
    '/app/../index.html', '/app/%2e%2e/index.html', '/app/..%2f..%2fREADME.md', '/app/..%2F..%2F..%2Fetc%2Fpasswd',
    '/app//etc/passwd', '/app/.hidden.js', '/app/x/../console.js', '/app/console.exe',
    '/app/', '/app', '/vendor/leaflet/package.json', '/vendor/leaflet/dist/leaflet-src.js',
    '/vendor/playwright-core/package.json', '/vendor/leaflet/dist/..%2f..%2f..%2fpackage.json',
    '/vendor/world-atlas/countries-10m.json', '/vendor/../package.json', '/index.html', '/app/console.js/',
    '/app/a\\b.js',
  ];
  for (const path of paths) {
    const r = await rawGet(path);
    assert.ok([400, 404].includes(r.status), `${path} → ${r.status}`);
    assert.doesNotMatch(r.body.toString(), /root:|"name": "tansiq-console"|playwright/, path);
  }
});

test('only GET: a POST to a static path is 405, and the API still needs its token', async () => {
  assert.equal((await rawGet('/', 'POST')).status, 405);
  assert.equal((await rawGet('/app/console.js', 'DELETE')).status, 405);
  assert.equal((await rawGet('/v1/tracks')).status, 401);
});

// Every workflow of the contract through the console, each as the role that
// performs it; the API then shows the change. Buttons appear only where the
// role may act.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAs, pickTrack, shot, apiAs, closeBrowser, T, confirm } from './helpers.mjs';

after(closeBrowser);

test('disputes: IL files, SY responds, the mediator RU mediates and resolves; deadlines count down', async () => {
  const il = await openAs('il');
  let id;
  try {
    await pickTrack(il.page, 'il-sy');
    await il.page.locator('.tabs [data-tab="disputes"]').click();
    await il.page.locator('#file-dispute summary').click();
    await il.page.locator('#ds-against').selectOption('SY');
    await il.page.locator('#ds-subject').fill('Browser dispute: artillery moved into the limitation area');
    await il.page.locator('#ds-description').fill('Two batteries observed inside the 10 km area.');
    await il.page.locator('#ds-submit').click();
    await il.page.waitForFunction(() => /dsp_/.test(document.getElementById('ds-status').textContent));
    id = (await il.page.locator('#ds-status').textContent()).match(/dsp_[A-Za-z0-9]+/)[0];
    const card = il.page.locator(`#disputes .card[data-id="${id}"]`);
    await card.waitFor();
    assert.match(await card.locator('.deadline-respond .due').textContent(), /^in /);
    assert.match(await card.locator('.deadline-resolve .due').textContent(), /^in /);
    assert.equal(await card.locator('button.dsp-respond').count(), 0, 'the complainant does not respond');
    assert.equal(await card.locator('button.dsp-resolve').count(), 0, 'a principal never resolves');
    assert.equal((await apiAs('SY', 'GET', `${T}/disputes/${id}`)).json.against, 'SY');
  } finally { await il.close(); }

  const sy = await openAs('sy');
  try {
    await pickTrack(sy.page, 'il-sy');
    await sy.page.locator('.tabs [data-tab="disputes"]').click();
    const card = sy.page.locator(`#disputes .card[data-id="${id}"]`);
    await card.waitFor();
    assert.equal(await card.locator('button.dsp-withdraw').count(), 0);
    await card.locator('button.dsp-respond').click();
    await confirm(sy.page, 'The batteries are outside the area; coordinates attached.');
    await sy.page.locator(`#disputes .card[data-id="${id}"][data-status="responded"]`).waitFor();
    const d = (await apiAs('IL', 'GET', `${T}/disputes/${id}`)).json;
    assert.equal(d.status, 'responded');
    assert.equal(d.response, 'The batteries are outside the area; coordinates attached.');
  } finally { await sy.close(); }

  const ru = await openAs('ru');
  try {
    await pickTrack(ru.page, 'il-sy');
    await ru.page.locator('.tabs [data-tab="disputes"]').click();
    const card = ru.page.locator(`#disputes .card[data-id="${id}"]`);
    await card.waitFor();
    await card.locator('button.dsp-mediate').click();
    await confirm(ru.page, 'Joint inspection on Thursday');
    await ru.page.locator(`#disputes .card[data-id="${id}"][data-status="in_mediation"]`).waitFor();
    await ru.page.locator(`#disputes .card[data-id="${id}"] button.dsp-resolve`).click();
    assert.equal(await ru.page.locator('#ask-ok').isDisabled(), true, 'an outcome is required');
    await confirm(ru.page, 'Inspection found the batteries 12 km out; closed.');
    await ru.page.locator(`#disputes .card[data-id="${id}"][data-status="resolved"]`).waitFor();
    const d = (await apiAs('IL', 'GET', `${T}/disputes/${id}`)).json;
    assert.equal(d.status, 'resolved');
    assert.equal(d.outcome, 'Inspection found the batteries 12 km out; closed.');
    await shot(ru.page, '72-dispute-resolved');
  } finally { await ru.close(); }
});

test('disputes: the complainant withdraws its complaint', async () => {
  const filed = await apiAs('IL', 'POST', `${T}/disputes`, { against: 'SY', subject: 'Browser dispute to withdraw', description: 'x' });
  assert.equal(filed.status, 201);
  const b = await openAs('il');
  try {
    await pickTrack(b.page, 'il-sy');
    await b.page.locator('.tabs [data-tab="disputes"]').click();
    await b.page.locator(`#disputes .card[data-id="${filed.json.id}"] button.dsp-withdraw`).click();
    await confirm(b.page, 'Settled bilaterally');
    await b.page.locator(`#disputes .card[data-id="${filed.json.id}"][data-status="withdrawn"]`).waitFor();
    assert.equal((await apiAs('SY', 'GET', `${T}/disputes/${filed.json.id}`)).json.status, 'withdrawn');
  } finally { await b.close(); }
});

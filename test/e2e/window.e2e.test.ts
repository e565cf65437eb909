// The operator's window in real headless Chromium, bridged to a real daemon (real keychain,
// SQLite on disk, an HTTPS upstream on 127.0.0.1): add an integration from a template with its
// key, watch spend move as the assistant calls, acknowledge the critical alert, then a tier's
// backlog at once, approve a proposal, decommission. A screenshot of each page goes to
// test/artifacts/.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import keytar from 'keytar';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR } from '../../daemon/integrations/templates.ts';
import { Harness } from '../helpers/harness.ts';
import { json } from '../helpers/upstream.ts';
import { type Bridge, startBridge } from './bridge.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(ROOT, 'test/artifacts');
const KEY = `BSA-e2e-${Date.now()}-0123456789abcdef`;

describe('the Tollgate window, driven in Chromium', () => {
  let h: Harness;
  let bridge: Bridge;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const nav = async (name: string) => {
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { level: 1, name }).waitFor();
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The Brave Search template, pointed at the test upstream: the form is the real one.
    const templates = mkdtempSync(join(tmpdir(), 'tollgate-templates-'));
    const brave = JSON.parse(readFileSync(join(TEMPLATES_DIR, 'brave-search.json'), 'utf8'));
    h = await Harness.start({ handler: json(200, { web: { results: [] } }), templatesDir: templates });
    writeFileSync(join(templates, 'brave-search.json'), JSON.stringify({ ...brave, baseUrl: h.upstream.url }));
    await h.restartDaemon();
    bridge = await startBridge({ rendererDir: join(ROOT, 'out/renderer'), controlSocket: h.paths.controlSocket });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(bridge.url);
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await h?.close();
  });

  it('starts empty, and says how to begin', async () => {
    await nav('Integrations');
    await expect(page.getByText(/No integrations yet/).isVisible()).resolves.toBe(true);
    await shot('01-integrations-empty');
  });

  it('adds an integration from a template with its key, after the confirmation', async () => {
    await page.getByRole('button', { name: 'Add integration' }).click();
    const form = page.getByRole('region', { name: 'Add an integration' });
    await form.getByLabel('Provider template').selectOption('brave-search');
    await form.getByLabel('Name', { exact: true }).fill('brave-search');
    await form.getByLabel('Purpose').fill('Web search for research tasks');
    await form.getByLabel('Assistant-owned account').fill('assistant-research@example.org');
    await form.getByLabel('Monthly cap (USD)').fill('0.02');
    await form.getByLabel('API key').fill(KEY);
    await shot('02-integrations-add-from-template');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'brave-search is added' }).textContent()).resolves.toMatch(/its key in the keychain/);
    // Main's confirmation named exactly this change, key included.
    const confirmation = bridge.confirmations.at(-1)!;
    expect(confirmation.title).toBe('Approve a new integration: brave-search');
    expect(confirmation.details).toEqual(expect.arrayContaining(['Monthly cap: $0.02', 'Its key goes into the OS keychain.']));
    expect(await keytar.getPassword(h.service, 'brave-search')).toBe(KEY);
    // The key is gone from the page once saved.
    expect(await page.content()).not.toContain(KEY);
    await page.getByRole('article', { name: 'brave-search' }).waitFor();
    await shot('03-integrations');
  });

  it('shows spend moving as the assistant calls through the agent socket', async () => {
    await nav('Overview');
    await page.getByText('$0.00 of $0.02').first().waitFor();
    for (let i = 0; i < 3; i++) expect((await h.call('brave-search', `/res/v1/web/search?q=e2e-${i}`)).status).toBe(200);
    // The daemon's spend event reaches the window without a reload.
    await page.getByText('$0.015 of $0.02').first().waitFor({ timeout: 10_000 });
    await shot('04-overview-spend');
  });

  it('acknowledges the critical alert raised when the cap is reached', async () => {
    expect((await h.call('brave-search', '/res/v1/web/search?q=last')).status).toBe(200);
    expect((await h.call('brave-search', '/res/v1/web/search?q=over')).headers['tollgate-error']).toBe('budget_exhausted');
    await nav('Alerts');
    const critical = page.getByRole('region', { name: 'Critical' });
    const alert = critical.getByRole('article', { name: 'Spend cap reached: brave-search' });
    await alert.waitFor({ timeout: 10_000 });
    await shot('05-alerts');
    await alert.getByRole('button', { name: 'Acknowledge' }).click();
    await alert.getByText(/Acknowledged/).waitFor();
    const open = await h.control('GET', '/v1/alerts?tier=critical&open=true');
    expect(open.json.alerts.map((a: { title: string }) => a.title)).not.toContain('Spend cap reached: brave-search');
  });

  it('acknowledges a tier\'s open alerts at once with "Acknowledge all"', async () => {
    for (const n of [1, 2]) h.daemon.alerts.raise({ tier: 'warning', kind: 'test', dedupeKey: `e2e:${n}`, integration: null, title: `Backlog ${n}`, message: 'Nothing to do.' });
    const warning = page.getByRole('region', { name: 'Warning' });
    // The daemon's alert events reach the page without a reload.
    for (const n of [1, 2]) await warning.getByRole('article', { name: `Backlog ${n}` }).waitFor({ timeout: 10_000 });
    const openWarnings = async () => ((await h.control('GET', '/v1/alerts?tier=warning&open=true')).json.alerts as { title: string }[]).map((a) => a.title);
    const before = await openWarnings();
    expect(before).toEqual(expect.arrayContaining(['Backlog 1', 'Backlog 2']));
    await warning.getByRole('button', { name: `Acknowledge all ${before.length}` }).click();
    await page.getByRole('status').filter({ hasText: `Acknowledged ${before.length} alerts.` }).waitFor();
    for (const n of [1, 2]) await warning.getByRole('article', { name: `Backlog ${n}` }).getByText(/^Acknowledged /).waitFor();
    await expect(warning.getByRole('button', { name: /^Acknowledge all/ }).count()).resolves.toBe(0);
    await shot('05b-alerts-acknowledged-all');
    expect(await openWarnings()).toEqual([]);
  });

  it('approves the assistant\'s proposal to raise the cap, after the confirmation', async () => {
    const proposed = await h.agent('POST', '/v1/proposals', {
      body: JSON.stringify({ kind: 'raise_cap', integration: 'brave-search', monthlyCapUsd: 1, justification: 'A longer literature review this month' }),
    });
    expect(proposed.status).toBe(202);
    await nav('Proposals');
    const proposal = page.getByRole('article', { name: 'Raise the cap of brave-search to $1.00' });
    await proposal.waitFor({ timeout: 10_000 });
    await expect(proposal.getByText('A longer literature review this month').isVisible()).resolves.toBe(true);
    await shot('06-proposals');
    await proposal.getByRole('button', { name: 'Approve' }).click();
    const form = page.getByRole('region', { name: 'Approve: raise the cap of brave-search' });
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
    expect(bridge.confirmations.at(-1)!.title).toBe('Approve: raise the cap of brave-search to $1.00');
    expect((await h.agent('GET', `/v1/proposals/${proposed.json.id}`)).json.status).toBe('approved');
    expect((await h.call('brave-search', '/res/v1/web/search?q=after')).status).toBe(200);
  });

  it('changes nothing when the operator cancels the confirmation', async () => {
    await nav('Integrations');
    bridge.answer = false;
    try {
      await page.getByRole('article', { name: 'brave-search' }).getByRole('button', { name: 'Suspend' }).click();
      await page.getByText('Cancelled — nothing changed').waitFor();
    } finally {
      bridge.answer = true;
    }
    expect((await h.control('GET', '/v1/integrations/brave-search')).json.integration.status).toBe('active');
  });

  it('shows the audit log, redacted, and verifies the chain', async () => {
    await nav('Activity');
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText(/Chain intact: \d+ records verified/).waitFor();
    const text = await page.content();
    expect(text).not.toContain('e2e-0');
    expect(text).not.toContain(KEY);
    await shot('07-activity');
  });

  it('decommissions, with the reminder to revoke the key at the provider', async () => {
    await nav('Integrations');
    await page.getByRole('article', { name: 'brave-search' }).getByRole('button', { name: 'Decommission' }).click();
    const done = page.getByRole('region', { name: 'brave-search is decommissioned' });
    await done.waitFor();
    await expect(done.textContent()).resolves.toMatch(/[Rr]evoke/);
    await shot('08-integrations-decommissioned');
    expect(await keytar.getPassword(h.service, 'brave-search')).toBeNull();
    expect((await h.call('brave-search', '/res/v1/web/search?q=gone')).headers['tollgate-error']).toBe('not_allowlisted');
    await nav('Overview');
    // The period's spend stays on the page, and the page says why nothing is listed against a cap.
    await page.getByText('No active integrations — 1 decommissioned.', { exact: false }).waitFor();
    await expect(page.getByRole('list', { name: 'Spend by decommissioned integrations' }).textContent()).resolves.toMatch(/brave-search.*spent/);
    await shot('09-overview');
  });

  it('changes a setting after the confirmation; a refused one shows the daemon\'s reason beside the field, edits kept', async () => {
    await nav('Settings');
    const form = page.getByRole('form', { name: 'Settings' });
    await form.getByLabel('Cap the spend of all integrations together').check();
    await form.getByLabel('Global cap (USD)').fill('100');
    await form.getByLabel('Warn about calls outside active hours').check();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: global cap, active hours.' }).waitFor();
    expect(bridge.confirmations.at(-1)).toEqual({
      title: 'Change Tollgate settings',
      widens: false,
      details: [expect.stringMatching(/^Global cap .*: none → \$100\.00$/), 'Active hours: off → 09:00–17:00 Mon–Fri'],
    });
    expect((await h.control('GET', '/v1/settings')).json.settings).toMatchObject({ globalCapUsd: 100, activeHours: { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] } });
    await shot('10-settings');

    // Removing the cap widens: the dialog says so; cancelled, nothing changes.
    await form.getByLabel('Cap the spend of all integrations together').uncheck();
    bridge.answer = false;
    try {
      await form.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Cancelled — nothing changed').waitFor();
    } finally {
      bridge.answer = true;
    }
    expect(bridge.confirmations.at(-1)).toMatchObject({ details: [expect.stringMatching(/^Global cap .*: \$100\.00 → none$/)], widens: true });
    expect((await h.control('GET', '/v1/settings')).json.settings.globalCapUsd).toBe(100);
    expect(await form.getByLabel('Cap the spend of all integrations together').isChecked()).toBe(false);
    await form.getByRole('button', { name: 'Discard changes' }).click();

    await form.getByLabel('Reset day').fill('31');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved' }).waitFor();
    await expect(form.getByLabel('Reset day').getAttribute('aria-invalid')).resolves.toBe('true');
    // Beside the field, not only in the message at the foot.
    await expect(form.locator('.field.invalid').getByText(/expected number to be <=28/).isVisible()).resolves.toBe(true);
    await expect(form.getByLabel('Reset day').inputValue()).resolves.toBe('31');
    expect((await h.control('GET', '/v1/settings')).json.settings.resetDay).toBe(1);
    await shot('11-settings-refused');
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});

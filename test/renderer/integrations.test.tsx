import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cancelled, done, FakeBridge, ok, refused } from './fake-bridge.ts';
import { integration } from './fixtures.ts';
import { renderApp } from './render.tsx';

type User = Awaited<ReturnType<typeof renderApp>>['user'];

const KEY = 'BSA-not-a-real-key-1234567890';

async function fillFromTemplate(user: User) {
  await user.click(await screen.findByRole('button', { name: 'Add integration' }));
  await user.selectOptions(await screen.findByLabelText('Provider template'), 'Brave Search');
  await user.type(screen.getByLabelText('Purpose'), 'Web search for research tasks');
  await user.type(screen.getByLabelText('Assistant-owned account'), 'assistant-research@example.org');
  await user.clear(screen.getByLabelText('Monthly cap (USD)'));
  await user.type(screen.getByLabelText('Monthly cap (USD)'), '12.5');
  await user.type(screen.getByLabelText('API key'), KEY);
}

const card = (name: string) => screen.findByRole('article', { name });

describe('Integrations', () => {
  it('lists integrations with status, key and spend', async () => {
    await renderApp(undefined, 'Integrations');
    const brave = within(await card('brave-search'));
    expect(brave.getByText('active')).toBeTruthy();
    expect(brave.getByText(/^Set on/)).toBeTruthy();
    expect(brave.getByText('$1.20 of $10.00')).toBeTruthy();
    const exa = within(await card('exa'));
    expect(exa.getByText('Suspended: key rejected by the provider (401)')).toBeTruthy();
    expect(exa.getByRole('button', { name: 'Resume' })).toBeTruthy();
  });

  it('adds from a template: shows what the template fixes, sends the operator’s part and the key, then clears the key', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    await fillFromTemplate(user);
    const summary = screen.getByLabelText('Brave Search template');
    expect(within(summary).getByText('https://api.search.brave.com')).toBeTruthy();
    expect(within(summary).getByText('Header X-Subscription-Token')).toBeTruthy();
    expect(within(summary).getByText('GET /res/v1/web/search')).toBeTruthy();
    expect(within(summary).getByText('$0.005 per request; each call reserves at most $0.005')).toBeTruthy();
    // The template's id is the suggested name.
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('brave-search');

    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(fake.callsOf('createIntegration')).toEqual([[
      { template: 'brave-search', name: 'brave-search', purpose: 'Web search for research tasks', account: 'assistant-research@example.org', monthlyCapUsd: 12.5 },
      KEY,
    ]]);
    expect(await screen.findByRole('status')).toHaveProperty('textContent', 'brave-search is added, its key in the keychain.');
    expect(screen.queryByLabelText('API key')).toBeNull();
    expect(document.body.innerHTML).not.toContain(KEY);
  });

  it('a cancelled confirmation changes nothing and says so; the key is still cleared', async () => {
    const fake = new FakeBridge().respond('createIntegration', () => cancelled());
    const { user } = await renderApp(fake, 'Integrations');
    await fillFromTemplate(user);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled — nothing changed');
    // The form stays for another try, without the key.
    expect((screen.getByLabelText('API key') as HTMLInputElement).value).toBe('');
    expect((screen.getByLabelText('Purpose') as HTMLTextAreaElement).value).toBe('Web search for research tasks');
  });

  it('shows the daemon’s message when it refuses', async () => {
    const message = 'This key is already used by brave-search. Each integration needs its own key.';
    const fake = new FakeBridge().respond('createIntegration', () => refused('key_in_use', message));
    const { user } = await renderApp(fake, 'Integrations');
    await fillFromTemplate(user);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('alert')).textContent).toBe(message);
    expect((screen.getByLabelText('API key') as HTMLInputElement).value).toBe('');
  });

  it('adds from scratch with a full definition', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    await user.click(await screen.findByRole('button', { name: 'Add integration' }));
    await user.click(await screen.findByRole('radio', { name: 'From scratch' }));
    await user.type(screen.getByLabelText('Name'), 'acme');
    await user.type(screen.getByLabelText('Purpose'), 'Acme lookups');
    await user.type(screen.getByLabelText('Assistant-owned account'), 'bot@acme.test');
    await user.type(screen.getByLabelText('Monthly cap (USD)'), '3');
    await user.type(screen.getByLabelText('Base URL'), 'https://api.acme.test');
    await user.type(screen.getByLabelText('Header name'), 'Authorization');
    await user.type(screen.getByLabelText('Prefix'), 'Token ');
    await user.click(screen.getByRole('button', { name: 'Add route' }));
    await user.selectOptions(screen.getByLabelText('Method of route 1'), 'POST');
    await user.clear(screen.getByLabelText('Path of route 1'));
    await user.type(screen.getByLabelText('Path of route 1'), '/v1/lookup');
    await user.click(screen.getByRole('button', { name: 'Add route' }));
    await user.click(screen.getByRole('button', { name: 'Remove route 2' }));
    await user.type(screen.getByLabelText('Reported cost pointer'), '/usage/cost');
    await user.click(screen.getByRole('button', { name: 'Add usage counter' }));
    await user.type(screen.getByLabelText('Pointer of usage counter 1'), '/usage/tokens');
    await user.type(screen.getByLabelText('USD per unit of usage counter 1'), '0.000002');
    await user.type(screen.getByLabelText('Most a request can cost (USD)'), '0.1');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(fake.callsOf('createIntegration')).toEqual([[
      {
        name: 'acme',
        purpose: 'Acme lookups',
        account: 'bot@acme.test',
        monthlyCapUsd: 3,
        baseUrl: 'https://api.acme.test',
        auth: { type: 'header', name: 'Authorization', prefix: 'Token ' },
        routes: [{ method: 'POST', path: '/v1/lookup' }],
        pricing: { costPointer: '/usage/cost', usage: [{ pointer: '/usage/tokens', usdPerUnit: 0.000002 }], maxPerRequestUsd: 0.1 },
        rateLimit: { perMinute: 30, concurrent: 4 },
      },
      undefined,
    ]]);
  });

  it('edits the cap, rate limit and routes, sending only what changed', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    await user.click(within(await card('brave-search')).getByRole('button', { name: 'Edit' }));
    expect(screen.getByRole('button', { name: 'Save' })).toHaveProperty('disabled', true);
    await user.clear(screen.getByLabelText('Monthly cap (USD)'));
    await user.type(screen.getByLabelText('Monthly cap (USD)'), '25');
    await user.clear(screen.getByLabelText('Calls per minute'));
    await user.type(screen.getByLabelText('Calls per minute'), '60');
    await user.click(screen.getByRole('button', { name: 'Add route' }));
    await user.clear(screen.getByLabelText('Path of route 2'));
    await user.type(screen.getByLabelText('Path of route 2'), '/res/v1/news/search');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(fake.callsOf('updateIntegration')).toEqual([[
      'brave-search',
      {
        monthlyCapUsd: 25,
        rateLimit: { perMinute: 60, concurrent: 4 },
        routes: [{ method: 'GET', path: '/res/v1/web/search' }, { method: 'GET', path: '/res/v1/news/search' }],
      },
    ]]);
    expect((await screen.findByRole('status')).textContent).toBe('brave-search is updated.');
  });

  it('switches credential formats from block to record, sending just that', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    expect(within(await card('brave-search')).getByText('Blocked')).toBeTruthy();
    await user.click(within(await card('brave-search')).getByRole('button', { name: 'Edit' }));
    await user.selectOptions(screen.getByLabelText('Well-known credential formats in a request'), 'record');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(fake.callsOf('updateIntegration')).toEqual([['brave-search', { credentialFormats: 'record' }]]);
  });

  it('shows a model provider\'s prices with their source, and narrows its models', async () => {
    const tokens = {
      format: 'anthropic' as const, source: '@pydantic/genai-prices 0.1.8 (2026-09-23)',
      models: { 'claude-sonnet-4-5': { input: 3, output: 15, cacheRead: 0.3 }, 'claude-haiku-4-5': { input: 1, output: 5 } },
    };
    const llm = integration('anthropic');
    llm.spec = { ...llm.spec, pricing: { tokens, maxPerRequestUsd: 10 } };
    const fake = new FakeBridge().respond('integrations', () => ok([llm]));
    const { user } = await renderApp(fake, 'Integrations');
    const shown = within(await card('anthropic'));
    expect(shown.getByText(/claude-sonnet-4-5: \$3\.00 input, \$15\.00 output, \$0\.30 cache read/)).toBeTruthy();
    expect(shown.getByText(/prices: @pydantic\/genai-prices 0\.1\.8 \(2026-09-23\)/)).toBeTruthy();
    await user.click(shown.getByRole('button', { name: 'Edit' }));
    await user.click(screen.getByRole('checkbox', { name: /claude-haiku-4-5/ }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(fake.callsOf('updateIntegration')).toEqual([['anthropic', { pricing: { tokens: { ...tokens, models: { 'claude-sonnet-4-5': tokens.models['claude-sonnet-4-5'] } }, maxPerRequestUsd: 10 } }]]);
  });

  it('rotates a key and clears the field', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    await user.click(within(await card('brave-search')).getByRole('button', { name: 'Rotate key' }));
    expect(screen.getByRole('heading', { name: 'Rotate the key of brave-search' })).toBeTruthy();
    await user.type(screen.getByLabelText('API key'), KEY);
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(fake.callsOf('setKey')).toEqual([['brave-search', KEY]]);
    expect((await screen.findByRole('status')).textContent).toBe('The key of brave-search is in the keychain.');
    expect(document.body.innerHTML).not.toContain(KEY);
  });

  it('offers “Set key” where no key is set', async () => {
    const fake = new FakeBridge().respond('integrations', () => ok([integration('tavily', { keySet: false, keySetAt: null })]));
    await renderApp(fake, 'Integrations');
    const tavily = within(await card('tavily'));
    expect(tavily.getByText('Not set: calls are refused until it is')).toBeTruthy();
    expect(tavily.getByRole('button', { name: 'Set key' })).toBeTruthy();
  });

  it('suspends and resumes', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    await user.click(within(await card('brave-search')).getByRole('button', { name: 'Suspend' }));
    expect((await screen.findByRole('status')).textContent).toBe('brave-search is suspended: its calls are refused.');
    await user.click(within(await card('exa')).getByRole('button', { name: 'Resume' }));
    expect(fake.callsOf('suspend')).toEqual([['brave-search']]);
    expect(fake.callsOf('resume')).toEqual([['exa']]);
  });

  it('refreshes the list after a change', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    await user.click(within(await card('brave-search')).getByRole('button', { name: 'Suspend' }));
    await screen.findByRole('status');
    expect(fake.callsOf('integrations').length).toBeGreaterThanOrEqual(2);
  });

  it('decommissions and shows the checklist: key removed, archive and checksum, revoke at the provider', async () => {
    const { fake, user } = await renderApp(undefined, 'Integrations');
    await user.click(within(await card('brave-search')).getByRole('button', { name: 'Decommission' }));
    expect(fake.callsOf('decommission')).toEqual([['brave-search']]);
    const report = await screen.findByRole('region', { name: 'brave-search is decommissioned' });
    expect(within(report).getByText('Key deleted from the OS keychain.')).toBeTruthy();
    expect(within(report).getByText('/home/op/.local/share/tollgate/archive/brave-search-2026-09-05.jsonl')).toBeTruthy();
    expect(within(report).getByText('9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c1b3d5f7e9a1c3e5b7d9f1a3c5e7b9d1f')).toBeTruthy();
    expect(within(report).getByText(/Revoke the key of brave-search at the provider/)).toBeTruthy();
  });

  it('a cancelled decommission changes nothing', async () => {
    const fake = new FakeBridge().respond('decommission', () => cancelled());
    const { user } = await renderApp(fake, 'Integrations');
    await user.click(within(await card('brave-search')).getByRole('button', { name: 'Decommission' }));
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled — nothing changed');
    expect(screen.queryByRole('region', { name: /decommissioned/ })).toBeNull();
  });

  it('suspends all at once', async () => {
    const fake = new FakeBridge().respond('suspendAll', () => done(['brave-search', 'tavily']));
    const { user } = await renderApp(fake, 'Integrations');
    await user.click(await screen.findByRole('button', { name: 'Suspend all' }));
    expect((await screen.findByRole('status')).textContent).toBe('Suspended brave-search, tavily.');
  });

  it('has a clear empty state', async () => {
    await renderApp(new FakeBridge().respond('integrations', () => ok([integration('old', { status: 'decommissioned' })])), 'Integrations');
    expect(await screen.findByText('No integrations yet — add one from a template.')).toBeTruthy();
    expect(screen.getByText('Decommissioned (1)')).toBeTruthy();
  });
});

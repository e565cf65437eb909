import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { cancelled, FakeBridge, ok } from './fake-bridge.ts';
import { newIntegrationProposal, raiseCapProposal } from './fixtures.ts';
import { renderApp } from './render.tsx';

const KEY = 'exa-not-a-real-key-0987654321';
const withProposals = () => new FakeBridge().respond('proposals', () => ok([newIntegrationProposal, raiseCapProposal]));
const value = (label: string) => (screen.getByLabelText(label) as HTMLInputElement).value;
/** A card's facts list, term → definition. */
function factsOf(card: HTMLElement, name: string): Record<string, string> {
  const list = card.querySelector(`dl[aria-label="${name}"]`);
  if (!list) throw new Error(`no facts named ${name}`);
  return Object.fromEntries([...list.querySelectorAll('dt')].map((dt) => [dt.textContent ?? '', dt.nextElementSibling?.textContent ?? '']));
}

describe('Proposals', () => {
  it('shows what the assistant asked for and why', async () => {
    await renderApp(withProposals(), 'Proposals');
    const p = await screen.findByRole('article', { name: 'New integration: exa-research' });
    expect(within(p).getByText('Brave does not index academic papers well.')).toBeTruthy();
    expect(within(p).getByText('Find papers for the literature review')).toBeTruthy();
    expect(screen.getByRole('article', { name: 'Raise the cap of brave-search to $20.00' })).toBeTruthy();
  });

  it('a cap proposal shows the cap the integration has now beside the one asked for', async () => {
    await renderApp(withProposals(), 'Proposals');
    const p = await screen.findByRole('article', { name: 'Raise the cap of brave-search to $20.00' });
    expect(factsOf(p, 'Cap')).toEqual({ 'Cap now': '$10.00 — $1.20 spent this period', 'Asked for': '$20.00 ($10.00 more, 2× the cap now)' });
  });

  it('a cap proposal for an integration that is gone says so', async () => {
    const proposal = { ...raiseCapProposal, body: { ...raiseCapProposal.body, integration: 'nowhere' } };
    await renderApp(new FakeBridge().respond('proposals', () => ok([proposal])), 'Proposals');
    const p = await screen.findByRole('article', { name: 'Raise the cap of nowhere to $20.00' });
    expect(factsOf(p, 'Cap')['Cap now']).toBe('There is no integration named nowhere.');
  });

  it('a new-integration proposal shows in full what it would allow, the template filling in what the assistant left out', async () => {
    await renderApp(withProposals(), 'Proposals');
    const p = await screen.findByRole('article', { name: 'New integration: exa-research' });
    expect(factsOf(p, 'Asked for')).toEqual({
      Purpose: 'Find papers for the literature review',
      Template: 'Exa (exa)',
      Host: 'https://api.exa.ai',
      Routes: 'POST /search',
      Auth: 'Header x-api-key',
      Pricing: 'the cost the provider reports at /costDollars/total; each call reserves at most $0.25',
      'Rate limit': '30 a minute, 4 at once',
      'Monthly cap': '$8.00',
    });
  });

  it('a new-integration proposal without a template says what is not given', async () => {
    const proposal = { ...newIntegrationProposal, body: { kind: 'new_integration' as const, name: 'acme', purpose: 'Look things up', justification: 'Needed.' } };
    await renderApp(new FakeBridge().respond('proposals', () => ok([proposal])), 'Proposals');
    const p = await screen.findByRole('article', { name: 'New integration: acme' });
    expect(factsOf(p, 'Asked for')).toEqual({
      Purpose: 'Look things up',
      Host: 'Not given: you set it when approving',
      Routes: 'Not given: you set it when approving',
      'Monthly cap': 'Not given: you set it when approving',
    });
  });

  it('approving a new integration opens the add form pre-filled; saving approves, then sets the key', async () => {
    const { fake, user } = await renderApp(withProposals(), 'Proposals');
    await user.click(within(await screen.findByRole('article', { name: 'New integration: exa-research' })).getByRole('button', { name: 'Approve' }));

    expect(await screen.findByRole('heading', { name: 'Approve: new integration exa-research' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Integrations' }).getAttribute('aria-current')).toBe('page');
    expect((screen.getByLabelText('Provider template') as HTMLSelectElement).value).toBe('exa');
    expect(value('Name')).toBe('exa-research');
    expect(value('Purpose')).toBe('Find papers for the literature review');
    expect(value('Monthly cap (USD)')).toBe('8');
    // Nothing is approved until the operator completes the form and saves.
    expect(fake.callsOf('approveProposal')).toEqual([]);

    await user.type(screen.getByLabelText('Assistant-owned account'), 'research-bot@example.org');
    await user.type(screen.getByLabelText('API key'), KEY);
    await user.click(screen.getByRole('button', { name: 'Save' }));

    expect(fake.callsOf('approveProposal')).toEqual([[
      newIntegrationProposal.id,
      { integration: { template: 'exa', name: 'exa-research', purpose: 'Find papers for the literature review', account: 'research-bot@example.org', monthlyCapUsd: 8 } },
      KEY,
    ]]);
    // One confirmation for both: the key goes along with the approval.
    expect(fake.callsOf('setKey')).toEqual([]);
    expect((await screen.findByRole('status')).textContent).toBe('Approved: exa-research is added, its key in the keychain.');
    expect(document.body.innerHTML).not.toContain(KEY);
  });

  it('a proposal naming no known template opens the form from scratch', async () => {
    const proposal = { ...newIntegrationProposal, body: { ...newIntegrationProposal.body, template: undefined, baseUrl: 'https://api.acme.test', routes: [{ method: 'GET', path: '/v1/find' }, { method: 'TRACE', path: '/x' }] } };
    const { user } = await renderApp(new FakeBridge().respond('proposals', () => ok([proposal])), 'Proposals');
    await user.click(await screen.findByRole('button', { name: 'Approve' }));
    expect((await screen.findByRole('radio', { name: 'From scratch' }) as HTMLInputElement).checked).toBe(true);
    expect(value('Base URL')).toBe('https://api.acme.test');
    expect(value('Path of route 1')).toBe('/v1/find');
    expect(screen.queryByLabelText('Path of route 2')).toBeNull();
  });

  it('approving a higher cap opens the cap pre-filled', async () => {
    const { fake, user } = await renderApp(withProposals(), 'Proposals');
    await user.click(within(await screen.findByRole('article', { name: 'Raise the cap of brave-search to $20.00' })).getByRole('button', { name: 'Approve' }));
    expect(await screen.findByRole('heading', { name: 'Approve: raise the cap of brave-search' })).toBeTruthy();
    expect(screen.getByText('The research sprint needs more searches.')).toBeTruthy();
    expect(value('Monthly cap (USD)')).toBe('20');
    await user.clear(screen.getByLabelText('Monthly cap (USD)'));
    await user.type(screen.getByLabelText('Monthly cap (USD)'), '15');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(fake.callsOf('approveProposal')).toEqual([[raiseCapProposal.id, { monthlyCapUsd: 15 }]]);
  });

  it('a cancelled approval leaves the form open and says nothing changed', async () => {
    const fake = withProposals().respond('approveProposal', () => cancelled());
    const { user } = await renderApp(fake, 'Proposals');
    await user.click(within(await screen.findByRole('article', { name: 'Raise the cap of brave-search to $20.00' })).getByRole('button', { name: 'Approve' }));
    await user.click(await screen.findByRole('button', { name: 'Save' }));
    expect((await screen.findByRole('status')).textContent).toBe('Cancelled — nothing changed');
    expect(screen.getByRole('heading', { name: 'Approve: raise the cap of brave-search' })).toBeTruthy();
  });

  it('leaving the pre-filled form by the nav abandons the approval', async () => {
    const { fake, user } = await renderApp(withProposals(), 'Proposals');
    await user.click(within(await screen.findByRole('article', { name: 'Raise the cap of brave-search to $20.00' })).getByRole('button', { name: 'Approve' }));
    await screen.findByRole('heading', { name: 'Approve: raise the cap of brave-search' });
    await user.click(screen.getByRole('link', { name: 'Overview' }));
    await user.click(screen.getByRole('link', { name: 'Integrations' }));
    await screen.findByRole('article', { name: 'brave-search' });
    expect(screen.queryByRole('heading', { name: /^Approve/ })).toBeNull();
    expect(fake.callsOf('approveProposal')).toEqual([]);
  });

  it('rejects with a reason', async () => {
    const { fake, user } = await renderApp(withProposals(), 'Proposals');
    const p = await screen.findByRole('article', { name: 'New integration: exa-research' });
    await user.click(within(p).getByRole('button', { name: 'Reject' }));
    await user.type(within(p).getByLabelText('Reason'), 'Use the library search instead.');
    await user.click(within(p).getByRole('button', { name: 'Send rejection' }));
    expect(fake.callsOf('rejectProposal')).toEqual([[newIntegrationProposal.id, 'Use the library search instead.']]);
    expect((await screen.findByRole('status')).textContent).toBe('Rejected: New integration: exa-research.');
  });

  it('has an empty state', async () => {
    await renderApp(undefined, 'Proposals');
    expect(await screen.findByText(/^No proposals waiting\./)).toBeTruthy();
  });
});

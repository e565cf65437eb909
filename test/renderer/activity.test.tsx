import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../renderer/pages/Activity.tsx';
import { FakeBridge, ok, refused } from './fake-bridge.ts';
import { auditPage, auditRecord, settings } from './fixtures.ts';
import { renderApp } from './render.tsx';

const rows = () => within(screen.getByRole('table')).getAllByRole('row').slice(1);

describe('Activity', () => {
  it('lists the audit log newest first and says what is never recorded', async () => {
    const fake = new FakeBridge().respond('audit', () => ok([auditRecord(2, { outcome: 'refused', code: 'route_not_allowed', status: null, costUsd: 0 }), auditRecord(1)]));
    await renderApp(fake, 'Activity');
    expect(await screen.findByText('2')).toBeTruthy();
    expect(rows().map((r) => within(r).getAllByRole('cell')[0]!.textContent)).toEqual(['2', '1']);
    expect(within(rows()[0]!).getByText('refused: route_not_allowed')).toBeTruthy();
    expect(within(rows()[1]!).getByText('$0.005')).toBeTruthy();
    expect(screen.getByText(/Query values, request and response bodies and keys are never recorded/)).toBeTruthy();
    expect(fake.callsOf('audit')).toEqual([[{ limit: PAGE_SIZE }]]);
  });

  it("shows times in the daemon's time zone, naming it when it is not this machine's", async () => {
    const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const away = here === 'Asia/Tokyo' ? 'America/New_York' : 'Asia/Tokyo';
    const at = Date.UTC(2026, 8, 3, 23, 30, 0);
    const fake = new FakeBridge()
      .respond('audit', () => ok([auditRecord(1, { at })]))
      .respond('settings', () => ok({ ...settings, timeZone: away }));
    await renderApp(fake, 'Activity');
    const shown = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: away }).format(at);
    expect(await screen.findByText(`${shown} ${away}`)).toBeTruthy();
  });

  it('filters by integration, outcome and time', async () => {
    const { fake, user } = await renderApp(undefined, 'Activity');
    await screen.findByText(/No records match/);
    await user.selectOptions(await screen.findByRole('option', { name: 'exa' }).then(() => screen.getByLabelText('Integration')), 'exa');
    await user.selectOptions(screen.getByLabelText('Outcome'), 'refused');
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-09-01T00:00' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2026-09-30T23:59' } });
    await screen.findByText(/No records match/);
    expect(fake.callsOf('audit').at(-1)).toEqual([{
      integration: 'exa',
      outcome: 'refused',
      since: new Date('2026-09-01T00:00').getTime(),
      until: new Date('2026-09-30T23:59').getTime(),
      limit: PAGE_SIZE,
    }]);
  });

  it('pages back with “Older”, asking for records before the last one shown', async () => {
    const fake = new FakeBridge().respond('audit', (f) => ok(f.before === undefined ? auditPage(120, PAGE_SIZE) : auditPage(f.before - 1, 3)));
    const { user } = await renderApp(fake, 'Activity');
    await user.click(await screen.findByRole('button', { name: 'Older' }));
    expect(fake.callsOf('audit').at(-1)).toEqual([{ limit: PAGE_SIZE, before: 71 }]);
    expect(await screen.findByText('68')).toBeTruthy();
    expect(rows()).toHaveLength(PAGE_SIZE + 3);
    // A short page is the last one.
    expect(screen.queryByRole('button', { name: 'Older' })).toBeNull();
    expect(screen.getByText('That is the oldest record.')).toBeTruthy();
  });

  it('verifies the chain: intact', async () => {
    const fake = new FakeBridge().respond('verifyAudit', () => ok({ ok: true, records: 120 }));
    const { user } = await renderApp(fake, 'Activity');
    await user.click(await screen.findByRole('button', { name: 'Verify chain' }));
    expect((await screen.findByText(/Chain intact/)).textContent).toBe('Chain intact: 120 records verified.');
  });

  it('verifies the chain: broken at record N', async () => {
    const fake = new FakeBridge().respond('verifyAudit', () => ok({ ok: false, records: 56, firstBad: 57 }));
    const { user } = await renderApp(fake, 'Activity');
    await user.click(await screen.findByRole('button', { name: 'Verify chain' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Chain broken at record 57:/);
  });

  it('shows an error with a retry when the log cannot be read', async () => {
    let fail = true;
    const fake = new FakeBridge().respond('audit', () => (fail ? refused('audit_unavailable', 'The audit log cannot be read.') : ok([auditRecord(1)])));
    const { user } = await renderApp(fake, 'Activity');
    expect((await screen.findByRole('alert')).textContent).toContain('The audit log cannot be read.');
    fail = false;
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('table')).toBeTruthy();
  });
});

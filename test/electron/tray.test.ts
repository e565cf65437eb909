import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { iconFile, TrayIcon } from '../../electron/tray.ts';
import { type TrayModel, trayModel } from '../../electron/tray-state.ts';
import * as electron from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const ICONS = fileURLToPath(new URL('../../resources/icons/', import.meta.url));

const model = (state: TrayModel['state']): TrayModel => ({
  state,
  tooltip: `Tollgate: ${state}`,
  menu: [
    { kind: 'label', text: 'brave-search: $1.20 / $10.00' },
    { kind: 'separator' },
    { kind: 'action', action: 'open', text: 'Open Tollgate', enabled: true },
    { kind: 'action', action: 'suspend_all', text: 'Suspend all', enabled: false },
    { kind: 'action', action: 'quit', text: 'Quit', enabled: true },
  ],
});

/** Width and height from a PNG's IHDR. */
function pngSize(file: string): [number, number] {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

beforeEach(() => electron.reset());

describe('the tray icon', () => {
  it('has an icon per state at 16 and 32 px, with template variants for macOS', () => {
    for (const state of ['ok', 'warning', 'critical'] as const) {
      for (const platform of ['linux', 'win32', 'darwin'] as const) {
        const file = iconFile(ICONS, state, platform);
        expect(file).toBe(join(ICONS, platform === 'darwin' ? `${state}Template.png` : `${state}.png`));
        expect(pngSize(file)).toEqual([16, 16]);
        expect(pngSize(file.replace(/\.png$/, '@2x.png'))).toEqual([32, 32]);
      }
    }
    expect(existsSync(join(ICONS, 'make-icons.mjs'))).toBe(true);
  });

  it('shows the state, the tooltip and the menu, and turns red for critical', () => {
    const tray = new TrayIcon(ICONS, () => {}, model('ok'));
    const t = electron.Tray.instances[0]!;
    expect(t.image).toEqual({ path: iconFile(ICONS, 'ok') });
    expect(t.tooltip).toBe('Tollgate: ok');
    tray.show(model('critical'));
    expect(t.image).toEqual({ path: iconFile(ICONS, 'critical') });
    expect(t.tooltip).toBe('Tollgate: critical');
  });

  it('turns the menu model into a native menu whose items run the actions', () => {
    const act = vi.fn();
    new TrayIcon(ICONS, act, model('ok'));
    const items = electron.Tray.instances[0]!.menu!.items;
    expect(items.map((i) => ({ label: i.label, type: i.type, enabled: i.enabled }))).toEqual([
      { label: 'brave-search: $1.20 / $10.00', type: undefined, enabled: false },
      { label: undefined, type: 'separator', enabled: undefined },
      { label: 'Open Tollgate', type: undefined, enabled: true },
      { label: 'Suspend all', type: undefined, enabled: false },
      { label: 'Quit', type: undefined, enabled: true },
    ]);
    items[2].click();
    items[4].click();
    expect(act.mock.calls).toEqual([['open'], ['quit']]);
    // A click on the icon itself opens the window where the platform reports one.
    electron.Tray.instances[0]!.emit('click');
    expect(act).toHaveBeenLastCalledWith('open');
  });
});

describe('"Start at login" in the tray menu', () => {
  it('is a checkbox above Quit that shows whether the tray starts at login, and turns it off and on', () => {
    let on = true;
    const set = vi.fn((v: boolean) => { on = v; });
    new TrayIcon(ICONS, () => {}, trayModel({ running: false }), { enabled: () => on, set });
    const menu = () => electron.Tray.instances[0]!.menu!.items;
    expect(menu().map((i) => i.label ?? i.type).slice(-3)).toEqual(['Start at login', 'separator', 'Quit']);
    const item = () => menu().find((i) => i.label === 'Start at login');
    expect(item()).toMatchObject({ type: 'checkbox', checked: true });
    // Electron flips the checkbox before it calls click.
    item().click({ checked: false });
    expect(set).toHaveBeenLastCalledWith(false);
    expect(item().checked).toBe(false);
    // A change that did not take shows as it is.
    set.mockImplementationOnce(() => {});
    item().click({ checked: true });
    expect(item().checked).toBe(false);
  });

  it('is not there where the tray has no login item', () => {
    new TrayIcon(ICONS, () => {}, model('ok'));
    expect(electron.Tray.instances[0]!.menu!.items.some((i) => i.label === 'Start at login')).toBe(false);
  });
});

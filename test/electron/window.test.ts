import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL } from '../../electron/ipc/api.ts';
import { contentSecurityPolicy, CSP, isOwnPage, pageFor, TollgateWindow } from '../../electron/window.ts';
import * as electron from './fake-electron.ts';

vi.mock('electron', () => import('./fake-electron.ts'));

const ROOT = '/opt/tollgate';
const INDEX = join(ROOT, 'out', 'renderer', 'index.html');
const open = async (page = pageFor(ROOT, {})) => {
  const w = new TollgateWindow({ page, preload: '/opt/tollgate/out/preload/preload.cjs', icon: '/icon.png' });
  await w.show();
  return { w, win: electron.BrowserWindow.instances.at(-1)! };
};
const frame = (url: string, parent: unknown = null) => ({ url, parent }) as never;

beforeEach(() => electron.reset());

describe('the window', () => {
  it('isolates and sandboxes its page, with no Node and only our preload', async () => {
    const { win } = await open();
    expect(win.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/opt/tollgate/out/preload/preload.cjs',
    });
    expect(win.loaded).toBe(`file:${INDEX}`);
  });

  it('denies navigation, new windows, webviews and every permission', async () => {
    const { win } = await open();
    for (const event of ['will-navigate', 'will-attach-webview']) {
      const e = { preventDefault: vi.fn() };
      win.webContents.emit(event, e, { url: 'https://evil.example/' });
      expect(e.preventDefault).toHaveBeenCalled();
    }
    expect(win.webContents.windowOpenHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const granted = vi.fn();
    electron.defaultSession.permissionRequest!({}, 'media', granted);
    expect(granted).toHaveBeenCalledWith(false);
    expect(electron.defaultSession.permissionCheck!({}, 'notifications')).toBe(false);
  });

  it('serves every response with a strict CSP: our own files only, no inline script, no eval', async () => {
    await open();
    const done = vi.fn();
    electron.defaultSession.headersListener!({ responseHeaders: { 'content-type': ['text/html'] } }, done);
    expect(done).toHaveBeenCalledWith({ responseHeaders: { 'content-type': ['text/html'], 'Content-Security-Policy': [CSP] } });
    expect(CSP).toContain("default-src 'self'");
    expect(CSP).toContain("script-src 'self';");
    expect(CSP).toContain("object-src 'none'");
    expect(CSP).not.toMatch(/unsafe-eval|unsafe-inline|https?:|\*/);
    // The dev server needs its inline React Refresh preamble and HMR socket, and nothing remote.
    const dev = contentSecurityPolicy({ url: 'http://localhost:5173/' });
    expect(dev.match(/script-src/g)).toHaveLength(1);
    expect(dev).toContain('connect-src \'self\' ws://localhost:5173');
    expect(dev).not.toContain('unsafe-eval');
  });

  it('loads the dev server only from this machine', () => {
    expect(pageFor(ROOT, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' })).toEqual({ url: 'http://localhost:5173/' });
    expect(pageFor(ROOT, { ELECTRON_RENDERER_URL: 'https://evil.example/' })).toEqual({ file: INDEX });
  });

  it('trusts only the top frame of our own page', async () => {
    const w = new TollgateWindow({ page: { file: INDEX }, preload: '', icon: '' });
    const own = pathToFileURL(INDEX).href;
    expect(w.trusts(frame(own))).toBe(true);
    expect(w.trusts(frame(`${own}#/alerts`))).toBe(true);
    expect(w.trusts(frame(own, frame(own)))).toBe(false);
    expect(w.trusts(frame(pathToFileURL('/tmp/evil.html').href))).toBe(false);
    expect(w.trusts(frame('https://evil.example/'))).toBe(false);
    expect(w.trusts(null)).toBe(false);
    expect(isOwnPage({ url: 'http://localhost:5173/' }, 'http://localhost:5173/src/main.tsx')).toBe(true);
    expect(isOwnPage({ url: 'http://localhost:5173/' }, 'http://localhost:5174/')).toBe(false);
  });

  it('is one window, opened on an alert when asked, and created again after it was closed', async () => {
    const { w, win } = await open();
    await w.show(12);
    expect(electron.BrowserWindow.instances).toHaveLength(1);
    expect(win.webContents.sent).toEqual([{ channel: EVENT_CHANNEL, args: [{ type: 'show_alert', id: 12 }] }]);
    win.destroy();
    expect(w.current).toBeNull();
    await w.show();
    expect(electron.BrowserWindow.instances).toHaveLength(2);
  });
});

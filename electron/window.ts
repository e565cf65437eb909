// The Tollgate window, set up per Electron's security checklist: an isolated, sandboxed page with
// no Node, only our own page loaded (no navigation, no new windows, no permissions), a strict
// CSP, and a way for the IPC handlers to tell our page from anything else.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserWindow, type Session, type WebFrameMain, type WebPreferences } from 'electron';
import { EVENT_CHANNEL, type MainEvent } from './ipc/api.ts';

/** The built page on disk, or the dev server's URL (electron-vite dev). */
export type Page = { file: string } | { url: string };

/** The page to load: the dev server's when `electron-vite dev` names one on this machine, else the build. */
export function pageFor(root: string, env: NodeJS.ProcessEnv = process.env): Page {
  const dev = env.ELECTRON_RENDERER_URL;
  // Never a remote page: the window's page may call main.
  if (dev && URL.canParse(dev) && ['localhost', '127.0.0.1', '[::1]'].includes(new URL(dev).hostname)) return { url: dev };
  return { file: join(root, 'out', 'renderer', 'index.html') };
}

// The same policy as renderer/index.html's meta tag (both apply), plus what only a header can say.
const POLICY: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'font-src': "'self'",
  'connect-src': "'none'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

const policy = (directives: Record<string, string>): string => Object.entries(directives).map(([k, v]) => `${k} ${v}`).join('; ');

/** Only our own files: no remote content, no inline script, no eval, no plugins, no framing. */
export const CSP = policy(POLICY);

export function contentSecurityPolicy(page: Page): string {
  if ('file' in page) return CSP;
  // The dev server injects React Refresh's inline preamble and talks HMR over a websocket.
  const ws = new URL(page.url);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  return policy({ ...POLICY, 'script-src': "'self' 'unsafe-inline'", 'connect-src': `'self' ${ws.origin}` });
}

export function webPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

/** Whether `url` is our page: the built index.html itself, or a page of the dev server. */
export function isOwnPage(page: Page, url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if ('file' in page) return u.protocol === 'file:' && u.pathname === pathToFileURL(page.file).pathname;
  return u.origin === new URL(page.url).origin;
}

/** Every response gets the CSP; every permission (camera, notifications, …) is refused. */
export function hardenSession(session: Session, csp: string): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** At most one window, created when the operator opens it and destroyed when closed. */
export class TollgateWindow {
  private readonly page: Page;
  private readonly preload: string;
  private readonly icon: string;
  private window: BrowserWindow | null = null;
  private opening: Promise<BrowserWindow> | null = null;
  private hardened = false;

  constructor(opts: { page: Page; preload: string; icon: string }) {
    this.page = opts.page;
    this.preload = opts.preload;
    this.icon = opts.icon;
  }

  get current(): BrowserWindow | null {
    return this.window;
  }

  /** Only the top frame of our own page may call main. */
  trusts(frame: WebFrameMain | null): boolean {
    return frame !== null && frame.parent === null && isOwnPage(this.page, frame.url);
  }

  /** Opens (or raises) the window; with an alert id, on that alert. */
  async show(alertId?: number): Promise<void> {
    const win = this.window ?? (await (this.opening ??= this.create().finally(() => { this.opening = null; })));
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    if (alertId !== undefined) this.send({ type: 'show_alert', id: alertId });
  }

  /** Pushes an event to the page, when the window is open. */
  send(e: MainEvent): void {
    if (this.window && !this.window.isDestroyed()) this.window.webContents.send(EVENT_CHANNEL, e);
  }

  private async create(): Promise<BrowserWindow> {
    const win = new BrowserWindow({
      title: 'Tollgate',
      width: 1100,
      height: 760,
      minWidth: 720,
      minHeight: 480,
      show: false,
      autoHideMenuBar: true,
      icon: this.icon,
      webPreferences: webPreferences(this.preload),
    });
    win.on('closed', () => {
      if (this.window === win) this.window = null;
    });
    const contents = win.webContents;
    if (!this.hardened) {
      hardenSession(contents.session, contentSecurityPolicy(this.page));
      this.hardened = true;
    }
    // The page never leaves itself: links and scripts cannot navigate it or open windows.
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    try {
      if ('file' in this.page) await win.loadFile(this.page.file);
      else await win.loadURL(this.page.url);
    } catch (e) {
      win.destroy();
      throw e;
    }
    // The preload holds events sent before the page listens, so a show_alert right after this is kept.
    this.window = win;
    return win;
  }
}

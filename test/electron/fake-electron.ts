// The `electron` module as the tray's main process and preload use it, for tests in plain Node
// (the one part that cannot run here: the Electron binary). Each test file mocks `electron` with
// this module: vi.mock('electron', () => import('./fake-electron.ts')); reset() between tests.
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

type Fn = (...args: any[]) => any;

export const ipcMain = {
  handlers: new Map<string, Fn>(),
  handle(channel: string, fn: Fn) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, fn);
  },
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  },
};

export const dialog = {
  /** What the operator clicks: the index of the button. */
  answer: 0,
  shown: [] as { parent: unknown; options: any }[],
  async showMessageBox(a: any, b?: any) {
    const [parent, options] = b === undefined ? [null, a] : [a, b];
    this.shown.push({ parent, options });
    return { response: this.answer, checkboxChecked: false };
  },
};

export class Notification extends EventEmitter {
  static instances: Notification[] = [];
  static isSupported = () => true;
  readonly options: { title: string; body: string; urgency?: string; timeoutType?: string };
  shown = false;
  closed = false;
  constructor(options: Notification['options']) {
    super();
    this.options = options;
    Notification.instances.push(this);
  }
  show() {
    this.shown = true;
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }
}

export class Tray extends EventEmitter {
  static instances: Tray[] = [];
  image: unknown;
  tooltip = '';
  menu: { items: any[] } | null = null;
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    Tray.instances.push(this);
  }
  setImage(image: unknown) {
    this.image = image;
  }
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setContextMenu(menu: { items: any[] }) {
    this.menu = menu;
  }
  destroy() {
    this.destroyed = true;
  }
}

export const Menu = { buildFromTemplate: (items: any[]) => ({ items }) };
export const nativeImage = { createFromPath: (path: string) => ({ path }) };

class FakeSession {
  headersListener: Fn | null = null;
  permissionRequest: Fn | null = null;
  permissionCheck: Fn | null = null;
  webRequest = { onHeadersReceived: (fn: Fn) => { this.headersListener = fn; } };
  setPermissionRequestHandler(fn: Fn) {
    this.permissionRequest = fn;
  }
  setPermissionCheckHandler(fn: Fn) {
    this.permissionCheck = fn;
  }
}

export const defaultSession = new FakeSession();

class FakeWebContents extends EventEmitter {
  session = defaultSession;
  sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: Fn | null = null;
  setWindowOpenHandler(fn: Fn) {
    this.windowOpenHandler = fn;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args });
  }
}

export class BrowserWindow extends EventEmitter {
  static instances: BrowserWindow[] = [];
  readonly options: any;
  readonly webContents = new FakeWebContents();
  loaded: string | null = null;
  visible = false;
  destroyed = false;
  constructor(options: any) {
    super();
    this.options = options;
    BrowserWindow.instances.push(this);
  }
  async loadFile(file: string) {
    this.loaded = `file:${file}`;
  }
  async loadURL(url: string) {
    this.loaded = url;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  show() {
    this.visible = true;
  }
  focus() {}
  isDestroyed() {
    return this.destroyed;
  }
  destroy() {
    this.destroyed = true;
    this.emit('closed');
  }
}

export const app = {
  quit: vi.fn(),
  on: vi.fn(),
  once: vi.fn(),
  /** The login item Windows keeps, by the executable and arguments it runs. */
  loginItems: new Map<string, boolean>(),
  getLoginItemSettings(o: { path: string; args: string[] }) {
    return { openAtLogin: this.loginItems.get([o.path, ...o.args].join(' ')) ?? false };
  },
  setLoginItemSettings(o: { openAtLogin: boolean; path: string; args: string[] }) {
    this.loginItems.set([o.path, ...o.args].join(' '), o.openAtLogin);
  },
};

export const contextBridge = {
  exposed: new Map<string, any>(),
  exposeInMainWorld(key: string, api: unknown) {
    this.exposed.set(key, api);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoked: [] as { channel: string; args: unknown[] }[],
  async invoke(channel: string, ...args: unknown[]) {
    this.invoked.push({ channel, args });
    return { ok: true, value: channel };
  },
});

export function reset(): void {
  ipcMain.handlers.clear();
  dialog.answer = 0;
  dialog.shown = [];
  Notification.instances = [];
  Tray.instances = [];
  BrowserWindow.instances = [];
  Object.assign(defaultSession, { headersListener: null, permissionRequest: null, permissionCheck: null });
  contextBridge.exposed.clear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoked = [];
  app.quit.mockReset();
  app.loginItems.clear();
}

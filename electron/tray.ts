// The tray icon and its menu, drawn from a TrayModel (tray-state.ts).
import { join } from 'node:path';
import { Menu, type MenuItemConstructorOptions, nativeImage, Tray } from 'electron';
import type { LoginItem } from './login-item.ts';
import type { TrayAction, TrayModel, TrayState } from './tray-state.ts';

/** The icon file of a state: macOS shows template images (shape only; it colours them itself). */
export function iconFile(iconsDir: string, state: TrayState, platform: NodeJS.Platform = process.platform): string {
  // Loading `name.png` also picks up `name@2x.png` on high-density screens.
  return join(iconsDir, platform === 'darwin' ? `${state}Template.png` : `${state}.png`);
}

export class TrayIcon {
  private readonly tray: Tray;
  private readonly iconsDir: string;
  private readonly act: (action: TrayAction) => void;
  /** Shown as the menu's "Start at login" checkbox, when given. */
  private readonly loginItem: LoginItem | null;
  private state: TrayState | null = null;
  private model: TrayModel;

  constructor(iconsDir: string, act: (action: TrayAction) => void, initial: TrayModel, loginItem: LoginItem | null = null) {
    this.iconsDir = iconsDir;
    this.act = act;
    this.loginItem = loginItem;
    this.model = initial;
    this.tray = new Tray(nativeImage.createFromPath(iconFile(iconsDir, initial.state)));
    // Where the platform reports a click on the icon itself (Windows, macOS), it opens the window.
    this.tray.on('click', () => act('open'));
    this.show(initial);
  }

  show(model: TrayModel): void {
    this.model = model;
    if (model.state !== this.state) {
      this.tray.setImage(nativeImage.createFromPath(iconFile(this.iconsDir, model.state)));
      this.state = model.state;
    }
    this.tray.setToolTip(model.tooltip);
    // Linux applies menu changes only through a new setContextMenu, so the menu is rebuilt each time.
    const items = model.menu.map((e): MenuItemConstructorOptions => {
      switch (e.kind) {
        case 'label': return { label: e.text, enabled: false };
        case 'separator': return { type: 'separator' };
        case 'action': return { label: e.text, enabled: e.enabled, click: () => this.act(e.action) };
      }
    });
    if (this.loginItem) {
      const login = this.loginItem;
      // Above the last group (Quit), with the other things the operator does.
      const at = items.findLastIndex((i) => i.type === 'separator');
      items.splice(at < 0 ? items.length : at, 0, {
        type: 'checkbox',
        label: 'Start at login',
        checked: login.enabled(),
        // Drawn again from what the platform then says, in case the change did not take.
        click: (item) => {
          login.set(item.checked);
          this.show(this.model);
        },
      });
    }
    this.tray.setContextMenu(Menu.buildFromTemplate(items));
  }

  destroy(): void {
    this.tray.destroy();
  }
}

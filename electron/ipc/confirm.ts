// The native confirmation of a change, raised by main (the page cannot fake or skip it). Only the
// change handlers (handlers.ts) call it, each right after the operator's click that asked for it.
import { type BrowserWindow, dialog, type MessageBoxOptions } from 'electron';
import type { ChangeDescription } from '../../daemon/client/changes.ts';

/** The confirm button names the action: the title up to its first colon ("Resume brave-search", "Approve a new integration"). */
export const actionLabel = (c: ChangeDescription): string => c.title.split(':')[0]!.trim();

export function messageBox(c: ChangeDescription): MessageBoxOptions {
  return {
    type: c.widens ? 'warning' : 'question',
    title: 'Tollgate',
    message: c.title,
    detail: c.details.join('\n'),
    buttons: ['Cancel', actionLabel(c)],
    // Enter and Escape both cancel: only a deliberate click on the action confirms it.
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
}

/** A confirm function for createHandlers: shows the change over `parent()` (when open) and resolves true only on the action button. */
export function dialogConfirm(parent: () => BrowserWindow | null): (c: ChangeDescription) => Promise<boolean> {
  return async (c) => {
    const win = parent();
    const options = messageBox(c);
    const { response } = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
    return response === 1;
  };
}

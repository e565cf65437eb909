// What any part of the window may ask of the app shell: go to a page, reload what it shows,
// or report that the daemon is gone.
import { createContext, useContext } from 'react';

export const PAGES = [
  { id: 'overview', label: 'Overview' },
  { id: 'integrations', label: 'Integrations' },
  { id: 'sessions', label: 'Sessions' },
  { id: 'activity', label: 'Activity' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'proposals', label: 'Proposals' },
  { id: 'settings', label: 'Settings' },
] as const;

export type Page = (typeof PAGES)[number]['id'];

export interface AppControls {
  /** Bumped whenever main says something changed: every loader reloads on it. */
  version: number;
  refresh(): void;
  navigate(page: Page): void;
  daemonDown(): void;
}

export const AppContext = createContext<AppControls | null>(null);

export function useApp(): AppControls {
  const controls = useContext(AppContext);
  if (!controls) throw new Error('useApp outside <App>');
  return controls;
}

// The daemon's time zone (settings.timeZone), in which the window shows moments as the CLI does.
import { api } from './api.ts';
import { useLoad } from './hooks.ts';

/** Undefined until the settings have loaded (moments read in this machine's zone meanwhile). */
export function useDaemonTimeZone(): string | undefined {
  const loaded = useLoad(() => api.settings(), []);
  return loaded.status === 'ready' ? loaded.value.timeZone : undefined;
}

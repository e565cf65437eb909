import type { DaemonState } from '../../electron/ipc/api.ts';
import { PAGES, type Page } from '../app-context.ts';

export function Nav({ page, daemon, onNavigate }: { page: Page; daemon: DaemonState | null; onNavigate(page: Page): void }) {
  return (
    <nav className="nav" aria-label="Tollgate">
      <p className="brand">Tollgate</p>
      <ul>
        {PAGES.map((p) => (
          <li key={p.id}>
            <a
              href={`#${p.id}`}
              aria-current={p.id === page ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                onNavigate(p.id);
              }}
            >
              {p.label}
            </a>
          </li>
        ))}
      </ul>
      <p className="nav-daemon">{daemon?.running ? `Daemon running${daemon.version ? ` · v${daemon.version}` : ''}` : 'Daemon not running'}</p>
    </nav>
  );
}

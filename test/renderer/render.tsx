import { cleanup, render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach } from 'vitest';
import { App } from '../../renderer/App.tsx';
import { FakeBridge } from './fake-bridge.ts';

// Vitest runs without globals here, so Testing Library cannot register its own cleanup.
afterEach(cleanup);

/** The whole window over a fake bridge, on `page` once the daemon check has answered. */
export async function renderApp(fake = new FakeBridge(), page?: string) {
  window.tollgate = fake.bridge;
  const user = userEvent.setup();
  render(<App />);
  if (page) await user.click(await screen.findByRole('link', { name: page }));
  return { fake, user };
}

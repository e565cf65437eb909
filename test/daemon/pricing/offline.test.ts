// The price dataset is read from the package as installed: importing it and looking prices up
// opens no connection and resolves no name (genai-prices can fetch newer data, only when its
// remote update is set up, which Tollgate never does). Its own file, so that nothing has loaded
// the package before the spies are in place.
import dns from 'node:dns';
import net from 'node:net';
import { expect, it, vi } from 'vitest';

it('imports the dataset and looks up every provider\'s prices without touching the network', async () => {
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  const connect = vi.spyOn(net.Socket.prototype, 'connect');
  const lookup = vi.spyOn(dns, 'lookup');
  const resolve = vi.spyOn(dns.promises, 'lookup');
  const { DATASET_PROVIDERS, pricesFor, priceSource } = await import('../../../daemon/pricing/prices.ts');
  for (const provider of DATASET_PROVIDERS) pricesFor(provider);
  pricesFor('anthropic', ['claude-sonnet-4-5', 'claude-haiku-4-5-20251001']);
  expect(priceSource().version).toMatch(/^\d+\.\d+\.\d+/);
  // Give anything scheduled by the import a chance to run.
  await new Promise((r) => setTimeout(r, 50));
  expect(fetchSpy).not.toHaveBeenCalled();
  expect(connect).not.toHaveBeenCalled();
  expect(lookup).not.toHaveBeenCalled();
  expect(resolve).not.toHaveBeenCalled();
});

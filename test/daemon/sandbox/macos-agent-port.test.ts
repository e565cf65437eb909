// On macOS TOLLGATE_AGENT_URL is on the host's loopback (there is no private one): the profile lets
// the forwarder listen on that one port and the command reach it, and nothing else on the network.
// (The token it then checks is tested in forwarder.test.ts; sandbox-exec itself cannot run here.)
import { describe, expect, it } from 'vitest';
import { macosProfile } from '../../../daemon/sandbox/macos.ts';

describe('the macOS sandbox profile, with the agent port', () => {
  const base = { agentSocket: '/Users/ada/tg/run/sessions/abc.sock', work: ['/Users/ada/project'], tmp: '/private/var/folders/T/x', hidden: ['/Users/ada/tg'] };

  it('allows binding and reaching localhost:<port> only, after denying the network', () => {
    const profile = macosProfile({ ...base, agentPort: 49152 });
    const lines = profile.split('\n');
    expect(lines).toContain('(allow network-bind network-inbound (local ip "localhost:49152"))');
    expect(lines).toContain('(allow network-outbound (remote ip "localhost:49152"))');
    expect(profile.indexOf('localhost:49152')).toBeGreaterThan(profile.indexOf('(deny network*)'));
    expect(profile.match(/\(allow network/g)).toHaveLength(3); // the port twice, the socket once
  });

  it('without a port, allows no IP at all', () => {
    expect(macosProfile(base)).not.toContain('ip "');
  });
});

// `tollgate service install | uninstall | status`: the daemon started at login (daemon/service/).
import { spawnSync } from 'node:child_process';
import { homedir, userInfo } from 'node:os';
import type { Command } from 'commander';
import { ControlClient } from '../client/control-client.ts';
import { PROJECT_ROOT } from '../install.ts';
import { resolvePaths } from '../paths.ts';
import { projectNode } from '../service/daemon-command.ts';
import { installService, type ServiceHost, serviceStatus, uninstallService } from '../service/service.ts';

function host(): ServiceHost {
  return {
    platform: process.platform,
    home: homedir(),
    uid: userInfo().uid,
    env: process.env,
    root: PROJECT_ROOT,
    node: projectNode(PROJECT_ROOT, process.execPath),
    paths: resolvePaths(),
    run(command, args) {
      const r = spawnSync(command, args, { encoding: 'utf8' });
      return { status: r.error ? null : r.status, stdout: r.stdout ?? '', stderr: r.error ? r.error.message : (r.stderr ?? '') };
    },
    out: (line) => console.log(line),
  };
}

export function serviceCommands(program: Command): void {
  const cmd = program.command('service').description('start the daemon at every login: a systemd user unit on Linux, a LaunchAgent on macOS');

  cmd.command('install').description('write the service and start it now (run it again after an update, to point it at the current Node)')
    .action(() => installService(host()));

  cmd.command('uninstall').description('stop the service and remove it: the daemon no longer starts at login')
    .action(() => uninstallService(host()));

  cmd.command('status').description('show whether the service is installed and running, and whether the daemon answers')
    .action(async () => {
      const h = host();
      serviceStatus(h);
      const client = new ControlClient(h.paths.controlSocket, 'cli');
      const answers = await client.isRunning();
      await client.close();
      h.out(`tollgate: the daemon ${answers ? 'answers' : 'does not answer'} on ${h.paths.controlSocket}`);
    });
}

// Shared by the React binding's and the Express example's tests (clients/js has its own,
// with a proxy and restarts).
// Starts a real `parley serve` for a test: loopback, kernel-picked port, a temp data dir.
// PARLEY_BIN names the binary (absolute path; the test script sets it).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LISTENING = /^parley: listening on (\S+):(\d+)$/m;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

export function parleyBin() {
  const bin = process.env.PARLEY_BIN;
  if (!bin) throw new Error('PARLEY_BIN is not set (the parley broker binary)');
  accessSync(bin, constants.X_OK);
  return bin;
}

/**
 * @param {string[]} args extra `parley serve` flags
 * @returns {Promise<{url: string, port: number, dataDir: string, stop: () => Promise<void>}>}
 */
export async function startBroker(args = [], { timeoutMs = 20000 } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  // The broker reads PARLEY_* settings from the environment: keep the caller's out.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PARLEY_')));
  const argv = [parleyBin(), 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...args];
  // With util-linux's setpriv the broker also dies when this process is killed outright.
  const cmd = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv;
  const child = spawn(cmd[0], cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // If the test process ends without stopping it (a crash, a failed before()), take it along.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  exited.then(() => process.off('exit', orphan));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`parley did not listen within ${timeoutMs} ms`)), timeoutMs);
      child.stdout.on('data', (d) => {
        stdout += d;
        const m = LISTENING.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[2]));
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`parley exited (${code ?? signal}) before listening`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, port, dataDir, stop };
  } catch (err) {
    await stop();
    err.message += `\n--- parley stderr ---\n${stderr}`;
    throw err;
  }
}

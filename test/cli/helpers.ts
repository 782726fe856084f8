import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { cli } from '../../src/cli.js';

export interface CliRun { code: number; stdout: string; stderr: string }

/** Runs the CLI in-process with captured output (no TTY) and a clean environment. */
export async function runCli(args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; home?: string; signal?: AbortSignal } = {}): Promise<CliRun> {
  let out = '', err = '';
  const stdout = Object.assign(new Writable({ write(c, _e, cb) { out += c.toString(); cb(); } }), { isTTY: false });
  const stderr = Object.assign(new Writable({ write(c, _e, cb) { err += c.toString(); cb(); } }), { isTTY: false });
  const home = o.home ?? mkdtempSync(join(tmpdir(), 'fd-home-'));
  const code = await cli(args, { stdout, stderr, env: o.env ?? { PATH: process.env.PATH }, cwd: o.cwd ?? process.cwd(), home, ...(o.signal ? { signal: o.signal } : {}) });
  return { code, stdout: out, stderr: err };
}

export function tmpFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fd-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

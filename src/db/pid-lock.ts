import { randomUUID } from "node:crypto";
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";

/** A lock taken (`release` gives it back), or the pid of the live process that holds it. */
export type PidLock = { readonly release: () => void } | { readonly owner: number };

/**
 * Takes the lock file `file` for this process, taking over one left by a process that no longer
 * runs. The file appears with the pid already in it (written under another name, then
 * hard-linked into place, which fails if `file` exists): created with `wx` and then written, a
 * reader could see it empty between the two, read a dead owner, remove it and take the lock
 * too. That happened to two `npm test` runs setting up the same compatibility projects.
 */
export function takePidLock(file: string): PidLock {
  for (let attempt = 0; ; attempt++) {
    if (createWithPid(file)) return { release: () => rmSync(file, { force: true }) };
    const owner = readOwner(file);
    if (owner !== undefined && isRunning(owner)) return { owner };
    // Gone (or released meanwhile): take it over, at most a few times if others race for it.
    if (attempt >= 3) return { owner: owner ?? 0 };
    if (owner !== undefined) rmSync(file, { force: true });
  }
}

function createWithPid(file: string): boolean {
  const temp = `${file}.${process.pid}-${randomUUID()}`;
  writeFileSync(temp, String(process.pid));
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

function readOwner(file: string): number | undefined {
  try {
    return Number(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

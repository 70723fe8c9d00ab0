import { loadConfigFile, type ConfigIssue } from './load.ts';
import type { FirebreakConfig } from './schema.ts';

/**
 * Holds the live configuration. Reload keeps the last good config when the file is invalid, so a
 * typo pushed at 3 a.m. never takes the running service down.
 */
export class ConfigStore {
  private listeners: ((config: FirebreakConfig) => void)[] = [];

  constructor(
    public current: FirebreakConfig,
    readonly path: string | null,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  reload(): { ok: true } | { ok: false; issues: ConfigIssue[] } {
    if (!this.path) return { ok: true };
    const result = loadConfigFile(this.path, this.env);
    if (!result.ok) return result;
    this.current = result.config;
    for (const l of this.listeners) l(result.config);
    return { ok: true };
  }

  onChange(listener: (config: FirebreakConfig) => void) {
    this.listeners.push(listener);
  }
}

import { api } from '../api/client.ts';
import type { ServiceView, SeverityDefinition, Severity } from '../api/types.ts';
import { useAsync } from './use-async.ts';

/**
 * Severities and services come from the server's configuration and change only on a reload of
 * it: read once per sign-in and shared by every page.
 */
let severities: Promise<SeverityDefinition[]> | null = null;
let services: Promise<ServiceView[]> | null = null;

export function forgetConfigData(): void {
  severities = null;
  services = null;
}

export function useSeverities() {
  return useAsync(() => {
    severities ??= api.severities().then((r) => r.data, (e: unknown) => ((severities = null), Promise.reject(e)));
    return severities;
  }, 'severities');
}

export function useServices() {
  return useAsync(() => {
    services ??= api.services().then((r) => r.data, (e: unknown) => ((services = null), Promise.reject(e)));
    return services;
  }, 'services');
}

/** The plan's names, used until (or if) /severities answers. */
export const SEVERITY_NAMES: Record<Severity, string> = { P0: 'Critical', P1: 'High', P2: 'Medium', P3: 'Low' };
export const SEVERITY_LEVELS: Severity[] = ['P0', 'P1', 'P2', 'P3'];

import type { StatusPageConfig, TemplatePhase } from '../../config/statuspage-schema.ts';

/** The public facts a template may use (see TEMPLATE_PLACEHOLDERS): nothing internal. */
export interface TemplateValues {
  organisation: string;
  /** Names of the affected components, or a neutral phrase when none is mapped. */
  components: string;
  started_at: string;
  status_url: string;
}

/**
 * Fills `{{placeholder}}`s. Values are inserted as plain text: the page, feeds and emails escape
 * everything they print, so a component name like "<b>" shows as written and runs nowhere.
 * Unknown placeholders cannot occur (the config refuses them), but are left as written if they do.
 */
export function fillTemplate(text: string, values: TemplateValues): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as keyof TemplateValues] : whole));
}

/** The values for an incident: its affected components' names and start, in the page's zone. */
export function templateValues(page: StatusPageConfig, organisation: string, componentIds: string[], startedAt: number): TemplateValues {
  const names = componentIds.map((id) => page.components.find((c) => c.id === id)?.name).filter((n): n is string => !!n);
  const started = new Intl.DateTimeFormat('en-GB', { timeZone: page.time_zone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(new Date(startedAt));
  return { organisation, components: names.length ? joinNames(names) : 'some of our services', started_at: started, status_url: page.url };
}

const joinNames = (names: string[]) => (names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`);

/** The name and body templates for a phase, filled. */
export function draftFromTemplates(page: StatusPageConfig, phase: TemplatePhase, values: TemplateValues): { name: string; body: string } {
  return { name: fillTemplate(page.templates.name, values), body: fillTemplate(page.templates[phase], values) };
}

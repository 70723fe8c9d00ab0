import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * The browser tests' shared parts: Debian's Chromium (never a downloaded browser), the skip or
 * failure when it is missing, where screenshots go, and a page that records console errors.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = `${ROOT}test-artifacts`;
export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 900 };

/** Why a browser suite is skipped (false: it runs). CI sets FIREBREAK_REQUIRE_BROWSER=1 so a missing browser fails the run. */
export function browserSkip(suite: string): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.FIREBREAK_REQUIRE_BROWSER === '1') throw new Error(`FIREBREAK_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
  const why = `${suite} SKIPPED: ${CHROMIUM} not found (apt-get install -y chromium)`;
  process.stderr.write(`\n*** ${why} ***\n\n`);
  return why;
}

/** Headless Chromium with the flags a shared CI machine needs; screenshots' directory made. */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

/**
 * A fresh context (its own cookies) and page, kept in `contexts` for closing after the test, with
 * console errors and page errors recorded; `ignore` matches errors that are expected (a refused
 * request logs "Failed to load resource").
 */
export async function openPage(browser: Browser, contexts: BrowserContext[], viewport: { width: number; height: number }, ignore: RegExp): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && !ignore.test(m.text()) && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** Opens `url` (the console redirects to its sign-in form), signs in, and waits for the console's main navigation. */
export async function signInAt(page: Page, url: string, handle: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Handle').fill(handle);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

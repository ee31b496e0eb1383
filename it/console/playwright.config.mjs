// Playwright for the console's browser tests (run by dev.nest.it.ConsoleIT, which starts a node and passes
// NEST_URL and NEST_TOKEN). The browser is the system's Chromium (Debian's chromium package), never a download.
import { defineConfig } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default defineConfig({
  testDir: '.',
  testMatch: process.env.NEST_CONSOLE_SPEC || '*.spec.mjs',
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  outputDir: join(process.env.NEST_CONSOLE_RESULTS || tmpdir(), 'nest-console-results'),
  use: {
    baseURL: process.env.NEST_URL,
    browserName: 'chromium',
    viewport: { width: 1366, height: 800 },
    trace: 'off',
    launchOptions: {
      executablePath: process.env.NEST_CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});

// Builds the web console into the folder given as the first argument (Maven passes target/classes/console, so the
// jar carries it under console/). Installs the locked dependencies first when node_modules does not match
// package-lock.json (npm ci), runs the console's unit tests (test/, node --test), then bundles src/main.js and src/app.css with esbuild into assets/ with content
// hashes in their names, and writes index.html naming them. No network at run time: everything comes from npm.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, '../../../target/classes/console'));

function lockHash() {
  return createHash('sha256').update(readFileSync(join(here, 'package-lock.json'))).digest('hex');
}

const stamp = join(here, 'node_modules', '.nest-lock-sha256');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lockHash()) {
  console.log('console: npm ci (node_modules does not match package-lock.json)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here, stdio: 'inherit' });
  writeFileSync(stamp, lockHash());
}

// the console's own unit tests (pure modules: the event-stream parser, the zip writer) gate the bundle
execFileSync(process.execPath, ['--test', '--test-reporter=dot', 'test/'], { cwd: here, stdio: 'inherit' });

const esbuild = await import('esbuild');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: { main: 'src/main.js', app: 'src/app.css' },
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  entryNames: '[name]-[hash]',
  outdir: join(out, 'assets'),
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.entries(result.metafile.outputs);
const asset = (entry, ext) => {
  const found = outputs.find(([file, meta]) => meta.entryPoint === entry && file.endsWith(ext));
  if (!found) throw new Error(`console: esbuild wrote no ${ext} for ${entry}`);
  return 'assets/' + found[0].split('/').pop();
};
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace('%MAIN_JS%', asset('src/main.js', '.js'))
  .replace('%APP_CSS%', asset('src/app.css', '.css'));
writeFileSync(join(out, 'index.html'), html);
copyFileSync(join(here, 'src/favicon.svg'), join(out, 'favicon.svg'));
console.log(`console: built into ${out} (${outputs.length} bundled files)`);

// The admin API as the node describes it (GET /api/v1/openapi.json, fetched with the token): every operation with
// the roles it needs, and the document itself to download.
import { api } from './api.js';
import { h, clear, table } from './dom.js';
import { loading, guarded } from './ui.js';

export async function apiPage(root) {
  const body = h('div', {}, loading('the OpenAPI document'));
  clear(root, h('h1', {}, 'Admin API'), body);
  await guarded(body, async () => {
    const doc = await api('/api/v1/openapi.json');
    const rows = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        rows.push([h('code', {}, method.toUpperCase()), h('code', {}, path), op.summary || '',
          op['x-nest-roles'] ? op['x-nest-roles'].join(', ') : (op['x-nest-access'] || '')]);
      }
    }
    const blob = new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' });
    clear(body,
      h('p', {}, `${doc.info.title} ${doc.info.version}, OpenAPI ${doc.openapi}: ${rows.length} operations. `,
        h('a', { href: URL.createObjectURL(blob), download: 'nest-openapi.json' }, 'Download openapi.json')),
      table(['Method', 'Path', 'What', 'Roles'], rows, 'Operations'));
  });
}

// Shared pieces of the pages: error boxes with the API's message, loading and "not on this node" states.
import { ApiError } from './api.js';
import { h } from './dom.js';

export function errorBox(e) {
  const box = h('div', { class: 'error', role: 'alert' });
  if (e instanceof ApiError) {
    box.append(h('strong', {}, e.error), e.detail ? ' ' + e.detail : '', e.status ? h('small', {}, ` (HTTP ${e.status})`) : '');
  } else {
    box.append(h('strong', {}, 'Something went wrong'), ' ', String((e && e.message) || e));
  }
  return box;
}

export function loading(what) {
  return h('p', { class: 'muted loading' }, `Loading ${what}...`);
}

export function unavailable(what) {
  return h('div', { class: 'notice unavailable', role: 'status' },
    h('strong', {}, `${what} is not available on this node`),
    ' (the node answered 404 for its API route: it runs a Nest version without it).');
}

/** Runs f(); shows its error in box (replacing box's content) and returns undefined when it fails. */
export async function guarded(box, f) {
  try {
    return await f();
  } catch (e) {
    if (e && e.name === 'AbortError') return undefined;
    box.replaceChildren(errorBox(e));
    return undefined;
  }
}

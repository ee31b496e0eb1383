// The admin API as the console calls it: every call sends the signed-in token as Authorization: Bearer; an error
// answer becomes an ApiError with the API's own {"error", "detail"} so the page can show what to change.
const KEY = 'nest.token';

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail ? `${error}: ${detail}` : error);
    this.status = status;
    this.error = error;
    this.detail = detail || '';
  }
}

export const session = {
  token: () => sessionStorage.getItem(KEY),
  signIn: (t) => sessionStorage.setItem(KEY, t),
  signOut: () => sessionStorage.removeItem(KEY),
  onUnauthorized: () => {},
};

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
}

export function fnPath(ns, name, rest = '') {
  return `/api/v1/functions/${encodeURIComponent(name)}${rest}${qs({ namespace: ns })}`;
}

async function errorOf(res) {
  let error = `${res.status} ${res.statusText}`;
  let detail = '';
  try {
    const body = await res.json();
    if (body && body.error) { error = body.error; detail = body.detail || ''; }
  } catch { /* not JSON */ }
  return new ApiError(res.status, error, detail);
}

/** Calls the API; returns the parsed JSON (or null for an empty answer). */
export async function api(path, { method = 'GET', body, headers = {}, token = session.token(), signal, raw } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = 'Bearer ' + token;
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof ArrayBuffer) && !(body instanceof Uint8Array)) {
    payload = JSON.stringify(body);
    h['Content-Type'] = 'application/json';
  }
  let res;
  try {
    res = await fetch(path, { method, body: payload, headers: h, signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'the node did not answer', String(e.message || e));
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && token === session.token()) session.onUnauthorized(err);
    throw err;
  }
  if (raw) return res;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** The same call, but a 404 (a route this node does not have yet) answers null instead of throwing. */
export async function optional(path, options) {
  try {
    return await api(path, options);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.error === 'no such endpoint') return null;
    throw e;
  }
}

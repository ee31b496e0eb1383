// The console's shell: sign-in, the header and the hash router (#/, #/fn/NS/NAME/TAB, #/ide/NS/NAME, #/new).
import { api, session, ApiError } from './api.js';
import { h, clear, field } from './dom.js';
import { functionList, functionPage } from './functions.js';
import { ide, newFunction } from './ide.js';
import { errorBox } from './ui.js';
import { apiPage } from './apidoc.js';

const app = document.getElementById('app');
let leave = () => {};

function signIn(message) {
  leave();
  session.signOut();
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, placeholder: 'nest_...', spellcheck: 'false' });
  const status = h('div', { class: 'status', 'aria-live': 'assertive' }, message ? errorBox(message) : '');
  const form = h('form', {
    class: 'signin card',
    'aria-label': 'Sign in',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const t = token.value.trim();
      clear(status, h('span', { class: 'muted' }, 'Checking the token...'));
      try {
        await api('/api/v1/functions', { token: t });
        session.signIn(t);
        route();
      } catch (e) {
        clear(status, errorBox(e.status === 401
          ? new ApiError(401, 'This token was not accepted', e.detail || 'check that it is complete and not revoked or expired')
          : e));
      }
    },
  },
  h('h1', {}, 'Nest console'),
  h('p', { class: 'muted' }, 'Sign in with a Nest token (nest token create NAME --role developer). It is kept in this browser tab only.'),
  field('Token', token),
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  status);
  clear(app, h('main', { class: 'center' }, form));
  token.focus();
}

session.onUnauthorized = (e) => signIn(new ApiError(401, 'Your token is no longer accepted', e.detail));

function shell(content, crumbs) {
  const nav = h('nav', { 'aria-label': 'Main' },
    h('a', { href: '#/', class: 'brand' }, 'Nest'),
    h('a', { href: '#/' }, 'Functions'),
    h('a', { href: '#/new' }, 'New function'),
    h('a', { href: '#/api' }, 'API'),
    h('span', { class: 'spacer' }),
    h('button', { type: 'button', class: 'link', onclick: () => { session.signOut(); signIn(); } }, 'Sign out'));
  clear(app, h('header', { class: 'top' }, nav), h('main', { id: 'main' }, crumbs ? h('div', { class: 'crumbs' }, crumbs) : null, content));
}

export function route() {
  leave();
  leave = () => {};
  if (!session.token()) { signIn(); return; }
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const content = h('div', { class: 'page' });
  shell(content);
  const setLeave = (f) => { leave = f; };
  try {
    if (parts[0] === 'fn' && parts[2]) functionPage(content, parts[1], parts[2], parts[3] || 'overview', setLeave);
    else if (parts[0] === 'ide' && parts[2]) ide(content, parts[1], parts[2], setLeave);
    else if (parts[0] === 'new') newFunction(content);
    else if (parts[0] === 'api') apiPage(content);
    else functionList(content);
  } catch (e) {
    content.append(errorBox(e));
  }
}

window.addEventListener('hashchange', route);
route();

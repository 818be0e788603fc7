/**
 * The hub UI: a hash router over views, the sign-in gate, and the refresh loop of the page being shown.
 * Views are modules exporting `show(main, params, page)`; `page.every(ms, fn)` refreshes while the view is
 * shown and stops when the person leaves it.
 */
import { ApiError, offers, token } from './api.js';
import { announce, field, h, replace } from './dom.js';

const ROUTES = [
  [/^\/tracebacks\/([^/]+)$/, () => import('./views/traceback.js'), ['id']],
  [/^\/(tracebacks)?$/, () => import('./views/tracebacks.js'), []],
  [/^\/trace$/, () => import('./views/start.js'), []],
  [/^\/campaigns\/(.+)$/, () => import('./views/campaign.js'), ['name']],
  [/^\/campaigns$/, () => import('./views/campaigns.js'), []],
  [/^\/providers$/, () => import('./views/providers.js'), []],
  [/^\/manual$/, () => import('./views/manual-pending.js'), []],
  [/^\/dno$/, () => import('./views/dno.js'), []],
];

const main = document.getElementById('main');
let leave = () => {};

/** `#/tracebacks?status=open` → { path: '/tracebacks', query: URLSearchParams } */
function location() {
  const raw = window.location.hash.replace(/^#/, '') || '/tracebacks';
  const [path, q] = raw.split('?');
  return { path, query: new URLSearchParams(q ?? '') };
}

async function route(focus) {
  leave();
  const timers = [];
  leave = () => timers.forEach(clearInterval);
  if (!token.get()) return signIn();
  document.getElementById('sign-out').hidden = false;
  const { path, query } = location();
  markCurrent(path);
  const found = ROUTES.find(([re]) => re.test(path));
  if (!found) {
    replace(main, h('h1', { tabindex: -1 }, 'No such page'), h('p', {}, h('a', { href: '#/tracebacks' }, 'Go to the tracebacks')));
    return focusHeading(focus);
  }
  const [re, load, names] = found;
  const m = path.match(re);
  const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
  const page = {
    query,
    every(ms, fn) {
      timers.push(setInterval(() => fn().catch(failed), ms));
    },
    stopRefresh: () => timers.forEach(clearInterval),
  };
  try {
    const view = await load();
    await view.show(main, params, page);
    focusHeading(focus);
  } catch (err) {
    failed(err);
  }
}

function failed(err) {
  if (err instanceof ApiError && err.status === 401) {
    token.clear();
    return signIn(`The hub refused the token: ${err.message}.`);
  }
  leave();
  replace(main, h('h1', { tabindex: -1 }, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, err.message ?? String(err)));
}

function focusHeading(focus) {
  if (focus) main.querySelector('h1')?.focus();
}

function markCurrent(path) {
  for (const a of document.querySelectorAll('nav a')) {
    const target = a.getAttribute('href').slice(1);
    if (path === target || path.startsWith(`${target}/`) || (target === '/tracebacks' && path === '/')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function signIn(problem) {
  document.getElementById('sign-out').hidden = true;
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'card', onsubmit: (e) => {
      e.preventDefault();
      token.set(input.value.trim());
      announce('Signed in');
      void start(true);
    } },
    field('API token', input, 'A bearer token from `hoptrace-hub token create`. It is kept for this browser tab only.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  replace(main, h('h1', { tabindex: -1 }, 'Sign in to the hub'), problem ? h('p', { class: 'error', role: 'alert' }, problem) : null, form);
  input.focus();
}

/** `focus`: move the focus to the new page's heading (not on the first load: the skip link comes first). */
async function start(focus) {
  // Optional parts show in the menu only when this hub offers them.
  document.getElementById('nav-dno').hidden = !(token.get() && (await offers('/v1/dno')));
  await route(focus);
}

// A link may carry the token in its fragment (the demo prints one): take it, then drop it from the address bar.
const fromLink = window.location.hash.match(/^#token=([^&]+)/);
if (fromLink) {
  token.set(decodeURIComponent(fromLink[1]));
  history.replaceState(null, '', `${window.location.pathname}#/tracebacks`);
}
// The skip link's #main would read as a route: move the focus instead.
document.querySelector('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
document.getElementById('sign-out').addEventListener('click', () => {
  token.clear();
  announce('Signed out');
  leave();
  signIn();
});
window.addEventListener('hashchange', () => void route(true));
void start(false);

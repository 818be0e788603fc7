/** Start a traceback: the call as the terminating provider saw it, and that provider. A refused field is marked and focused. */
import { api, ApiError } from '../api.js';
import { announce, field, h, replace } from '../dom.js';

/** API field path → the input that holds it. */
const FIELDS = { 'call.calling': 'calling', 'call.called': 'called', 'call.at': 'at', firstProvider: 'first', campaign: 'campaign', windowSec: 'window' };

export async function show(main) {
  const providers = await api('/v1/providers').then((r) => r.providers.filter((p) => !p.provisional), () => []);
  const input = (id, attrs = {}) => h('input', { id, name: id, autocomplete: 'off', ...attrs });
  const first = providers.length
    ? h('select', { id: 'first', name: 'first', required: true }, providers.map((p) => h('option', { value: p.id }, `${p.name} (${p.id})`)))
    : input('first', { required: true });
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'card', novalidate: true, onsubmit: (e) => submit(e, form, problem) },
    field('Calling number', input('calling', { required: true, inputmode: 'tel' }), 'As it arrived, e.g. +13125550117 (it may be spoofed).'),
    field('Called number', input('called', { required: true, inputmode: 'tel' }), 'E.164, e.g. +12025550143.'),
    field('Time of the call', input('at', { required: true, value: new Date().toISOString().slice(0, 19) + 'Z' }), 'ISO 8601 in UTC, e.g. 2026-11-28T11:59:30Z.'),
    field('Terminating provider', first, 'The provider that delivered the call: it is asked first.'),
    field('Campaign (optional)', input('campaign'), 'Groups tracebacks of one robocall campaign.'),
    field('Search window, seconds (optional)', input('window', { inputmode: 'numeric' }), 'How far from the time each provider searches; default 120.'),
    h('button', { type: 'submit' }, 'Start traceback'),
  );
  replace(main, h('h1', { tabindex: -1 }, 'Start a trace'), problem, form);
}

async function submit(e, form, problem) {
  e.preventDefault();
  const v = (id) => form.querySelector(`#${id}`).value.trim();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  problem.hidden = true;
  const body = { call: { calling: v('calling'), called: v('called'), at: v('at') }, firstProvider: v('first') };
  if (v('campaign')) body.campaign = v('campaign');
  if (v('window')) body.windowSec = Number(v('window'));
  try {
    const started = await api('/v1/tracebacks', { method: 'POST', body });
    announce('Traceback started');
    window.location.hash = `#/tracebacks/${encodeURIComponent(started.id)}`;
  } catch (err) {
    problem.textContent = `Not started: ${err.message}`;
    problem.hidden = false;
    const bad = err instanceof ApiError && FIELDS[err.path] ? form.querySelector(`#${FIELDS[err.path]}`) : null;
    if (bad) {
      bad.setAttribute('aria-invalid', 'true');
      bad.focus();
    }
  }
}

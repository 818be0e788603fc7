/**
 * The page a provider's person opens from a manual-hop link: one question about one case, answered without an
 * account. A traceback asks who handed a call over; a trace forward (hub/forward/) asks who a call-back number is
 * assigned to, so its wording and choices are its own while the answer it sends has the same shape. The link
 * token travels in the URL fragment, which browsers never send to a server or put in a Referer, and from here only
 * in the `Authorization: Manual` header (hub/api/manual.ts), never in a path an access log would record.
 */
import { api } from './api.js';
import { announce, field, h, replace } from './dom.js';
import { utc } from './format.js';

const main = document.getElementById('main');
const linkToken = decodeURIComponent(window.location.hash.slice(1));
const path = '/v1/manual/question';
const auth = `Manual ${linkToken}`;

async function start() {
  if (!linkToken) return stop('This page needs the link you were sent: it ends in a long code after “#”.');
  let q;
  try {
    q = await api(path, { auth });
  } catch (err) {
    return stop(`This link cannot be answered: ${err.message}.`);
  }
  render(q);
}

/**
 * What the page says for each kind of case. The answers are the hop answer's results: a trace forward's
 * `originated` is "assigned to our customer", `upstream` is "ported to another provider".
 */
const WORDING = {
  traceback: {
    title: (name) => `Traceback request for ${name}`,
    intro: (q) => `A traceback of a suspected illegal robocall has reached ${q.provider.name}${q.askedBy ? `: ${q.askedBy} says it received the call from you` : ''}. Please look the call up in your records and answer by ${utc(q.deadline)}.`,
    choices: [
      ['upstream', 'Another provider handed it to us'],
      ['originated', 'Our own customer placed it (we originated it)'],
      ['not_found', 'We have no record of this call'],
    ],
    upstreamLegend: 'Who handed it to you',
  },
  forward: {
    title: (name) => `Trace forward request for ${name}`,
    intro: (q) => `A suspected scam call asked people to call back ${q.number}, a number ${q.askedBy ? `${q.askedBy} says was ported to you` : 'that the hub’s number blocks place with you'}. Please look the number up in your records and answer by ${utc(q.deadline)}.`,
    choices: [
      ['originated', 'It is assigned to our customer'],
      ['upstream', 'It was ported to another provider'],
      ['not_found', 'It is not ours (we do not hold this number)'],
    ],
    upstreamLegend: 'Which provider holds it now',
  },
};

function stop(text) {
  replace(main, h('h1', { tabindex: -1 }, 'Traceback request'), h('p', { class: 'error', role: 'alert' }, text));
}

function render(q) {
  const say = q.number ? WORDING.forward : WORDING.traceback;
  const radio = (value, label, checked) =>
    h('div', { class: 'choice' }, h('input', { type: 'radio', id: `result-${value}`, name: 'result', value, checked, onchange: sync }), h('label', { for: `result-${value}` }, label));
  const upstreamSelect = h('select', { id: 'upstream-id', name: 'upstream-id' }, h('option', { value: '' }, '— not in this list —'), q.providers.map((p) => h('option', { value: p.id }, `${p.name} (${p.id})`)));
  const upstreamName = h('input', { id: 'upstream-name', name: 'upstream-name', autocomplete: 'organization' });
  const upstream = h(
    'fieldset',
    { id: 'upstream-fields' },
    h('legend', {}, say.upstreamLegend),
    field('Provider', upstreamSelect),
    field('Or its name, if it is not listed', upstreamName),
  );
  const customer = h(
    'fieldset',
    { id: 'customer-fields', hidden: true },
    h('legend', {}, 'Your customer (as you may disclose it)'),
    field('Account', h('input', { id: 'customer-account', name: 'customer-account', autocomplete: 'off' })),
    field('Name', h('input', { id: 'customer-name', name: 'customer-name', autocomplete: 'off' })),
  );
  const problem = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h(
    'form',
    { class: 'card', onsubmit: submit },
    h('fieldset', {}, h('legend', {}, q.question), say.choices.map(([value, label], i) => radio(value, label, i === 0))),
    upstream,
    customer,
    h(
      'fieldset',
      {},
      h('legend', {}, 'You'),
      field('Your name', h('input', { id: 'answered-name', name: 'answered-name', required: true, autocomplete: 'name' })),
      field('Your e-mail (optional)', h('input', { id: 'answered-email', name: 'answered-email', type: 'email', autocomplete: 'email' })),
      field('Note (optional)', h('textarea', { id: 'note', name: 'note', rows: 3, maxlength: 512 })),
    ),
    h('button', { type: 'submit' }, 'Send answer'),
  );
  replace(
    main,
    h('h1', { tabindex: -1 }, say.title(q.provider.name)),
    h('p', {}, say.intro(q)),
    h(
      'dl',
      { class: 'facts' },
      q.number && [h('dt', {}, 'Call-back number'), h('dd', {}, q.number)],
      h('dt', {}, 'Calling number'), h('dd', {}, q.call.calling),
      h('dt', {}, 'Called number'), h('dd', {}, q.call.called),
      h('dt', {}, 'Time'), h('dd', {}, `${utc(q.call.at)} (± ${q.call.windowSec} s)`),
      h('dt', {}, q.number ? 'Trace forward' : 'Traceback'), h('dd', {}, h('code', {}, q.traceback)),
    ),
    problem,
    form,
  );
  sync();
  main.querySelector('h1').focus();

  function sync() {
    const result = form.querySelector('input[name=result]:checked').value;
    upstream.hidden = result !== 'upstream';
    customer.hidden = result !== 'originated';
  }

  async function submit(e) {
    e.preventDefault();
    const v = (id) => form.querySelector(`#${id}`).value.trim();
    const result = form.querySelector('input[name=result]:checked').value;
    const body = { result, answeredBy: { name: v('answered-name'), ...(v('answered-email') && { email: v('answered-email') }) } };
    if (result === 'upstream') body.upstream = v('upstream-id') ? { providerId: v('upstream-id') } : v('upstream-name') ? { name: v('upstream-name') } : undefined;
    if (result === 'originated' && (v('customer-account') || v('customer-name'))) body.customer = { ...(v('customer-account') && { account: v('customer-account') }), ...(v('customer-name') && { name: v('customer-name') }) };
    if (v('note')) body.note = v('note');
    try {
      await api(path, { method: 'POST', body, auth });
    } catch (err) {
      problem.textContent = `Not sent: ${err.message}${err.path ? ` (${err.path})` : ''}`;
      problem.hidden = false;
      problem.focus?.();
      return;
    }
    replace(main, h('h1', { tabindex: -1 }, 'Thank you'), h('p', { role: 'status' }, 'Your answer was recorded and signed by the hub on your behalf. The case continues from it; this link now answers nothing more.'));
    main.querySelector('h1').focus();
    announce('Answer sent');
  }
}

void start();

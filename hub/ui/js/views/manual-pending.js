/** Manual hops waiting for a person (admin): who is asked, their contact, the deadline, and the answer page to send them. */
import { api, ApiError } from '../api.js';
import { h, replace, table } from '../dom.js';
import { shortId, utc } from '../format.js';

export async function show(main, _params, page) {
  const body = h('div');
  replace(main, h('h1', { tabindex: -1 }, 'Manual hops'), h('p', {}, 'Providers without an agent answer by hand through a link. Send each link to the provider’s contact; it opens a page that asks one question about one call.'), body);
  let shown;
  const load = async () => {
    let pending;
    try {
      ({ pending } = await api('/v1/manual'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return replace(body, h('p', {}, 'Only an admin token may list the manual hops.'));
      throw err;
    }
    // Links are signed afresh on every request: redraw only when the hops change, not the links.
    const seen = pending.map((p) => `${p.caseId}:${p.provider}:${p.deadline}`).join();
    if (seen === shown) return;
    shown = seen;
    replace(
      body,
      pending.length
        ? table(
            `${pending.length} hop(s) waiting for a person`,
            ['Traceback', 'Provider', 'Contact', 'Answer by', 'Answer page'],
            pending.map((p) => [
              h('a', { href: `#/tracebacks/${encodeURIComponent(p.caseId)}` }, shortId(p.caseId)),
              p.provider,
              [p.contact?.email, p.contact?.phone].filter(Boolean).join(', ') || '—',
              utc(p.deadline),
              // The hub hands out the answer page's link, the token in its fragment (never sent to a server).
              h('a', { href: p.url, class: 'answer-link' }, `Answer page for ${p.provider}`),
            ]),
          )
        : h('p', {}, 'No hop is waiting for a person.'),
    );
  };
  await load();
  page.every(3000, load);
}

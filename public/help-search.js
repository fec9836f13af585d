// The help search in the browser. Every page has a plain GET search form (it works without
// JavaScript: the server's results page). This script makes it answer as one types: the first
// time the box is used it loads the search's own small wasm module and the index the server
// built (its address names its version, so the browser keeps it), then every keystroke is
// answered by the wasm, with no request. The form says `data-search="local"` once that holds.

let engine = null;

/** How long the box must rest on a question that found nothing before it counts as a gap. */
const GAP_PAUSE_MS = 1500;

function load() {
  if (!engine) {
    engine = (async () => {
      const mod = await import('/help-search/help_search_web.js');
      await mod.default({ module_or_path: '/help-search/help_search_web_bg.wasm' });
      const response = await fetch('/help-index', { credentials: 'same-origin' });
      if (!response.ok) throw new Error(`help index: ${response.status}`);
      return new mod.HelpIndex(new Uint8Array(await response.arrayBuffer()));
    })();
  }
  return engine;
}

function marked(runs) {
  const out = document.createDocumentFragment();
  for (const run of runs) {
    if (run.mark) {
      const mark = document.createElement('mark');
      mark.textContent = run.text;
      out.append(mark);
    } else {
      out.append(document.createTextNode(run.text));
    }
  }
  return out;
}

function attach(form) {
  const input = form.querySelector('input[type="search"]');
  if (!input) return;
  const panel = document.createElement('div');
  panel.className = 'search-popup';
  panel.id = `${input.id}-answers`;
  panel.hidden = true;
  panel.setAttribute('role', 'region');
  panel.setAttribute('aria-label', 'Answers as you type');
  const status = document.createElement('p');
  status.className = 'sr-only';
  status.setAttribute('role', 'status');
  form.append(panel, status);
  input.setAttribute('aria-controls', panel.id);

  let index = null;
  const links = () => [...panel.querySelectorAll('a')];

  // A question that finds nothing is a gap in the help centre the shop should fill. Once the
  // buyer stops typing on it, it is sent to the server's search (one request per such question,
  // never per keystroke), which records it as a gap if it finds nothing either.
  const reported = new Set();
  let gapTimer = null;
  function reportGap(query) {
    clearTimeout(gapTimer);
    gapTimer = setTimeout(() => {
      const words = query.trim().replace(/\s+/g, ' ');
      if (words.length < 3 || reported.has(words) || input.value.trim().replace(/\s+/g, ' ') !== words) return;
      reported.add(words);
      fetch('/api/search_help', {
        method: 'POST',
        credentials: 'same-origin',
        keepalive: true,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: words }),
      }).catch(() => {});
    }, GAP_PAUSE_MS);
  }

  function render() {
    if (!index) return;
    const query = input.value;
    if (!query.trim()) {
      panel.hidden = true;
      panel.replaceChildren();
      status.textContent = '';
      return;
    }
    const results = JSON.parse(index.search(query, 6));
    const list = document.createElement('ol');
    list.className = 'help-results';
    const q = encodeURIComponent(query.trim());
    for (const result of results) {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `/help/${encodeURIComponent(result.slug)}?q=${q}`;
      link.append(marked(result.question));
      const snippet = document.createElement('p');
      snippet.append(marked(result.snippet));
      item.append(link, snippet);
      list.append(item);
    }
    const all = document.createElement('p');
    all.className = 'all-results';
    clearTimeout(gapTimer);
    if (results.length === 0) {
      reportGap(query);
      all.textContent = 'No answer matches yet. Press Enter to search everything, or try other words.';
    } else {
      const more = document.createElement('a');
      more.href = `/help/search?q=${q}`;
      more.textContent = 'All results';
      all.append(more);
    }
    panel.replaceChildren(...(results.length ? [list] : []), all);
    panel.hidden = false;
    status.textContent = results.length
      ? `${results.length} answer${results.length === 1 ? '' : 's'} found.`
      : 'No answers found.';
  }

  function start() {
    load()
      .then((loaded) => {
        index = loaded;
        form.dataset.search = 'local';
        render();
      })
      .catch(() => {
        // The server's results page still answers the form.
        form.dataset.search = 'server';
      });
  }

  input.addEventListener('focus', start, { once: true });
  input.addEventListener('input', () => {
    if (!index) start();
    render();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && !panel.hidden && links().length) {
      event.preventDefault();
      links()[0].focus();
    } else if (event.key === 'Escape') {
      panel.hidden = true;
    }
  });
  panel.addEventListener('keydown', (event) => {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.key === 'ArrowDown' && at >= 0 && at < all.length - 1) {
      event.preventDefault();
      all[at + 1].focus();
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      if (at > 0) all[at - 1].focus();
      else input.focus();
    } else if (event.key === 'Escape') {
      panel.hidden = true;
      input.focus();
    }
  });
  document.addEventListener('click', (event) => {
    if (!form.contains(event.target)) panel.hidden = true;
  });
  form.addEventListener('focusin', () => {
    if (input.value.trim() && index) panel.hidden = false;
  });
}

document.querySelectorAll('form.help-search').forEach(attach);

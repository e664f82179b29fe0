// embed.html?widget=NAME&...state: one widget alone, for sites that can only use an iframe. The
// rest of the query string is the widget's own state (the same keys as its attributes).
import '../../styles/page.css';
import { WIDGET_NAMES, tagName, defineWidget } from '../widgets/index.js';
import { showCoreStatus } from './core-status.js';

showCoreStatus();

const main = document.getElementById('main');
const name = new URLSearchParams(location.search).get('widget');

if (name && WIDGET_NAMES.includes(name)) {
  defineWidget(name);
  const el = document.createElement(tagName(name));
  el.dataset.widget = name;
  el.setAttribute('url-key', '');
  main.replaceChildren(el);
  document.title = `${name} · attnlab`;
} else {
  const p = document.createElement('p');
  p.setAttribute('role', 'status');
  p.textContent = name ? `There is no widget called “${name}”. Choose one of these:` : 'Choose a widget to show on its own:';
  const ul = document.createElement('ul');
  for (const w of WIDGET_NAMES) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `?widget=${w}`;
    a.textContent = w;
    li.append(a);
    ul.append(li);
  }
  main.replaceChildren(p, ul);
}

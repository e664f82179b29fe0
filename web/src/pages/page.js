// Entry of every lesson page: page styles, KaTeX's stylesheet (its fonts are bundled; the math itself
// was rendered at build time), the math classes of this site, the widgets this page shows, and the
// core status.
import 'katex/dist/katex.min.css';
import 'virtual:attn-math.css';
import '../../styles/page.css';
import { defineWidgetsIn } from '../widgets/index.js';
import { showCoreStatus } from './core-status.js';

defineWidgetsIn(document);
showCoreStatus();

// A small static file server for the built site (npm start) and the browser tests.
//
//   node scripts/serve.mjs [DIR]     serves DIR (default dist/site) on http://localhost:PORT/
//   env PORT (default 8080; 0 picks a free port), HOST (default 127.0.0.1)
//
// The tests import serve() to start one on a free port, optionally under a sub-path and with extra
// headers (e.g. a strict Content-Security-Policy).
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

// root: folder to serve; base: URL prefix it appears under ('/' or '/sub/path/');
// headers: added to every response. Resolves to { server, url, close() }.
export async function serve({ root, port = 0, host = '127.0.0.1', base = '/', headers = {} }) {
  const top = resolve(root);
  const prefix = base.endsWith('/') ? base : `${base}/`;
  const server = createServer(async (req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (!path.startsWith(prefix)) {
      // The bare sub-path without its slash: redirect so relative asset paths resolve.
      if (`${path}/` === prefix) {
        res.writeHead(301, { location: prefix, ...headers });
        return res.end();
      }
      return send(404, 'not found\n');
    }
    let file = normalize(join(top, path.slice(prefix.length)));
    if (file !== top && !file.startsWith(top + sep)) return send(403, 'forbidden\n');
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        if (!path.endsWith('/')) {
          res.writeHead(301, { location: `${path}/`, ...headers });
          return res.end();
        }
        file = join(file, 'index.html');
        info = await stat(file);
      }
      res.writeHead(200, {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
        ...headers,
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(404, 'not found\n');
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, ok);
  });
  const address = server.address();
  const shown = host === '127.0.0.1' || host === '::1' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: address.port,
    url: `http://${shown}:${address.port}${prefix}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? 'dist/site';
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? '127.0.0.1';
  try {
    const info = await stat(join(root, 'index.html'));
    if (!info.isFile()) throw new Error();
  } catch {
    console.error(`serve: ${root}/index.html not found; build the site first (npm run build)`);
    process.exit(1);
  }
  try {
    const { url } = await serve({ root, port, host });
    console.log(`attnlab: serving ${root} at ${url}  (Ctrl+C to stop)`);
  } catch (e) {
    if (e.code === 'EADDRINUSE') console.error(`serve: port ${port} is in use; choose another with PORT=8081 npm start`);
    else console.error(`serve: ${e.message}`);
    process.exit(1);
  }
}

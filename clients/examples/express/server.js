// A minimal Express backend next to a Parley broker (docs/embedding.md):
//   POST /token                    a chat token for the logged-in user
//   POST /rooms                    {title?, members[]}: a room with the user and `members`,
//                                  plus a system message announcing it
//   PUT  /rooms/:room/members/:user  adds a member (the room's creator only, in this demo)
// Run: PARLEY_URL=http://127.0.0.1:8080 PARLEY_JWT_SECRET=… PARLEY_API_KEY=… node server.js
import express from 'express';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ParleyApiError, ParleyServerApi, tokenMinter } from './parley.js';

/**
 * Demo login: the user id comes from the `X-Demo-User` header. Replace it with your own
 * session (express-session, passport, your auth proxy …): anything that says who is logged in.
 * Parley trusts whatever `sub` this backend signs, so this is the one place to get right.
 */
export function demoAuthenticate(req) {
  const user = req.get('x-demo-user');
  return user ? { id: user, name: user } : null;
}

/**
 * @param {object} opts
 * @param {(user: string, name?: string) => {token: string, expiresAt: number}} opts.mintToken
 * @param {ParleyServerApi} opts.parley
 * @param {(req) => ({id: string, name?: string} | null)} [opts.authenticate]
 */
export function createApp({ mintToken, parley, authenticate = demoAuthenticate }) {
  const app = express();
  app.use(express.json({ limit: '16kb' }));

  // Rooms created here, and by whom; a real app keeps this (and who may manage a room) in its DB.
  const creators = new Map();

  app.use((req, res, next) => {
    req.user = authenticate(req);
    if (!req.user) return res.status(401).json({ error: 'log in first' });
    next();
  });

  // The browser's SDK calls this whenever it needs a token (first connect, refresh before
  // `exp`, reconnect after 4001). POST + no-store: never cached, never a plain link.
  app.post('/token', (req, res) => {
    res.set('cache-control', 'no-store');
    res.json(mintToken(req.user.id, req.user.name));
  });

  app.post('/rooms', async (req, res, next) => {
    try {
      const { title, members = [] } = req.body ?? {};
      if (!Array.isArray(members) || members.some((m) => typeof m !== 'string')) {
        return res.status(400).json({ error: 'members must be a list of user ids' });
      }
      // Your rules go here (are these users friends? is the title allowed? …).
      const all = [...new Set([req.user.id, ...members])];
      const { room } = await parley.createRoom({ members: all, admins: [req.user.id], title });
      creators.set(room, req.user.id);
      // A system message: from a sender that is no member, so it counts as unread for everyone.
      // The cid makes the post idempotent: a retry after a timeout cannot post it twice.
      await parley.postMessage(room, {
        from: 'system',
        kind: 'system',
        cid: `created:${room}`,
        body: `${req.user.name ?? req.user.id} created ${title ? `"${title}"` : 'this conversation'}`,
      });
      res.status(201).json({ room });
    } catch (err) {
      next(err);
    }
  });

  app.put('/rooms/:room/members/:user', async (req, res, next) => {
    try {
      if (creators.get(req.params.room) !== req.user.id) return res.status(403).json({ error: 'not your room' });
      const ack = await parley.addMember(req.params.room, req.params.user);
      await parley.postMessage(req.params.room, {
        from: 'system',
        kind: 'system',
        cid: `added:${req.params.room}:${ack.seq}`,
        body: `${req.user.name ?? req.user.id} added ${req.params.user}`,
      });
      res.json(ack);
    } catch (err) {
      next(err);
    }
  });

  // Broker errors keep their status when they are the client's fault (409 already a member,
  // 404 no such room, 400); anything else is the backend's problem: 502.
  app.use((err, req, res, _next) => {
    if (err instanceof ParleyApiError && err.status >= 400 && err.status < 500 && err.status !== 401) {
      return res.status(err.status).json({ error: err.code });
    }
    console.error(err);
    res.status(502).json({ error: 'chat unavailable' });
  });

  return app;
}

/** The configuration from the environment (the broker's own variable names where they exist). */
export function configFromEnv(env = process.env) {
  const alg = env.PARLEY_JWT_ALG ?? 'HS256';
  return {
    mintToken: tokenMinter({
      alg,
      secret: env.PARLEY_JWT_SECRET,
      privateKey: env.PARLEY_JWT_PRIVATE_KEY_FILE ? readFileSync(env.PARLEY_JWT_PRIVATE_KEY_FILE, 'utf8') : undefined,
      ttlSeconds: Number(env.PARLEY_TOKEN_TTL ?? 3600),
      audience: env.PARLEY_JWT_AUDIENCE,
      issuer: env.PARLEY_JWT_ISSUER,
    }),
    parley: new ParleyServerApi({ baseUrl: env.PARLEY_URL ?? 'http://127.0.0.1:8080', apiKey: env.PARLEY_API_KEY }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000);
  const server = createApp(configFromEnv()).listen(port, '127.0.0.1', () => {
    console.log(`example: listening on 127.0.0.1:${server.address().port}`);
  });
}

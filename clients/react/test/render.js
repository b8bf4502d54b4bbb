// Renders a hook inside a <ParleyProvider> with react-test-renderer (no DOM needed) and lets
// a test wait, with a deadline, for a rendered value that satisfies a predicate. Waiting is
// driven by React's commits, never by sleeping.
import { StrictMode, createElement, useLayoutEffect } from 'react';
import TestRenderer from 'react-test-renderer';
import { ParleyProvider } from '../dist/index.js';

const { act } = TestRenderer;

export async function renderHook(client, useHook, { timeoutMs = 10000, strict = false } = {}) {
  const watchers = new Set();
  const rendered = { value: undefined, commits: 0 };

  function Probe() {
    const value = useHook();
    useLayoutEffect(() => {
      rendered.value = value;
      rendered.commits++;
      for (const w of [...watchers]) w(value);
    });
    return null;
  }

  let root;
  await act(async () => {
    const tree = createElement(ParleyProvider, { client }, createElement(Probe));
    root = TestRenderer.create(strict ? createElement(StrictMode, null, tree) : tree);
  });

  return {
    get current() {
      return rendered.value;
    },
    /** Runs `fn` (which may update state) inside act, and returns its result. */
    async act(fn) {
      let out;
      await act(async () => {
        out = await fn(rendered.value);
      });
      return out;
    },
    /** Resolves with the first committed value (the current one included) for which `pred`
     *  holds; rejects after `ms` with `what` and the last value. */
    waitFor(pred, what, ms = timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (v) => {
          let ok = false;
          try {
            ok = pred(v);
          } catch {
            ok = false;
          }
          if (ok) {
            clearTimeout(timer);
            watchers.delete(check);
            resolve(v);
          }
          return ok;
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`timed out after ${ms} ms waiting for ${what}; last value: ${describe(rendered.value)}`));
        }, ms);
        watchers.add(check);
        check(rendered.value);
      });
    },
    async unmount() {
      await act(async () => root.unmount());
    },
  };
}

function describe(v) {
  try {
    return JSON.stringify(v, (k, x) => (k === 'room' && x && typeof x === 'object' ? '[Room]' : x)).slice(0, 2000);
  } catch {
    return String(v);
  }
}

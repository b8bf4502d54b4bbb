// The demo chat page in a real browser: two users (two browser contexts) sign in, start a
// conversation, chat, see typing, read receipts and presence, edit and delete; one of them
// loses the network, misses messages, types one offline (shown pending) and comes back.
// Run by run.sh, which starts the broker and sets PARLEY_URL.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.PARLEY_URL;
const CONTROL = process.env.PARLEY_BROKER_CONTROL; // run.sh's broker supervisor: stop | start
const OUT = process.env.PARLEY_TEST_OUTPUT || 'build/test-output';
const WAIT = 10_000;      // ordinary UI waits
const RECONNECT = 25_000; // a reconnect: the page's backoff is at most 5 s

let browser;
const users = {};         // name -> { context, page, errors }

async function openUser(name) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  await page.goto(BASE);
  await page.locator('#signin-name').fill(name);
  await page.locator('#signin-form button[type=submit]').click();
  await page.locator('#me .me-name', { hasText: name }).waitFor();
  await waitFor(page, () => document.querySelector('#me')?.textContent.includes('Online'), 'connected');
  users[name] = { context, page, errors };
  return page;
}

/** Waits until fn() is true in the page; the message names what was awaited. */
async function waitFor(page, fn, what, timeout = WAIT, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 'raf' });
  } catch (e) {
    throw new Error(`timed out waiting for ${what}: ${e.message.split('\n')[0]}`);
  }
}

const message = (page, text) => page.locator('#messages .msg', { hasText: text });
const storedMessage = (page, text) => page.locator('#messages .msg[data-seq]', { hasText: text });
const roomItem = (page, title) => page.locator('#room-list .room', { hasText: title });

async function send(page, text) {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

/** Stops or starts the broker (same address, same data directory); see run.sh. */
async function broker(command) {
  assert.ok(CONTROL, 'PARLEY_BROKER_CONTROL is not set (run tests/browser/run.sh)');
  await fs.promises.appendFile(CONTROL, `${command}\n`);
}

async function shot(page, file) {
  fs.mkdirSync(OUT, { recursive: true });
  const target = path.join(OUT, file);
  await page.screenshot({ path: target });
  return target;
}

describe('demo chat page', () => {
  before(async () => {
    assert.ok(BASE, 'PARLEY_URL is not set (run tests/browser/run.sh)');
    browser = await chromium.launch({
      executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('serves the page at / and signs two users in', async () => {
    const alice = await openUser('Alice Martin');
    const bob = await openUser('Bob Chen');
    assert.equal(await alice.title(), 'Parley');
    await alice.locator('.list-empty').waitFor();
    await bob.locator('.list-empty').waitFor();
  });

  it('starts a conversation and delivers messages both ways with unread badges', async () => {
    const alice = users['Alice Martin'].page;
    const bob = users['Bob Chen'].page;
    await alice.locator('#new-chat').click();
    await alice.locator('#new-people').fill('Bob Chen');
    await alice.locator('#new-submit').click();
    await alice.locator('#chat-head h2', { hasText: 'Bob Chen' }).waitFor();
    await alice.locator('#new-dialog').waitFor({ state: 'hidden' });

    await send(alice, 'Hi Bob! Did you see the launch notes?');
    await storedMessage(alice, 'Hi Bob!').waitFor();
    await send(alice, 'They went out this morning.');
    await storedMessage(alice, 'went out this morning').waitFor();
    // Two messages from one sender within minutes form one group.
    assert.equal(await alice.locator('#messages .group.mine').count(), 1);
    await alice.locator('#messages .receipt', { hasText: 'Sent' }).waitFor();

    // Bob's list shows the new conversation with two unread messages.
    const item = roomItem(bob, 'Alice Martin');
    await item.locator('.badge', { hasText: '2' }).waitFor();
    assert.match(await item.locator('.room-preview').innerText(), /went out this morning/);
    await item.click();
    await storedMessage(bob, 'Hi Bob!').waitFor();
    await storedMessage(bob, 'went out this morning').waitFor();
    await item.locator('.badge').waitFor({ state: 'detached' });

    // Alice sees that Bob read them.
    await alice.locator('#messages .receipt.seen').waitFor();
  });

  it('shows presence and the typing indicator, then the reply', async () => {
    const alice = users['Alice Martin'].page;
    const bob = users['Bob Chen'].page;
    await alice.locator('#chat-head .presence-online').waitFor();
    await alice.locator('#chat-head .chat-sub', { hasText: 'Online' }).waitFor();
    await bob.locator('#chat-head .presence-online').waitFor();

    await bob.locator('#composer-input').pressSequentially('Yes, rea', { delay: 20 });
    await alice.locator('#typing', { hasText: 'Bob is typing' }).waitFor();
    await bob.locator('#composer-input').pressSequentially('d them. Looks great!', { delay: 5 });
    await bob.locator('#composer-input').press('Enter');
    await storedMessage(alice, 'Looks great!').waitFor();
    await waitFor(alice, () => !document.querySelector('#typing').textContent.trim(), 'typing indicator to end');
    await alice.locator('#messages .group.theirs .msg', { hasText: 'Looks great!' }).waitFor();
    await bob.locator('#messages .receipt.seen').waitFor();
  });

  it('edits and deletes a message for everyone', async () => {
    const alice = users['Alice Martin'].page;
    const bob = users['Bob Chen'].page;
    await send(alice, 'Lunch at 12:30?');
    const mine = storedMessage(alice, 'Lunch at 12:30?');
    await mine.waitFor();
    await storedMessage(bob, 'Lunch at 12:30?').waitFor();

    await mine.hover();
    await mine.locator('[data-action=edit]').click();
    await alice.locator('#editing-bar').waitFor();
    await alice.locator('#composer-input').fill('Lunch at 13:00?');
    await alice.locator('#composer-input').press('Enter');
    await bob.locator('#messages .msg', { hasText: 'Lunch at 13:00?' }).locator('.edited').waitFor();
    await alice.locator('#editing-bar').waitFor({ state: 'hidden' });

    await send(alice, 'Oops, wrong chat');
    const oops = storedMessage(alice, 'Oops, wrong chat');
    await oops.waitFor();
    await storedMessage(bob, 'Oops, wrong chat').waitFor();
    await oops.hover();
    await oops.locator('[data-action=delete]').click();
    await alice.locator('#confirm-delete').click();
    await bob.locator('#messages .msg.deleted', { hasText: 'This message was deleted' }).waitFor();
    await message(bob, 'Oops, wrong chat').waitFor({ state: 'detached' });
    await message(alice, 'Oops, wrong chat').waitFor({ state: 'detached' });
  });

  it('goes offline: shows the banner, keeps a message pending, delivers it and the missed ones on reconnect', async () => {
    const { context: bobContext, page: bob } = users['Bob Chen'];
    const alice = users['Alice Martin'].page;

    await bobContext.setOffline(true);
    const banner = bob.locator('#banner');
    await banner.filter({ hasText: 'offline' }).waitFor();

    // Alice keeps writing; Bob cannot receive it.
    await send(alice, 'Are you still there?');
    await storedMessage(alice, 'Are you still there?').waitFor();
    await send(alice, 'Ping me when you are back.');
    await storedMessage(alice, 'Ping me when you are back.').waitFor();

    // Bob writes while offline: shown at once, marked pending, not stored.
    await send(bob, 'Sorry, I was in a tunnel');
    const pending = bob.locator('#messages .msg.pending', { hasText: 'in a tunnel' });
    await pending.waitFor();
    assert.match(await pending.innerText(), /Pending/);
    await banner.filter({ hasText: '1 message will be sent' }).waitFor();
    await roomItem(bob, 'Alice Martin').locator('.room-preview .icon').waitFor();
    assert.equal(await message(bob, 'Are you still there?').count(), 0, 'Bob got a message while offline');
    assert.equal(await message(alice, 'in a tunnel').count(), 0, 'Alice got a message Bob sent offline');
    const shotPath = await shot(bob, 'browser-chat-offline.png');

    await bobContext.setOffline(false);
    await banner.filter({ hasText: 'Back online' }).waitFor({ timeout: RECONNECT });
    await storedMessage(bob, 'Are you still there?').waitFor();
    await storedMessage(bob, 'Ping me when you are back.').waitFor();
    await storedMessage(bob, 'in a tunnel').waitFor();
    await pending.waitFor({ state: 'detached' });
    await storedMessage(alice, 'in a tunnel').waitFor();
    await banner.waitFor({ state: 'hidden' });

    // Order: what Bob missed comes before what he sent after reconnecting, on both sides.
    const seqOf = async (page, text) => Number(await storedMessage(page, text).getAttribute('data-seq'));
    for (const page of [alice, bob]) {
      const missed = await seqOf(page, 'Ping me when you are back.');
      const late = await seqOf(page, 'in a tunnel');
      assert.ok(missed < late, `seq ${missed} < ${late}`);
    }
    await alice.locator('#messages .receipt.seen').waitFor();
    assert.ok(fs.statSync(shotPath).size > 0);
  });

  it('reconnects both users after a broker restart and delivers what was sent meanwhile', async () => {
    const alice = users['Alice Martin'].page;
    const bob = users['Bob Chen'].page;
    await broker('stop');
    for (const page of [alice, bob]) {
      await page.locator('#banner', { hasText: 'Reconnecting' }).waitFor();
      await page.locator('#me .me-status', { hasText: 'Reconnecting' }).waitFor();
    }
    await send(alice, 'Did the server just restart?');
    const pending = alice.locator('#messages .msg.pending', { hasText: 'server just restart' });
    await pending.waitFor();

    // Each page reconnects after its own random back-off: watch both from before the start.
    const back = Promise.all([alice, bob].map((page) =>
      page.locator('#banner', { hasText: 'Back online' }).waitFor({ timeout: RECONNECT })));
    await broker('start');
    await back;
    await pending.waitFor({ state: 'detached' });
    await storedMessage(alice, 'server just restart').waitFor();
    await storedMessage(bob, 'server just restart').waitFor();
    // History written before the restart is still there (same data directory).
    await storedMessage(bob, 'Hi Bob!').waitFor();
    await alice.locator('#messages .receipt.seen').waitFor();
  });

  it('keeps the session and history across a reload', async () => {
    const bob = users['Bob Chen'].page;
    await bob.reload();
    await bob.locator('#me .me-name', { hasText: 'Bob Chen' }).waitFor();
    await storedMessage(bob, 'in a tunnel').waitFor();
    await storedMessage(bob, 'Hi Bob!').waitFor();
    await bob.locator('#messages .day', { hasText: 'Today' }).waitFor();
  });

  it('writes screenshots of both sides', async () => {
    const alice = users['Alice Martin'].page;
    const bob = users['Bob Chen'].page;
    await bob.locator('#composer-input').pressSequentially('See you at 1', { delay: 10 });
    await alice.locator('#typing', { hasText: 'Bob is typing' }).waitFor();
    const file = await shot(alice, 'browser-chat.png');
    assert.ok(fs.statSync(file).size > 10_000, 'screenshot is not empty');
    await shot(bob, 'browser-chat-bob.png');
    await bob.setViewportSize({ width: 390, height: 780 });
    await shot(bob, 'browser-chat-mobile.png');
    const errors = Object.values(users).flatMap((u) => u.errors);
    assert.deepEqual(errors, [], 'uncaught errors in the page');
  });
});

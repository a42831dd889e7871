/** The loopback host in front of the real AppService, as `npm start` and the e2e suite run it. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixtureModel } from '../../scripts/fixtures/cache.ts';
import { startAppHost } from './app-host.ts';
import type { Host } from './server.ts';
import { postApi, rawRequest, rendererFixture } from '../testing/host.ts';

let host: Host;
let dataDir: string;
let removeRenderer: () => Promise<void>;

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'avatar-app-host-'));
  const { rendererDir, remove } = await rendererFixture();
  removeRenderer = remove;
  host = await startAppHost({ dataDir, rendererDir, model: await fixtureModel('turbo'), size: 64 });
});
after(async () => {
  await host?.close();
  await removeRenderer();
  await rm(dataDir, { recursive: true, force: true });
});

const result = (reply: { body: string }) => (JSON.parse(reply.body) as { result: unknown }).result;

test('serves the real api: status, styles and their preview images', async () => {
  const status = await postApi(host, 'app:status', '{}');
  assert.equal(status.status, 200);
  assert.equal((result(status) as { model: { family: string } }).model.family, 'turbo');

  const styles = result(await postApi(host, 'styles:list', '{}')) as { preview: { id: string } }[];
  assert.ok(styles.length > 0);
  const preview = await rawRequest(host, `/image/style/${styles[0]?.preview.id}`);
  assert.equal(preview.status, 200);
  assert.match(String(preview.headers['content-type']), /^image\//);
});

test('the real door refuses malformed requests; unknown ids are NOT_FOUND', async () => {
  const pathLike = await postApi(host, 'runs:avatars', '{"runId":"../../etc"}');
  assert.equal(pathLike.status, 400);
  assert.match(pathLike.body, /"code":"BAD_REQUEST"/);
  assert.equal(
    (await postApi(host, 'runs:start', '{"photos":[],"styleIds":[],"count":99}')).status,
    400,
  );
  assert.equal((await postApi(host, 'runs:avatars', '{"runId":"nope"}')).status, 404);
  assert.equal((await rawRequest(host, '/image/avatar/nope')).status, 404);
  assert.equal((await rawRequest(host, '/', { auth: 'none' })).status, 403);
});

test('refuses to start without a built UI', async () => {
  await assert.rejects(
    startAppHost({ dataDir, rendererDir: path.join(dataDir, 'no-ui') }),
    /not built/,
  );
});

import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { sha256File } from '../models/manifest.ts';
import { serveFolder, writeCatalogFor } from '../testing/model-server.ts';
import { sd15WithEncoder } from '../testing/engine/encoder-exports.ts';
import { tempDataDir } from '../testing/store.ts';
import { models } from '../testing/cli.ts';

const ENCODER = 'vae_encoder/model.onnx';

test('import installs a sampling encoder deterministic, says so, and leaves the source alone', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await sd15WithEncoder('sampling');
  const original = await readFile(path.join(source, ENCODER));
  const originalSha = await sha256File(path.join(source, ENCODER));

  const imported = await models(dataDir, 'import', source, '--link', '--id', 'sampled');
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^imported sampled \(sd15, fp32, [\d.]+ MB\)$/m);
  assert.match(
    imported.stdout,
    new RegExp(
      `^ {2}vae_encoder/model\\.onnx: changed at import: its random sample \\(RandomNormalLike\\) replaced by the distribution's mean and log-variance \\(latent_parameters\\).*sha256 ${originalSha.slice(0, 12)}…, is untouched\\)$`,
      'm',
    ),
  );
  // --link shares unchanged files; the encoder is a new file and the source's is as it was.
  const installed = path.join(dataDir, 'models', 'sampled');
  assert.equal(
    (await stat(path.join(installed, 'unet/model.onnx'))).ino,
    (await stat(path.join(source, 'unet/model.onnx'))).ino,
  );
  assert.notEqual(
    (await stat(path.join(installed, ENCODER))).ino,
    (await stat(path.join(source, ENCODER))).ino,
  );
  assert.deepEqual(await readFile(path.join(source, ENCODER)), original);

  const verified = await models(dataDir, 'verify', 'sampled');
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /^sampled: all \d+ files match$/m);
  assert.match(
    verified.stdout,
    /^ {2}vae_encoder\/model\.onnx: changed at import: .*RandomNormalLike/m,
  );

  const json = await models(dataDir, 'verify', 'sampled', '--json');
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as {
    id: string;
    problems: unknown[];
    changed: { path: string; originalSha256: string; change: string }[];
    rewrittenAtLoad: unknown[];
  };
  assert.equal(report.id, 'sampled');
  assert.deepEqual(report.problems, []);
  assert.deepEqual(
    report.changed.map((c) => [c.path, c.originalSha256]),
    [[ENCODER, originalSha]],
  );
  assert.deepEqual(report.rewrittenAtLoad, []);

  const again = await models(dataDir, 'import', source, '--json');
  assert.equal(again.code, 0, again.stderr);
  const second = JSON.parse(again.stdout) as { id: string; changed: { path: string }[] };
  assert.equal(second.id, 'sd15');
  assert.deepEqual(
    second.changed.map((c) => c.path),
    [ENCODER],
  );
});

test('verify says a catalogue-installed sampling encoder is rewritten in memory at load', async (t) => {
  const dataDir = tempDataDir(t);
  const source = await sd15WithEncoder('sampling');
  const server = await serveFolder(source);
  t.after(() => server.close());
  const catalog = path.join(dataDir, 'catalog.json');
  await writeCatalogFor(catalog, 'sampled', source, server.baseUrl);
  const installed = await models(dataDir, 'install', 'sampled', '--catalog', catalog);
  assert.equal(installed.code, 0, installed.stderr);

  const verified = await models(dataDir, 'verify', 'sampled');
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(
    verified.stdout,
    /^ {2}vae_encoder\/model\.onnx: rewritten in memory at every load \(the file is as installed\): its random sample \(RandomNormalLike\)/m,
  );
});

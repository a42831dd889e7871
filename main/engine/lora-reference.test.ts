/**
 * LoRA through the engine against diffusers itself: the reference kohya LoRA of both tiny models
 * (scripts/fixtures/diffusers-reference/README.md), at scale 0.8, on graphs built from the
 * diffusers folder and from the single-file checkpoint, gives the UNet and text-encoder outputs
 * diffusers computed after fusing it, and `img2img --lora` its img2img latents. Scale 0 is the
 * base model, bit for bit. One session per model serves every LoRA set: no reload between them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  readReferenceF32,
  REFERENCE_DIR,
  referenceCases,
  relativeL2,
  type ReferenceModel,
} from '../testing/graphs/reference.ts';
import { img2img } from '../testing/cli.ts';
import { buildFromCheckpoint, buildFromDiffusers } from '../models/from-weights/build-folder.ts';
import { EngineError } from './errors.ts';
import { loadModel, type SdModel } from './model.ts';
import type { LoraRequest } from './types.ts';

const MODELS = [
  { model: 'sd1-tiny', family: 'sd15' },
  { model: 'sd2-tiny', family: 'turbo' },
] as const;
const SOURCES = ['diffusers', 'checkpoint'] as const;

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'lora-reference-'));
});
after(() => rm(work, { recursive: true, force: true }));

const loraFile = (model: ReferenceModel) =>
  path.join(REFERENCE_DIR, model, 'lora-kohya.safetensors');

async function build(
  model: ReferenceModel,
  family: 'sd15' | 'turbo',
  source: (typeof SOURCES)[number],
): Promise<string> {
  const dir = path.join(work, `${model}-${source}`);
  if (source === 'diffusers')
    await buildFromDiffusers(path.join(REFERENCE_DIR, model, 'diffusers'), dir);
  else
    await buildFromCheckpoint(path.join(REFERENCE_DIR, model, 'checkpoint.safetensors'), dir, {
      family,
    });
  return dir;
}

/** The reference UNet call (batch 2, timesteps 999 and 250), one row per call: a call takes one timestep. */
async function unetOut(model: SdModel, reference: ReferenceModel): Promise<Float32Array> {
  const cases = referenceCases(reference);
  const sample = readReferenceF32(reference, 'unet.sample.f32');
  const context = readReferenceF32(reference, 'unet.encoder_hidden_states.f32');
  const [, sequence] = cases.shapes['unet.encoder_hidden_states'] as number[];
  const each = sample.length / 2;
  const contextEach = context.length / 2;
  const rows: Float32Array[] = [];
  for (const [row, timestep] of (cases.unet_timesteps as number[]).entries()) {
    rows.push(
      await model.unet.predict({
        sample: sample.slice(row * each, (row + 1) * each),
        batch: 1,
        height: 8,
        width: 8,
        timestep,
        encoderHiddenStates: context.slice(row * contextEach, (row + 1) * contextEach),
        sequenceLength: sequence!,
      }),
    );
  }
  const out = new Float32Array(rows[0]!.length * 2);
  rows.forEach((r, i) => out.set(r, i * r.length));
  return out;
}

async function textOut(model: SdModel, reference: ReferenceModel): Promise<Float32Array> {
  const [embedding] = await model.textEncoder.encode([referenceCases(reference).prompt]);
  return embedding!;
}

for (const { model: reference, family } of MODELS) {
  for (const source of SOURCES) {
    describe(`${reference} from its ${source}`, () => {
      let dir: string;
      let model: SdModel;
      before(async () => {
        dir = await build(reference, family, source);
        model = await loadModel({ dir });
      });
      after(() => model.release());
      const use = (loras: LoraRequest[]) => model.loras.select(loras);

      it('gives diffusers’ fused-LoRA UNet and text-encoder outputs at scale 0.8, base ones without', async (t) => {
        const lora = [{ file: loraFile(reference), scale: 0.8 }];
        use(lora);
        const unet = relativeL2(
          await unetOut(model, reference),
          readReferenceF32(reference, 'lora0.8.unet.out.f32'),
        );
        const text = relativeL2(
          await textOut(model, reference),
          readReferenceF32(reference, 'lora0.8.text_encoder.last_hidden_state.f32'),
        );
        use([]);
        const baseUnet = await unetOut(model, reference);
        const base = relativeL2(baseUnet, readReferenceF32(reference, 'unet.out.f32'));
        // Switching back and forth is only a change of feeds: the same numbers each time.
        use(lora);
        const again = relativeL2(
          await unetOut(model, reference),
          readReferenceF32(reference, 'lora0.8.unet.out.f32'),
        );
        t.diagnostic(
          `relative L2: unet ${unet.toExponential(2)}, text ${text.toExponential(2)}, base unet ${base.toExponential(2)}`,
        );
        assert.ok(unet <= 1e-4, `unet ${unet}`);
        assert.ok(text <= 1e-4, `text encoder ${text}`);
        assert.ok(base <= 1e-4, `base ${base}`);
        assert.equal(again, unet);
        // The comparison can fail: the LoRA moves the output well past the tolerance.
        assert.ok(relativeL2(baseUnet, readReferenceF32(reference, 'lora0.8.unet.out.f32')) > 1e-3);
      });

      it('at scale 0 gives the base model’s numbers exactly', async () => {
        use([]);
        const [baseUnet, baseText] = [
          await unetOut(model, reference),
          await textOut(model, reference),
        ];
        use([{ file: loraFile(reference), scale: 0 }]);
        assert.deepEqual(await unetOut(model, reference), baseUnet);
        assert.deepEqual(await textOut(model, reference), baseText);
      });

      it('refuses the other tiny model’s LoRA, naming the layer that does not fit', async () => {
        // Both tiny models have 64-wide text, so the shapes, not the base, tell them apart.
        const other = MODELS.find((m) => m.model !== reference)!.model;
        use([{ file: loraFile(reference), scale: 0.8 }]);
        assert.throws(
          () => use([{ file: loraFile(other), scale: 1 }]),
          (error: unknown) =>
            error instanceof EngineError &&
            error.code === 'LORA_REFUSED' &&
            /does not fit this model: "lora_unet_\w+" has a down of \[4, \d+\]/.test(error.message),
        );
        // The refusal changed nothing: the model still runs the set it had.
        const kept = relativeL2(
          await unetOut(model, reference),
          readReferenceF32(reference, 'lora0.8.unet.out.f32'),
        );
        assert.ok(kept <= 1e-4, `after the refusal ${kept}`);
      });
    });
  }
}

it('`img2img --lora FILE:0.8` ends on diffusers’ lora0.8 img2img latents', async (t) => {
  for (const { model: reference, family } of MODELS) {
    const dir = await build(reference, family, 'checkpoint');
    const cases = referenceCases(reference) as { prompt: string };
    const folder = path.join(REFERENCE_DIR, reference, 'reference');
    const latents = path.join(work, `${reference}.lora.f32`);
    const run = await img2img(
      path.join(work, 'data'),
      ...['--model', dir, '--image', path.join(folder, 'image64.png'), '--prompt', cases.prompt],
      ...['--strength', '0.5', '--steps', '2', '--guidance', '0', '--scheduler', 'euler'],
      ...['--size', '64', '--autoencoder', 'full', '--noise', path.join(folder, 'noise.f32')],
      ...['--lora', `${loraFile(reference)}:0.8`],
      ...['--dump-latents', latents, '--out', path.join(work, `${reference}.png`)],
    );
    assert.equal(run.code, 0, run.stderr);
    const bytes = await readFile(latents);
    const actual = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const error = relativeL2(actual, readReferenceF32(reference, 'lora0.8.img2img.0.latents.f32'));
    t.diagnostic(`${reference}: relative L2 ${error.toExponential(2)}`);
    assert.ok(error <= 1e-4, `${reference}: ${error}`);
    assert.ok(relativeL2(actual, readReferenceF32(reference, 'img2img.0.latents.f32')) > 1e-3);
  }
});

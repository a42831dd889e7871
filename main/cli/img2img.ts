import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineClient } from '../engine/engine-client.ts';
import { BoundedReadError, describeFault, readBounded } from '../files/read-bounded.ts';
import { EngineError } from '../engine/errors.ts';
import { loadImageTensor, tensorToPng } from '../engine/image.ts';
import { AUTOENCODER_CHOICES, type AutoencoderChoice } from '../engine/model-folder.ts';
import { PROVIDER_REQUESTS, type ProviderRequest } from '../engine/onnx/providers.ts';
import { SCHEDULER_NAMES } from '../engine/schedulers/scheduler.ts';
import { integer, loraOptions, number, oneOf, required, runCli } from './run-cli.ts';

const USAGE = `usage: npm run img2img -- --model DIR --image FILE --prompt TEXT [--negative TEXT]
  [--strength 0.5] [--steps 2] [--guidance 0] [--seed 42] [--size 512]
  [--scheduler ${SCHEDULER_NAMES.join('|')}] [--provider ${PROVIDER_REQUESTS.join('|')}]
  [--autoencoder ${AUTOENCODER_CHOICES.join('|')}] [--threads N]
  [--lora FILE[:SCALE]]... [--noise FILE] [--dump-latents FILE] --out FILE.png
--lora applies a LoRA (kohya or diffusers/PEFT .safetensors) at SCALE (default 1); repeat it to
combine several.
--scheduler defaults to the model's scheduler_config.json; dpm is DPM++ 2M (Karras sigmas when
that file sets use_karras_sigmas), dpm-karras is DPM++ 2M Karras.`;

/** One img2img run of the engine alone: the checks and the benchmark drive the engine through it. */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      model: { type: 'string' },
      image: { type: 'string' },
      prompt: { type: 'string' },
      negative: { type: 'string' },
      strength: { type: 'string', default: '0.5' },
      steps: { type: 'string', default: '2' },
      guidance: { type: 'string', default: '0' },
      seed: { type: 'string', default: '42' },
      size: { type: 'string', default: '512' },
      scheduler: { type: 'string' },
      provider: { type: 'string', default: 'cpu' },
      autoencoder: { type: 'string', default: 'auto' },
      threads: { type: 'string' },
      lora: { type: 'string', multiple: true },
      noise: { type: 'string' },
      'dump-latents': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const model = required(values.model, '--model');
  const imageFile = required(values.image, '--image');
  const prompt = required(values.prompt, '--prompt');
  const out = required(values.out, '--out');
  const size = integer(values.size, '--size');
  const scheduler =
    values.scheduler === undefined
      ? undefined
      : oneOf(values.scheduler, SCHEDULER_NAMES, '--scheduler');
  const provider: ProviderRequest = oneOf(values.provider, PROVIDER_REQUESTS, '--provider');
  const autoencoder: AutoencoderChoice = oneOf(
    values.autoencoder,
    AUTOENCODER_CHOICES,
    '--autoencoder',
  );
  const noise = values.noise === undefined ? undefined : await readFloat32(values.noise);

  const image = await loadImageTensor(await readInput(imageFile, 'image'), size, imageFile);
  const engine = new EngineClient();
  try {
    const info = await engine.load({
      dir: model,
      provider,
      autoencoder,
      ...(values.threads ? { intraOpThreads: integer(values.threads, '--threads') } : {}),
    });
    for (const fallback of info.fallbacks)
      console.error(`provider ${fallback.provider} not used: ${fallback.reason}`);
    const result = await engine.img2img(
      {
        image,
        size,
        prompt,
        ...(values.negative !== undefined ? { negativePrompt: values.negative } : {}),
        strength: number(values.strength, '--strength'),
        steps: integer(values.steps, '--steps'),
        guidance: number(values.guidance, '--guidance'),
        seed: integer(values.seed, '--seed'),
        ...(scheduler ? { scheduler } : {}),
        ...(noise ? { noise } : {}),
        loras: loraOptions(values.lora),
      },
      {
        onProgress: (p) =>
          console.error(`step ${p.step}/${p.steps} (${(p.elapsedMs / 1000).toFixed(1)} s)`),
      },
    );
    if (values['dump-latents']) {
      // Raw little-endian float32: every platform onnxruntime-node ships for is little-endian.
      await writeAtomically(
        values['dump-latents'],
        Buffer.from(result.latents.buffer, result.latents.byteOffset, result.latents.byteLength),
      );
    }
    await writeAtomically(out, await tensorToPng(result.image, size, size));
    console.log(
      `wrote ${out} (${size}x${size}, ${result.unetCalls} UNet call${result.unetCalls === 1 ? '' : 's'}, ` +
        `${(result.timings.totalMs / 1000).toFixed(2)} s, provider ${info.provider}, ` +
        `autoencoder ${info.encoder}/${info.decoder})`,
    );
  } finally {
    await engine.close();
  }
}

/**
 * Far above any real input (a 30 MB photo, 1024 px of float32 noise is 256 KB) and far below what
 * would hurt: a device or FIFO named as an input is refused, never drained.
 */
const INPUT_MAX_BYTES = 256 * 2 ** 20;

async function readInput(file: string, what: 'image' | 'noise file'): Promise<Buffer> {
  return readBounded(file, INPUT_MAX_BYTES).catch((error: unknown) => {
    if (!(error instanceof BoundedReadError)) throw error;
    const why = describeFault(error.fault, error.limit, error.errno);
    throw new EngineError('BAD_ARGUMENT', `cannot read ${what} ${file}: it ${why}`, file);
  });
}

async function readFloat32(file: string): Promise<Float32Array> {
  const bytes = await readInput(file, 'noise file');
  if (bytes.byteLength % 4 !== 0) {
    throw new EngineError(
      'BAD_ARGUMENT',
      `noise file ${file} is not raw float32 (${bytes.byteLength} bytes)`,
      file,
    );
  }
  // Copy into a fresh, aligned buffer: a Buffer's view may start at any byte offset.
  return new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
}

/** The output appears whole or not at all: a failed run never leaves a half-written file. */
async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, bytes);
  await rename(temp, file);
}

runCli(main, USAGE);

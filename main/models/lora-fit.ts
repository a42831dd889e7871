/**
 * Whether a LoRA was trained for a model's line, told before a run from what is on disk: the
 * early, friendly check. (The engine checks every layer's shapes when it applies the LoRA.)
 * Families (sd15, turbo, lcm) say how a model is driven, not what it is: SD-Turbo is SD 2.x, an
 * SD 2.1 checkpoint may be driven as sd15, LCM models are SD 1.x. The line is read from the folder.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readTokenizerFolder } from '../engine/tokenizer/tokenizer-folder.ts';
import { BASES, baseOfWidth } from '../lora/lora-base.ts';
import type { LoraBase } from '../lora/types.ts';
import type { LoraManifest } from './loras.ts';
import { readManifest } from './manifest.ts';

/**
 * The model line of a model folder: the text encoder's width where its config.json gives one of
 * the lines' (CLIP's 768, OpenCLIP's 1024; ONNX exports ship it), else the tokenizer's pad token,
 * which the lines' tokenizers differ in (SD 2.x pads with "!", SD 1.x with <|endoftext|>; the
 * app's own builds write it so, main/models/from-weights/build-folder.ts). Undefined when the
 * folder has neither.
 */
export async function modelBase(modelDir: string): Promise<LoraBase | undefined> {
  // Reading a tokenizer takes ~0.2 s: once per folder, unless its files are written anew.
  const stamps = await Promise.all(
    [['tokenizer'], ['text_encoder', 'config.json']].map((parts) =>
      stat(path.join(modelDir, ...parts)).then(
        (info) => `${info.ino}:${info.mtimeMs}`,
        () => '-',
      ),
    ),
  );
  const key = [path.resolve(modelDir), ...stamps].join('\0');
  let base = known.get(key);
  if (!base) {
    base = readModelBase(modelDir);
    known.set(key, base);
  }
  return base;
}

const known = new Map<string, Promise<LoraBase | undefined>>();

async function readModelBase(modelDir: string): Promise<LoraBase | undefined> {
  const config = await readFile(path.join(modelDir, 'text_encoder', 'config.json'), 'utf8').then(
    (text) => JSON.parse(text) as { hidden_size?: unknown },
    () => undefined,
  );
  const width = config?.hidden_size;
  const byWidth = typeof width === 'number' ? baseOfWidth(width) : undefined;
  if (byWidth) return byWidth;
  const tokenizer = await readTokenizerFolder(path.join(modelDir, 'tokenizer')).catch(
    () => undefined,
  );
  if (!tokenizer) return undefined;
  return tokenizer.specialTokens.pad_token === '!' ? 'sd2' : 'sd1';
}

/**
 * Why the LoRA (an installed one's record, or a file's inspectLora base and name) cannot run on
 * the model in `modelDir`, in one sentence ("clay.safetensors is a LoRA for SD 1.x models;
 * SD-Turbo is SD 2.x"), or undefined when it fits or either line is not known (the engine's shape
 * check decides then).
 */
export async function checkLoraFitsModel(
  lora: { base: LoraManifest['base'] | undefined; fileName: string },
  modelDir: string,
): Promise<string | undefined> {
  if (lora.base === undefined || lora.base === 'unknown') return undefined;
  const base = await modelBase(modelDir);
  if (base === undefined || base === lora.base) return undefined;
  const model = await readManifest(modelDir).then(
    (m) => m.name,
    () => path.basename(modelDir),
  );
  return `${lora.fileName} is a LoRA for ${BASES[lora.base].name} models; ${model} is ${BASES[base].name}`;
}

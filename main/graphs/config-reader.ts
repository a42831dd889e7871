/**
 * Reads a diffusers config.json as its model class does: every key absent from the file takes the
 * class's default, and a value the graph builders do not implement fails loudly, naming the key.
 * Keys that do not change the graph (sample_size, dropout, _class_name...) are not read.
 */

export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

type Json = unknown;

export class ConfigReader {
  private readonly json: Readonly<Record<string, Json>>;

  /** @param component names the config in errors ("unet/config.json") */
  constructor(
    json: Json,
    readonly component: string,
  ) {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ModelConfigError(`${component}: not a JSON object`);
    }
    this.json = json as Record<string, Json>;
  }

  number(key: string, fallback: number): number {
    const value = this.value(key, fallback);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.wrongType(key, 'a number');
    return value;
  }

  /** A number, or null where the key is absent or null (time_cond_proj_dim). */
  optionalNumber(key: string): number | null {
    const value = this.value(key, null);
    return value === null ? null : this.number(key, 0);
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.value(key, fallback);
    if (typeof value !== 'boolean') throw this.wrongType(key, 'true or false');
    return value;
  }

  string(key: string, fallback: string): string {
    const value = this.value(key, fallback);
    if (typeof value !== 'string') throw this.wrongType(key, 'a string');
    return value;
  }

  numbers(key: string, fallback: readonly number[]): number[] {
    const value = this.value(key, fallback);
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) {
      throw this.wrongType(key, 'a list of numbers');
    }
    return value as number[];
  }

  /** A per-block setting given as one number for all `count` blocks or as a list of them. */
  perBlock(key: string, fallback: number, count: number): number[] {
    const value = this.value(key, fallback);
    const list = typeof value === 'number' ? new Array<number>(count).fill(value) : value;
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'number')) {
      throw this.wrongType(key, 'a number or a list of numbers');
    }
    if (list.length !== count) {
      throw new ModelConfigError(
        `${this.component}: ${key} has ${list.length} entries for ${count} blocks`,
      );
    }
    return list as number[];
  }

  /** A list of names each of which must be one of `accepted` (down_block_types). */
  names<T extends string>(key: string, fallback: readonly T[], accepted: readonly T[]): T[] {
    const value = this.value(key, fallback);
    if (!Array.isArray(value)) throw this.wrongType(key, 'a list of names');
    for (const entry of value) {
      if (!accepted.includes(entry as T)) throw this.unsupported(key, entry, accepted);
    }
    return value as T[];
  }

  /** One of `accepted` (null stands for an absent key or JSON null); anything else is refused. */
  oneOf<T>(key: string, fallback: T, accepted: readonly T[]): T {
    const value = this.value(key, fallback) as T;
    if (!accepted.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
      throw this.unsupported(key, value, accepted);
    }
    return value;
  }

  /** Refuses the key unless it holds its default: an option the builders do not implement. */
  only(key: string, supported: Json): void {
    this.oneOf(key, supported, [supported]);
  }

  private value(key: string, fallback: Json): Json {
    return key in this.json ? (this.json[key] ?? null) : fallback;
  }

  private wrongType(key: string, expected: string): ModelConfigError {
    return new ModelConfigError(
      `${this.component}: ${key} is ${JSON.stringify(this.json[key])}; expected ${expected}`,
    );
  }

  private unsupported(key: string, value: Json, accepted: readonly Json[]): ModelConfigError {
    return new ModelConfigError(
      `${this.component}: ${key} = ${JSON.stringify(value)} is not supported ` +
        `(supported: ${accepted.map((a) => JSON.stringify(a)).join(', ')})`,
    );
  }
}

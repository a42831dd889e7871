import type { ESLint } from 'eslint';

/** Where a module runs, and what it may import from there. */
export interface Runtime {
  name: string;
  /** What runs it, in words, for the message. */
  where: string;
  /** Paths from the repository root, with forward slashes. */
  match: RegExp[];
  /** The runtimes whose modules it may import. */
  imports: string[];
  /** Whether it may import Node's builtins. */
  node: boolean;
  /** The npm packages it may import. */
  packages: RegExp;
}

export function runtimeOf(relative: string): Runtime | undefined;
declare const plugin: ESLint.Plugin;
export default plugin;

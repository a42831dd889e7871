/**
 * The main window's size and place, remembered in the data folder between launches. A saved
 * place is used only while it still lies on a screen (a monitor may have been unplugged since).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Rectangle } from 'electron';

export interface WindowState {
  /** No x/y: let the system centre it. */
  bounds: { width: number; height: number; x?: number; y?: number };
  maximized: boolean;
}

export const MIN_SIZE = { width: 800, height: 600 };
const DEFAULT_STATE: WindowState = { bounds: { width: 1200, height: 820 }, maximized: false };
/** This much of the window must show on a screen for its saved place to be kept. */
const VISIBLE_PX = 100;

export function windowStateFile(dataDir: string): string {
  return path.join(dataDir, 'window-state.json');
}

/** The saved state when it is readable and on one of `workAreas`, else the default. */
export function loadWindowState(file: string, workAreas: readonly Rectangle[]): WindowState {
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return DEFAULT_STATE;
  }
  const { bounds, maximized } = (saved ?? {}) as {
    bounds?: Partial<Rectangle>;
    maximized?: unknown;
  };
  const { x, y, width, height } = bounds ?? {};
  if (![x, y, width, height].every(Number.isFinite)) return DEFAULT_STATE;
  const rect = {
    x: x as number,
    y: y as number,
    width: Math.max(width as number, MIN_SIZE.width),
    height: Math.max(height as number, MIN_SIZE.height),
  };
  if (!workAreas.some((area) => overlaps(rect, area))) return DEFAULT_STATE;
  return { bounds: rect, maximized: maximized === true };
}

export function saveWindowState(
  file: string,
  window: { getNormalBounds(): Rectangle; isMaximized(): boolean },
): void {
  const state = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
  try {
    writeFileSync(file, JSON.stringify(state));
  } catch (error) {
    // Losing the window's place is no reason to stop the app from closing.
    console.warn('Avatar Studio: could not remember the window state:', error);
  }
}

function overlaps(a: Rectangle, b: Rectangle): boolean {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width >= VISIBLE_PX && height >= VISIBLE_PX;
}

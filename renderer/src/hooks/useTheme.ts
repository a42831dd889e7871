import { useEffect } from 'react';
import type { Theme } from '../app/state.ts';

export const THEME_KEY = 'avatar-studio.theme';

export function savedTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

/** Light and dark follow the system unless the user picked one; the choice is remembered. */
export function useTheme(theme: Theme): void {
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', theme);
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
}

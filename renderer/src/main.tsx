import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { findApi } from './api.ts';
import { App } from './App.tsx';
import { savedTheme } from './hooks/useTheme.ts';
import './styles/app.css';

const root = createRoot(document.getElementById('root')!);
const api = findApi();
root.render(
  <StrictMode>
    {api ? (
      <App api={api} savedTheme={savedTheme()} />
    ) : (
      <div className="loading" role="alert">
        Avatar Studio must be opened from the app (or the address its host printed): the bridge is
        missing.
      </div>
    )}
  </StrictMode>,
);

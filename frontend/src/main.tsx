import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@/app/charts.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ensureCsrf } from '@/api/client';
import { App } from '@/app/App';

// Ask Django for the csrftoken cookie once at startup; unsafe requests also wait for it.
void ensureCsrf();

const container = document.getElementById('root');
if (!container) throw new Error('#root is missing from index.html');

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

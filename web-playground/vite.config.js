import { defineConfig } from 'vite';

// No @vitejs/plugin-react: esbuild compiles the JSX with React's automatic runtime.
export default defineConfig({
  base: '/',
  esbuild: {
    jsx: 'automatic',
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    minify: true,
    sourcemap: false,
    // GraphiQL + CodeMirror + graphql-js make one large-ish chunk; that is expected.
    chunkSizeWarningLimit: 3000,
  },
});
